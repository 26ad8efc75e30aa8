"""Moderation pages: a course's queue and the staff's actions on it (one item or a
selection), erasing a guest's data, members' reports, locking and pinning a thread,
and putting an earlier version back."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from forum.errors import Invalid
from forum.extensions import limiter
from forum.limits import member_key, writes_limit, writes_per_ip_limit
from forum.services import moderation as moderation_service
from forum.services import posts as post_service
from forum.services.courses import get_course
from forum.web.forms import (
    EraseGuestForm,
    FlagForm,
    ModerateForm,
    page_number,
    show_errors,
    status_of,
)
from forum.web.templating import counted

bp = Blueprint("moderation", __name__)
# Reports and staff actions are writes like any other: limited per person and address.
limiter.limit(writes_limit, key_func=member_key, methods=["POST"])(bp)
limiter.limit(writes_per_ip_limit, methods=["POST"])(bp)

PAGE_SIZE = 50
PAGE_MAX = 999_999  # six digits, as the queue has always taken
TABS = [(None, "All"), ("pending", "Pending"), ("spam", "Spam"), ("flagged", "Flagged"),
        ("hidden", "Hidden")]
DONE = {"approve": "approved", "spam": "marked as spam", "hide": "hidden",
        "restore": "restored"}
THANKS = "Thanks: the course staff will look at it."


# The queue


def _position() -> tuple[str | None, int]:
    """The queue's filter and page, from the address or from the form sent from it."""
    values = request.form if request.method == "POST" else request.args
    state = values.get("state") or None
    if state not in moderation_service.QUEUE_STATES:
        state = None
    return state, page_number(values.get("page"), PAGE_MAX)


def _back(course) -> str:
    state, page = _position()
    return url_for("moderation.queue", course_id=course.id, state=state,
                   page=page if page > 1 else None)


def _render_queue(course, status: int = 200, failed: dict | None = None):
    """The queue page; `failed` shows a refused action again, with the reason typed."""
    state, page = _position()
    items, total = moderation_service.moderation_queue(
        current_user, course, state, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    counts = moderation_service.queue_counts(current_user, course)
    return render_template(
        "moderation/queue.html", course=course, items=items, total=total, state=state,
        page=page, pages=max(1, -(-total // PAGE_SIZE)), tabs=TABS, counts=counts,
        failed=failed or {}, erase_form=EraseGuestForm(formdata=None),
    ), status


@bp.get("/courses/<id:course_id>/moderation")
@login_required
def queue(course_id: int):
    return _render_queue(get_course(current_user, course_id))


def _done(items: list, action: str) -> str:
    kinds = {moderation_service.kind_of(item) for item in items}
    noun = {"reply": "comment", "post": "post"}[kinds.pop()] if len(kinds) == 1 else "item"
    return f"{counted(len(items), noun)} {DONE[action]}."


def _messages(error: Invalid) -> list[str]:
    return [message for messages in error.errors.values() for message in messages] or [
        error.message]


@bp.post("/courses/<id:course_id>/moderation/<any(post, reply):kind>/<id:item_id>")
@login_required
def act(course_id: int, kind: str, item_id: int):
    course = get_course(current_user, course_id)
    item = moderation_service.find_item(current_user, kind, item_id, course)
    form = ModerateForm()
    action = form.action.data or ""
    try:
        moderation_service.moderate(current_user, item, action, form.reason.data)
    except Invalid as error:
        return _render_queue(course, 422, {"target": f"{kind}-{item_id}",
                                           "reason": form.reason.data,
                                           "errors": _messages(error)})
    flash(_done([item], action), "success")
    return redirect(_back(course))


def _targets(values: list[str]) -> list[tuple[str, int]]:
    targets = []
    for value in values:
        kind, _, item_id = value.partition(":")
        if kind in ("post", "reply") and item_id.isdigit() and len(item_id) < 11:
            targets.append((kind, int(item_id)))
    return targets


@bp.post("/courses/<id:course_id>/moderation")
@login_required
def bulk(course_id: int):
    """One action on the items ticked, or on every item of the page shown."""
    course = get_course(current_user, course_id)
    form = ModerateForm()
    chosen = request.form.getlist("on_page" if request.form.get("all") else "item")
    try:
        items = moderation_service.moderate_many(
            current_user, course, _targets(chosen), form.action.data or "", form.reason.data)
    except Invalid as error:
        return _render_queue(course, 422, {
            "target": "bulk", "reason": form.reason.data, "action": form.action.data,
            "chosen": set(request.form.getlist("item")), "all": bool(request.form.get("all")),
            "errors": _messages(error)})
    flash(_done(items, form.action.data), "success")
    return redirect(_back(course))


@bp.post("/courses/<id:course_id>/moderation/reply/<id:item_id>/erase")
@login_required
def erase_guest(course_id: int, item_id: int):
    course = get_course(current_user, course_id)
    reply = moderation_service.find_item(current_user, "reply", item_id, course)
    form = EraseGuestForm()
    try:
        changed = moderation_service.erase_guest(current_user, reply,
                                                 remove_text=form.text.data == "remove")
    except Invalid as error:
        for message in _messages(error):
            flash(message, "error")
    else:
        flash(f"Guest data erased from {counted(changed, 'comment')}.", "success")
    return redirect(_back(course))


# Members' reports


@bp.route("/posts/<id:item_id>/report", defaults={"kind": "post"}, methods=["GET", "POST"])
@bp.route("/replies/<id:item_id>/report", defaults={"kind": "reply"}, methods=["GET", "POST"])
@login_required
def report(kind: str, item_id: int):
    item = moderation_service.find_item(current_user, kind, item_id)
    moderation_service.authorize_flag(current_user, item)
    post = item if kind == "post" else item.post
    form = FlagForm()
    status = None
    if form.validate_on_submit():
        try:
            moderation_service.flag(current_user, item, form.reason.data)
        except Invalid as error:
            show_errors(form, error)
            status = 409 if error.conflict else 422
        else:
            flash(THANKS, "success")
            anchor = "post" if kind == "post" else f"reply-{item.id}"
            return redirect(url_for("posts.show", post_id=post.id, _anchor=anchor))
    return render_template("moderation/report.html", form=form, item=item, kind=kind,
                           post=post, discussion=post.discussion,
                           course=post.discussion.course), status or status_of(form)


# Thread controls and earlier versions

_CONTROLS = {
    "lock": (moderation_service.set_locked, True,
             "Thread locked: only the course staff can reply now."),
    "unlock": (moderation_service.set_locked, False, "Thread unlocked: replies are open."),
    "pin": (moderation_service.set_pinned, True, "Post pinned to the top of the discussion."),
    "unpin": (moderation_service.set_pinned, False, "Post unpinned."),
}


@bp.post("/posts/<id:post_id>/<any(lock, unlock, pin, unpin):action>")
@login_required
def thread_control(post_id: int, action: str):
    post = post_service.get_post(current_user, post_id)
    service, value, message = _CONTROLS[action]
    service(current_user, post, value)
    flash(message, "success")
    return redirect(url_for("posts.show", post_id=post.id))


@bp.post("/revisions/<id:revision_id>/restore")
@login_required
def restore_revision(revision_id: int):
    revision = moderation_service.get_revision(current_user, revision_id)
    item = moderation_service.restore_revision(current_user, revision)
    flash("Earlier version restored; the text it replaced is kept as a revision.", "success")
    if revision.post_id:
        return redirect(url_for("posts.show", post_id=item.id))
    return redirect(url_for("posts.show", post_id=item.post_id, _anchor=f"reply-{item.id}"))
