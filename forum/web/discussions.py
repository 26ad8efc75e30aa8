"""Discussion pages: create and edit, the list of posts, prompts, closing."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from forum.access import peers_revealed
from forum.errors import Conflict, Invalid
from forum.extensions import limiter
from forum.limits import member_key, writes_limit, writes_per_ip_limit
from forum.models import PromptState
from forum.services import discussions as discussion_service
from forum.services import posts as post_service
from forum.services import reading
from forum.services.courses import get_course
from forum.services.grading import my_grade
from forum.services.subscriptions import subscription_level
from forum.services.threads import prompts_in_discussion
from forum.timeutil import from_local, to_local
from forum.web import post_list_view
from forum.web.conditional import is_shared, share
from forum.web.forms import DiscussionForm, PostForm, form_version, show_errors, status_of
from forum.web.grading import page_progress
from forum.web.images import form_images, image_errors, post_form_images

bp = Blueprint("discussions", __name__)
# Writing (posts, replies, prompts, edits) is limited per person and per address.
limiter.limit(writes_limit, key_func=member_key, methods=["POST"])(bp)
limiter.limit(writes_per_ip_limit, methods=["POST"])(bp)



def _discussion_fields(form: DiscussionForm, timezone: str) -> dict:
    return {
        "title": form.title.data,
        "prompt": form.prompt.data,
        "opens_at": from_local(form.opens_at.data, timezone),
        "due_at": from_local(form.due_at.data, timezone),
        "locks_at": from_local(form.locks_at.data, timezone),
        "points_possible": form.points_possible.data,
        "visibility": form.visibility.data,  # "course": follows the course
        "guest_comments": form.guest_comments.data,
        "reveal": form.reveal.data,
        "anonymity": form.anonymity.data,
        "likes": form.likes.data,
    }


@bp.route("/courses/<id:course_id>/discussions/new", methods=["GET", "POST"])
@login_required
def create(course_id: int):
    course = get_course(current_user, course_id)
    discussion_service.authorize_create_discussion(current_user, course)
    form = DiscussionForm()
    if form.validate_on_submit():
        try:
            discussion = discussion_service.create_discussion(
                current_user, course, **_discussion_fields(form, course.timezone))
        except Invalid as error:
            show_errors(form, error)
        else:
            flash("Discussion created.", "success")
            return redirect(url_for("discussions.show", discussion_id=discussion.id))
    return render_template("discussions/form.html", form=form, course=course,
                           discussion=None), status_of(form)


@bp.route("/discussions/<id:discussion_id>/edit", methods=["GET", "POST"])
@login_required
def edit(discussion_id: int):
    discussion = discussion_service.get_discussion(current_user, discussion_id)
    discussion_service.authorize_edit_discussion(current_user, discussion)
    course = discussion.course
    form = DiscussionForm(obj=discussion)
    if form.validate_on_submit():
        try:
            discussion_service.update_discussion(
                current_user, discussion, form_version(form.version.data),
                **_discussion_fields(form, course.timezone))
        except Invalid as error:
            show_errors(form, error)
        except Conflict as error:
            form.form_errors.append(error.message)
        else:
            flash("Discussion saved.", "success")
            return redirect(url_for("discussions.show", discussion_id=discussion.id))
    elif not form.is_submitted():
        for name in ("opens_at", "due_at", "locks_at"):
            local = to_local(getattr(discussion, name), course.timezone)
            getattr(form, name).data = local.replace(tzinfo=None) if local else None
        form.version.data = discussion.version
    return render_template("discussions/form.html", form=form, course=course,
                           discussion=discussion), status_of(form)


@bp.get("/discussions/<id:discussion_id>")
def show(discussion_id: int):
    discussion = discussion_service.get_discussion(current_user, discussion_id)
    viewer = current_user._get_current_object()
    unread = reading.unread_in_discussion(viewer, discussion)
    # The list: the viewer's kind's kept copy, with what is theirs alone filled in.
    posts = post_list_view.post_list(viewer, discussion, unread)
    progress = page_progress(current_user, discussion)  # a student's, with their grade
    page = render_template("discussions/show.html", discussion=discussion,
                           course=discussion.course, posts=posts, unread=unread,
                           my_grade=progress.grade if progress else my_grade(
                               current_user, discussion),
                           progress=progress, follows=subscription_level(current_user, discussion),
                           sealed=not peers_revealed(current_user, discussion))
    # Its ETag is a digest of the bytes: a 304 spares the sending, not the rendering.
    return share(page) if is_shared(discussion.course) else page


@bp.post("/discussions/<id:discussion_id>/read")
@login_required
def mark_read(discussion_id: int):
    discussion = discussion_service.get_discussion(current_user, discussion_id)
    reading.mark_discussion_read(current_user, discussion)
    flash("Every post and reply here is marked read.", "success")
    return redirect(url_for("discussions.show", discussion_id=discussion.id))


@bp.post("/discussions/<id:discussion_id>/close")
@login_required
def close(discussion_id: int):
    return _set_closed(discussion_id, True)


@bp.post("/discussions/<id:discussion_id>/reopen")
@login_required
def reopen(discussion_id: int):
    return _set_closed(discussion_id, False)


def _set_closed(discussion_id: int, closed: bool):
    discussion = discussion_service.get_discussion(current_user, discussion_id)
    discussion_service.update_discussion(current_user, discussion, None, closed=closed)
    flash("Discussion closed: it is read-only now." if closed else "Discussion reopened.",
          "success")
    return redirect(url_for("discussions.show", discussion_id=discussion.id))


@bp.get("/discussions/<id:discussion_id>/prompts")
@login_required
def prompts(discussion_id: int):
    discussion = discussion_service.get_discussion(current_user, discussion_id)
    state = request.args.get("state") or None
    if state is not None and state not in {s.value for s in PromptState}:
        abort(400, "Unknown prompt state; use open, answered or resolved.")
    rows = prompts_in_discussion(current_user, discussion,
                                 PromptState(state) if state else None)
    return render_template("discussions/prompts.html", discussion=discussion,
                           course=discussion.course, rows=rows, state=state)


@bp.route("/discussions/<id:discussion_id>/posts/new", methods=["GET", "POST"])
@login_required
def new_post(discussion_id: int):
    discussion = discussion_service.get_discussion(current_user, discussion_id)
    post_service.authorize_create_post(current_user, discussion)
    form = PostForm()
    if form.validate_on_submit():
        publish = bool(form.publish.data)
        try:
            images = post_form_images(form)  # stored (unattached) first: never lost
            post = None if form.add_image.data else post_service.create_post(
                current_user, discussion, title=form.title.data, body=form.body.data,
                sources=form.source_rows(), publish=publish, images=images,
                anonymous=form.anonymous.data)
        except Invalid as error:
            show_errors(form, image_errors(form, error))
        else:
            if post is not None:
                flash("Post published." if publish else "Draft saved; only you can see it.",
                      "success")
                return redirect(url_for("posts.show", post_id=post.id))
    form.add_spare_rows()
    return render_template("posts/form.html", form=form, discussion=discussion,
                           course=discussion.course, post=None,
                           form_images=form_images(form)), status_of(form)
