"""Notifications: the list behind the bell, read marks, delivery choices, following
and muting, one-click unsubscribe from mail, and the dead letters for admins."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from forum.errors import Invalid, NotFound
from forum.extensions import csrf
from forum.models import Course, Delivery, Discussion, EventKind, Post
from forum.services import mailing, notifications, subscriptions
from forum.services.courses import get_course
from forum.services.discussions import get_discussion
from forum.services.posts import get_post
from forum.web.auth import form_page
from forum.web.forms import page_number
from forum.web.handlers import error_page

bp = Blueprint("notifications", __name__)
PAGE_SIZE = 30
PAGE_MAX = 10_000
HOURS = range(24)


@bp.get("/notifications")
@login_required
def index():
    page = page_number(request.args.get("page"), PAGE_MAX)
    unread_only = request.args.get("show") == "unread"
    told, total = notifications.notifications_page(
        current_user, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE, unread_only=unread_only)
    return render_template("notifications/index.html", told=told, total=total, page=page,
                           last_page=max(1, -(-total // PAGE_SIZE)), unread_only=unread_only,
                           groups=notifications.by_day(current_user, told))


@bp.post("/notifications/<id:notification_id>/read")
@login_required
def read(notification_id: int):
    notification = notifications.get_notification(current_user, notification_id)
    notifications.mark_read(current_user, notification)
    return redirect(form_page())


@bp.post("/notifications/read")
@login_required
def read_all():
    count = notifications.mark_all_read(current_user)
    flash(f"{count} notification{'' if count == 1 else 's'} marked read.", "success")
    return redirect(url_for("notifications.index"))


@bp.route("/notifications/settings", methods=["GET", "POST"])
@login_required
def settings():
    errors = {}
    if request.method == "POST":
        deliveries = {kind.value: chosen for kind in EventKind
                      if (chosen := request.form.get(f"delivery-{kind.value}")) is not None}
        hour = request.form.get("digest_hour", "")
        try:
            subscriptions.set_choices(
                current_user, deliveries=deliveries, timezone=request.form.get("timezone"),
                digest_hour=int(hour) if hour.isdigit() else -1)
        except Invalid as error:
            errors = error.errors
        else:
            flash("Your notification settings are saved.", "success")
            return redirect(url_for("notifications.settings"))
    return render_template(
        "notifications/settings.html", choices=subscriptions.choices_of(current_user),
        labels=subscriptions.kind_labels(current_user), deliveries=list(Delivery),
        hours=HOURS,
        mail_on=current_app.config.get("FORUM_MAIL_ENABLED"), errors=errors,
        form=request.form if errors else None), 422 if errors else 200


_FINDERS = {"post": get_post, "discussion": get_discussion, "course": get_course}


@bp.post("/<any(post, discussion, course):target>/<id:target_id>/subscription")
@login_required
def subscribe(target: str, target_id: int):
    thing: Post | Discussion | Course = _FINDERS[target](current_user, target_id)
    level = request.form.get("level", "")
    try:
        subscriptions.set_subscription(current_user, thing, level)
    except Invalid as error:
        flash(" ".join(error.errors.get("level", [])), "error")
    else:
        flash({"follow": "You follow it now: you will be told of what is new.",
               "mute": "Muted: you will not be told of new replies here.",
               "none": "You no longer follow it."}[level], "success")
    return redirect(form_page())


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: the mail program posts with no session; the token is the proof
def unsubscribe(token: str):
    """A link from a mail: GET asks, POST (the page's button, or a mail program's
    one-click) stops that kind of mail. No login: logging in would not make a bad
    token good, so a bad one is a plain 404."""
    labels = subscriptions.kind_labels()
    try:
        if request.method == "POST":
            _person, kind = subscriptions.unsubscribe(token)
            return render_template("notifications/unsubscribed.html", kind=kind, labels=labels)
        _person, kind = subscriptions.read_unsubscribe_token(token)
    except NotFound as error:
        return error_page(404, error.message)
    return render_template("notifications/unsubscribe.html", token=token, kind=kind,
                           labels=labels)


@bp.get("/admin/mail")
@login_required
def dead_letters():
    return render_template("notifications/dead_letters.html",
                           mails=mailing.dead_letters(current_user))


@bp.post("/admin/mail/<id:mail_id>/resend")
@login_required
def resend(mail_id: int):
    mailing.resend(current_user, mail_id)
    flash("The mail is queued again.", "success")
    return redirect(url_for("notifications.dead_letters"))
