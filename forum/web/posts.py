"""A post with its whole thread, and every action on posts, replies and prompts."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from forum.access import can_annotate, can_comment_as_guest, can_flag, can_like, can_see_likes
from forum.errors import Conflict, Invalid, NotFound
from forum.extensions import limiter
from forum.limits import member_key, writes_limit, writes_per_ip_limit
from forum.services import annotations as annotation_service
from forum.services import posts as post_service
from forum.services import reactions as reaction_service
from forum.services import reading
from forum.services import replies as reply_service
from forum.services.annotations import annotations_for
from forum.services.authors import byline, post_byline, thread_pseudonyms
from forum.services.reading import read_state
from forum.services.subscriptions import subscription_level
from forum.web.auth import safe_next
from forum.web.conditional import etag_of, is_shared, not_modified, share
from forum.web.forms import (
    AnnotationForm,
    FlagForm,
    GuestCommentForm,
    PostForm,
    PromptForm,
    ReplyForm,
    form_version,
    optional_id,
    show_errors,
    status_of,
)
from forum.web.images import form_images, image_errors, post_form_images
from forum.web.kept import templates_digest
from forum.web.thread_view import copy_key, thread_html

bp = Blueprint("posts", __name__)
# Writing (posts, replies, prompts, edits) is limited per person and per address.
limiter.limit(writes_limit, key_func=member_key, methods=["POST"])(bp)
limiter.limit(writes_per_ip_limit, methods=["POST"])(bp)


def _post_page(template: str, post, **context) -> str:
    """A page about one post: its place in the course, and whether the viewer sees it
    only as a tombstone (decided by the post service)."""
    discussion = post.discussion
    return render_template(
        template, post=post, discussion=discussion, course=discussion.course,
        post_tombstone=post_service.shown_as_tombstone(current_user, post),
        post_likes_shown=can_see_likes(current_user, discussion), **context)


def render_post(post, status: int = 200, failed: dict | None = None,
                 annotation_form: AnnotationForm | None = None,
                 guest_form: GuestCommentForm | None = None,
                 flag_form: FlagForm | None = None, shared: bool = False):
    """The post page; `failed` re-shows a reply or prompt form that was refused, the
    other forms come back as they were sent. A `shared` page (forum/web/conditional.py)
    leaves the guest form's token and clock to be fetched."""
    if failed and "parent_id" in failed["errors"]:
        failed["parent_id"] = ""  # no such form on the page: explain it at the top
    if annotation_form is None and can_annotate(current_user, post):
        annotation_form = AnnotationForm(formdata=None)
    if guest_form is None and can_comment_as_guest(current_user, post):
        # Made with a CSRF token, the form would start the visitor's session.
        guest_form = GuestCommentForm(formdata=None, parent_id=request.args.get("reply_to"),
                                      meta={"csrf": not shared})
    if guest_form is not None and not shared:
        guest_form.start_clock()
    if flag_form is None and can_flag(current_user, post, post.discussion.course):
        flag_form = FlagForm(formdata=None)
    replying_to = _replying_to(post, guest_form)
    thread = thread_html(post, failed)
    return _post_page(
        "posts/show.html", post, thread_html=thread.html, new_ids=thread.new_ids,
        read=read_state(current_user, post),
        annotations=annotations_for(current_user, post), annotation_form=annotation_form,
        guest_form=guest_form, replying_to=replying_to, flag_form=flag_form,
        replying_to_name=replying_to and byline(
            current_user, replying_to, post.discussion.course,
            thread_pseudonyms(post)).name,
        post_liked=can_like(current_user, post, post.discussion.course)
        and reaction_service.liked_in_thread(current_user, post)[0],
        post_author=post_byline(current_user, post),
        follows=subscription_level(current_user, post), shared=shared,
    ), status


def _replying_to(post, form: GuestCommentForm | None):
    """The reply a guest's comment answers (from `?reply_to=` or the form sent), if it
    is one the visitor sees in this thread; otherwise the comment answers the post."""
    if form is None:
        return None
    value = (form.parent_id.data or "").strip()
    try:
        parent = reply_service.get_reply(current_user, optional_id(value)) if value else None
    except (Invalid, NotFound):
        parent = None
    if parent is None or parent.post_id != post.id or parent.is_deleted:
        form.parent_id.data = ""
        return None
    return parent


@bp.get("/posts/<id:post_id>")
def show(post_id: int):
    post = post_service.get_post(current_user, post_id, for_page=True)
    if is_shared(post.discussion.course):
        etag = _shared_etag(post)
        return not_modified(etag) or share(render_post(post, shared=True), etag)
    page = render_post(post)
    # What the page showed is read now: after rendering, as the mark's commit would
    # expire what the page reads.
    reading.mark_post_read(current_user, post)
    return page


def _shared_etag(post) -> str:
    """What the shared page shows, as version stamps read with the post: the thread's
    copy key (thread stamp, names, post state, what the anonymous kind may do now, the
    thread's templates), the post's own version, likes and endorsement, the discussion's
    version (title, prompt, dates), the course's heading, and the page's templates."""
    discussion = post.discussion
    course = discussion.course
    return etag_of(
        copy_key(current_user, post), _page_digest(), post.version, post.like_count,
        post.endorsed_at, post.endorsed_by_id, post.pinned_at, post.edited_at,
        discussion.version, course.code, course.title, course.term, course.guest_comments,
        request.args.get("reply_to"))


def _page_digest() -> str:
    """A new release's page templates never answer 304 to a page made by the old ones."""
    return templates_digest("base.html", "_macros.html", "posts/show.html",
                            "posts/_images.html", "courses/_crumbs.html",
                            "notifications/_follow.html")


def _thread_anchor(post, reply=None) -> str:
    anchor = f"reply-{reply.id}" if reply is not None else "thread"
    return url_for("posts.show", post_id=post.id, _anchor=anchor)


@bp.post("/posts/<id:post_id>/replies")
@login_required
def reply(post_id: int):
    post = post_service.get_post(current_user, post_id)
    form = ReplyForm()
    parent_id = optional_id(form.parent_id.data)
    quote = (form.quote.data or "").strip() or None
    try:
        created = reply_service.reply_to(
            current_user, post, parent_id, form.body.data, anonymous=form.anonymous.data,
            quote=quote, quoted_reply_id=parent_id if quote else None)
    except Invalid as error:
        return render_post(post, 422, {"kind": "reply", "parent_id": form.parent_id.data,
                                        "body": form.body.data, "quote": form.quote.data,
                                        "anonymous": form.anonymous.data,
                                        "errors": error.errors})
    flash("Reply posted.", "success")
    return redirect(_thread_anchor(post, created))


@bp.post("/posts/<id:post_id>/prompts")
@login_required
def prompt(post_id: int):
    post = post_service.get_post(current_user, post_id)
    form = PromptForm()
    try:
        created = reply_service.ask_prompt(current_user, post, optional_id(form.parent_id.data),
                                           form.body.data, form.quote.data)
    except Invalid as error:
        return render_post(post, 422, {"kind": "prompt", "parent_id": form.parent_id.data,
                                        "body": form.body.data, "quote": form.quote.data,
                                        "errors": error.errors})
    flash(f"Prompt sent to {post.author.display_name}.", "success")
    return redirect(_thread_anchor(post, created))


@bp.post("/posts/<id:post_id>/annotations")
@login_required
def annotate(post_id: int):
    post = post_service.get_post(current_user, post_id)
    form = AnnotationForm()
    try:
        annotation_service.annotate(current_user, post, quote=form.quote.data,
                                    body=form.body.data, visibility=form.visibility.data)
    except Invalid as error:
        show_errors(form, error)
        return render_post(post, 422, annotation_form=form)
    flash("Comment on the passage saved.", "success")
    if request.form.get("next"):  # from the grading view
        return redirect(safe_next(request.form["next"]))
    return redirect(url_for("posts.show", post_id=post.id, _anchor="annotations"))


@bp.post("/annotations/<id:annotation_id>/delete")
@login_required
def delete_annotation(annotation_id: int):
    annotation = annotation_service.get_annotation(current_user, annotation_id)
    annotation_service.delete_annotation(current_user, annotation)
    flash("Passage comment withdrawn.", "success")
    return redirect(url_for("posts.show", post_id=annotation.post_id, _anchor="annotations"))


@bp.route("/posts/<id:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit(post_id: int):
    post = post_service.get_post(current_user, post_id)
    post_service.authorize_edit_post(current_user, post)
    form = PostForm(obj=post)
    if form.validate_on_submit():
        try:
            images = post_form_images(form)  # stored (unattached) first: never lost
            if not form.add_image.data:
                post_service.update_post(
                    current_user, post, version=form_version(form.version.data),
                    title=form.title.data, body=form.body.data, sources=form.source_rows(),
                    publish=bool(form.publish.data), images=images)
        except Invalid as error:
            show_errors(form, image_errors(form, error))
        except Conflict as error:
            form.form_errors.append(error.message)
        else:
            if not form.add_image.data:
                flash("Post saved." if post.is_published else "Draft saved.", "success")
                return redirect(url_for("posts.show", post_id=post.id))
    elif not form.is_submitted():
        form.version.data = post.version
        form.show_images(post.images)
    form.add_spare_rows()
    return _post_page("posts/form.html", post, form=form,
                      form_images=form_images(form, post)), status_of(form)


@bp.post("/posts/<id:post_id>/delete")
@login_required
def delete(post_id: int):
    post = post_service.get_post(current_user, post_id)
    post_service.delete_post(current_user, post)
    flash("Post deleted. Replies to it stay in the thread.", "success")
    return redirect(url_for("discussions.show", discussion_id=post.discussion_id))


@bp.post("/posts/<id:post_id>/restore")
@login_required
def restore(post_id: int):
    post = post_service.get_post(current_user, post_id)
    post_service.restore_post(current_user, post)
    flash("Post restored.", "success")
    return redirect(url_for("posts.show", post_id=post.id))


@bp.get("/posts/<id:post_id>/revisions")
@login_required
def revisions(post_id: int):
    post = post_service.get_post(current_user, post_id)
    return _post_page("posts/revisions.html", post,
                      revisions=post_service.revisions_of(current_user, post))


@bp.route("/replies/<id:reply_id>/edit", methods=["GET", "POST"])
@login_required
def edit_reply(reply_id: int):
    item = reply_service.get_reply(current_user, reply_id)
    reply_service.authorize_edit_reply(current_user, item)
    form = ReplyForm(obj=item)
    if form.validate_on_submit():
        try:
            reply_service.update_reply(current_user, item, version=form_version(form.version.data),
                                       body=form.body.data)
        except Invalid as error:
            show_errors(form, error)
        except Conflict as error:
            form.form_errors.append(error.message)
        else:
            flash("Reply saved.", "success")
            return redirect(_thread_anchor(item.post, item))
    elif not form.is_submitted():
        form.version.data = item.version
    return _post_page("posts/reply_form.html", item.post, form=form, reply=item), \
        status_of(form)


@bp.get("/replies/<id:reply_id>/revisions")
@login_required
def reply_revisions(reply_id: int):
    item = reply_service.get_reply(current_user, reply_id)
    return _post_page("posts/revisions.html", item.post, reply=item,
                      revisions=reply_service.revisions_of_reply(current_user, item))


_REACTIONS = {
    "like": (reaction_service.like, "Liked."),
    "unlike": (reaction_service.unlike, "Like taken back."),
    "endorse": (lambda actor, item: reaction_service.endorse(actor, item, True), "Endorsed."),
    "unendorse": (lambda actor, item: reaction_service.endorse(actor, item, False),
                  "Endorsement taken back."),
}
_REACTION = "<any(like, unlike, endorse, unendorse):action>"


@bp.post(f"/posts/<id:post_id>/{_REACTION}")
@login_required
def post_reaction(post_id: int, action: str):
    post = post_service.get_post(current_user, post_id)
    service, message = _REACTIONS[action]
    service(current_user, post)
    flash(message, "success")
    return redirect(url_for("posts.show", post_id=post.id))


@bp.post(f"/replies/<id:reply_id>/{_REACTION}")
@login_required
def reply_reaction(reply_id: int, action: str):
    item = reply_service.get_reply(current_user, reply_id)
    service, message = _REACTIONS[action]
    service(current_user, item)
    flash(message, "success")
    return redirect(_thread_anchor(item.post, item))


_REPLY_ACTIONS = {
    "delete": (reply_service.delete_reply, "Reply deleted."),
    "restore": (reply_service.restore_reply, "Reply restored."),
    "resolve": (reply_service.resolve_prompt, "Prompt marked resolved."),
}


@bp.post("/replies/<id:reply_id>/<any(delete, restore, resolve):action>")
@login_required
def reply_action(reply_id: int, action: str):
    item = reply_service.get_reply(current_user, reply_id)
    service, message = _REPLY_ACTIONS[action]
    try:
        service(current_user, item)
    except Conflict as error:
        flash(error.message, "error")
    else:
        flash(message, "success")
    target = request.form.get("back")
    if target == "prompts":
        return redirect(url_for("discussions.prompts", discussion_id=item.post.discussion_id))
    return redirect(_thread_anchor(item.post, item))


