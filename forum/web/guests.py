"""Visitors without an account: the anonymous actor who knows the guest comments this
browser wrote, and the guest comment form of a public post, limited per address."""

from __future__ import annotations

from flask import (
    Blueprint,
    flash,
    jsonify,
    make_response,
    redirect,
    request,
    session,
    url_for,
)
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from forum.access import can_comment_as_guest
from forum.errors import Invalid, NotFound
from forum.extensions import limiter
from forum.limits import guest_limit
from forum.models import Anonymous, Moderation
from forum.services import posts as post_service
from forum.services.guests import GuestInput, comment_as_guest
from forum.web.forms import GuestCommentForm, optional_id, show_errors
from forum.web.posts import render_post
from forum.web.thread_view import GUEST_COMMENTS

bp = Blueprint("guests", __name__)
KEPT_COMMENTS = 50  # the newest guest comments a browser remembers having written
PUBLISHED = "Your comment is published."
# Said of spam too: a sender is never told that the filter took it for spam.
HELD = "Your comment is held for review; it appears once the course staff approve it."


def anonymous_visitor() -> Anonymous:
    """The visitor without an account, with the guest comments this browser wrote
    (kept in its signed session), so that it sees them while they wait for review."""
    written = session.get(GUEST_COMMENTS)
    if not isinstance(written, dict):
        return Anonymous()
    return Anonymous(guest_ids=frozenset(int(key) for key in written
                                         if isinstance(key, str) and key.isdigit()))


def _remember(guest_id: int, post_id: int) -> None:
    written = dict(session.get(GUEST_COMMENTS) or {})
    written.pop(str(guest_id), None)
    written[str(guest_id)] = post_id
    session[GUEST_COMMENTS] = dict(list(written.items())[-KEPT_COMMENTS:])


def commented(response) -> bool:
    """Only comments taken count (they redirect); a form sent back to be corrected
    does not."""
    return response.status_code == 302


def _limit_message(breached) -> str:
    item = breached.limit
    unit, multiples = item.GRANULARITY.name, item.multiples
    if item.GRANULARITY.seconds * multiples <= 60:
        return "Nothing was sent: you can comment again in a few seconds. Your text is kept."
    if item.GRANULARITY.seconds * multiples < 3600:
        return "Nothing was sent: you can comment again in a few minutes. Your text is kept."
    period = (f"{'an' if unit == 'hour' else 'a'} {unit}" if multiples == 1
              else f"every {multiples} {unit}s")
    return (f"Nothing was sent: we take at most {item.amount} comments {period} from one "
            "address. Please try again later; your text is kept.")


def _comment_later(breached):
    """The post page again, the form as typed, with the limit that refused it."""
    post = post_service.get_post(current_user, request.view_args["post_id"], for_page=True)
    form = GuestCommentForm()
    form.form_errors.append(_limit_message(breached))
    return make_response(render_post(post, 429, guest_form=form))


@bp.post("/posts/<id:post_id>/comments")
@limiter.limit(guest_limit, deduct_when=commented, on_breach=_comment_later)
def comment(post_id: int):
    post = post_service.get_post(current_user, post_id)
    form = GuestCommentForm()
    try:
        if not form.validate():
            raise Invalid({})
        reply = comment_as_guest(current_user, post, GuestInput(
            name=form.name.data, email=form.email.data, website=form.website.data,
            body=form.body.data, parent_id=optional_id(form.parent_id.data),
            ip_address=request.remote_addr or "", honeypot=form.homepage_url.data or "",
            seconds_on_form=form.seconds_on_form()))
    except Invalid as error:
        show_errors(form, error)
        if "parent_id" in error.errors:  # a hidden field: say it at the top
            form.form_errors.extend(error.errors["parent_id"])
        return render_post(post, 409 if error.conflict else 422, guest_form=form)
    _remember(reply.guest_id, post_id)
    published = reply.moderation is Moderation.PUBLISHED
    flash(PUBLISHED if published else HELD, "success")
    return redirect(url_for("posts.show", post_id=post_id, _anchor=f"reply-{reply.id}"))


@bp.get("/posts/<id:post_id>/comments/form-token")
def form_token(post_id: int):
    """This browser's CSRF token and form clock for the guest comment form of a page
    that shared caches keep without them (forum/web/conditional.py): asked for when
    the visitor starts writing, so the clock starts then."""
    post = post_service.get_post(current_user, post_id)
    if not can_comment_as_guest(current_user, post):
        raise NotFound("No comment form here.")
    form = GuestCommentForm(formdata=None)
    form.start_clock()
    response = jsonify(csrf_token=generate_csrf(), started=form.started.data)
    response.headers["Cache-Control"] = "private, no-store"
    return response
