"""Mail: sending what `notifying` and `digests` planned, retried until it goes, and the
dead letters an admin may resend.

Sending one mail is three short units: claim it (one UPDATE that only one worker can
win, so a task run twice sends once), render and send it outside any transaction, then
record how it went. A mail whose worker died while sending is claimed again after
STALE_CLAIM. A failure waits 1, 2, 4 … times FORUM_MAIL_RETRY_SECONDS; after
FORUM_MAIL_ATTEMPTS tries the mail is dead, listed for admins. Each mail is rendered
for its reader as they may see things at that moment: a notification whose subject
they may no longer see is left out, and a mail left with nothing is cancelled.
"""

from __future__ import annotations

import logging
import smtplib
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, render_template, url_for
from flask_mailman import EmailMultiAlternatives
from sqlalchemy import or_, select, update

from forum.access import Actor, is_admin
from forum.errors import NotFound, PermissionDenied
from forum.extensions import db
from forum.models import MailMessage, MailState, Notification, User, utcnow
from forum.services import password_reset
from forum.services.mail_settings import mail_settings
from forum.services.notifications import NOTIFICATION_LOADS, Told, describe_all
from forum.services.subscriptions import unsubscribe_token
from forum.transactions import writes

log = logging.getLogger(__name__)
STALE_CLAIM = timedelta(minutes=10)
RETRY_CAP = timedelta(hours=6)


def _abandoned(now):
    """Claimed by a worker that died before it told how the sending went."""
    return (MailMessage.state == MailState.SENDING) & (MailMessage.claimed_at < now - STALE_CLAIM)


@writes
def claim(mail_id: int) -> bool:
    """Take a due, queued mail for sending; False if another worker has it or it is
    not due."""
    now = utcnow()
    result = db.session.execute(update(MailMessage).where(
        MailMessage.id == mail_id, MailMessage.send_after <= now,
        or_(MailMessage.state == MailState.QUEUED, _abandoned(now)))
        .values(state=MailState.SENDING, claimed_at=now, attempts=MailMessage.attempts + 1))
    db.session.commit()
    return result.rowcount == 1


def due_mail_ids(limit: int = 200, thread_key: str | None = None) -> list[int]:
    """Mails whose time has come, and claims that a dead worker left behind (only of
    one thread key, if given)."""
    now = utcnow()
    query = select(MailMessage.id).where(
        or_((MailMessage.state == MailState.QUEUED) & (MailMessage.send_after <= now),
            _abandoned(now)))
    if thread_key is not None:
        query = query.where(MailMessage.thread_key == thread_key)
    return list(db.session.scalars(query.order_by(MailMessage.send_after).limit(limit)))


@dataclass
class Letter:
    subject: str
    text: str
    html: str
    to: str
    headers: dict[str, str]
    notification_ids: list[int]


def _grouped(told: list[Told]) -> dict[str, dict[str, list[Told]]]:
    """Course title -> thread -> notifications, in the order they came."""
    groups: dict[str, dict[str, list[Told]]] = defaultdict(lambda: defaultdict(list))
    for item in told:
        groups[item.course.title if item.course else ""][item.thread_key].append(item)
    return groups


def _link(item: Told) -> str:
    if item.post_id is None:
        return url_for("grading.my_grades", _external=True) if item.kind == "grade_released" \
            else url_for("notifications.index", _external=True)
    anchor = f"reply-{item.reply_id}" if item.reply_id else None
    return url_for("posts.show", post_id=item.post_id, _anchor=anchor, _external=True)


def compose(mail: MailMessage) -> Letter | None:
    """The mail as its reader may see it now; None when nothing in it is theirs to see."""
    reader = db.session.get(User, mail.user_id)
    if reader is None or reader.is_disabled:
        return None
    if mail.thread_key == password_reset.THREAD_KEY:
        return _reset_letter(reader)
    rows = list(db.session.scalars(select(Notification).where(
        Notification.mail_id == mail.id, Notification.user_id == reader.id)
        .order_by(Notification.id).options(*NOTIFICATION_LOADS)))
    told = [item for item in describe_all(reader, rows) if item.available]
    if not told:
        return None
    settings = mail_settings()
    with current_app.test_request_context("/", base_url=settings.base_url):
        kind = None if mail.digest else told[0].kind
        token = unsubscribe_token(reader.id, kind)
        unsubscribe = url_for("notifications.unsubscribe", token=token, _external=True)
        context = {"reader": reader, "told": told, "groups": _grouped(told), "link": _link,
                   "unsubscribe": unsubscribe, "digest": mail.digest,
                   "settings_url": url_for("notifications.settings", _external=True)}
        subject = (f"Your daily digest: {len(told)} new" if mail.digest
                   else told[0].text if len(told) == 1
                   else f"{told[0].text} (and {len(told) - 1} more)")
        text = render_template("mail/notification.txt", **context)
        html = render_template("mail/notification.html", **context)
    headers = {"List-Unsubscribe": f"<{unsubscribe}>",
               "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
               "Auto-Submitted": "auto-generated"}
    return Letter(subject[:200], text, html, reader.email, headers, [t.id for t in told])


def _reset_letter(reader: User) -> Letter:
    """The link that sets a new password, its token written now (good for an hour)."""
    with current_app.test_request_context("/", base_url=mail_settings().base_url):
        link = url_for("auth.reset_password", token=password_reset.reset_token(reader),
                       _external=True)
        context = {"reader": reader, "link": link,
                   "hours": int(password_reset.TOKEN_AGE.total_seconds() // 3600)}
        text = render_template("mail/password_reset.txt", **context)
        html = render_template("mail/password_reset.html", **context)
    return Letter("Set a new password for the course forum", text, html, reader.email,
                  {"Auto-Submitted": "auto-generated"}, [])


def _send(letter: Letter) -> None:
    message = EmailMultiAlternatives(subject=letter.subject, body=letter.text,
                                     from_email=mail_settings().sender, to=[letter.to],
                                     headers=letter.headers)
    message.attach_alternative(letter.html, "text/html")
    message.send()


@writes
def _record(mail_id: int, letter: Letter | None, error: str | None) -> MailMessage:
    mail = db.session.get(MailMessage, mail_id)
    now = utcnow()
    if letter is None:
        mail.state = MailState.CANCELLED
    elif error is None:
        mail.state, mail.sent_at, mail.subject, mail.last_error = (
            MailState.SENT, now, letter.subject, None)
    else:
        settings = mail_settings()
        mail.last_error, mail.subject = error[:2000], letter.subject or mail.subject
        if mail.attempts >= settings.attempts:
            mail.state = MailState.DEAD
        else:
            wait = timedelta(seconds=settings.retry_seconds * 2 ** (mail.attempts - 1))
            mail.state, mail.send_after = MailState.QUEUED, now + min(wait, RETRY_CAP)
    db.session.commit()
    return mail


def deliver(mail_id: int) -> MailState | None:
    """Send one planned mail if it is due and nobody else is sending it; returns its
    new state, or None when it was not this caller's to send."""
    if not mail_settings().enabled or not claim(mail_id):
        return None
    mail = db.session.get(MailMessage, mail_id)
    reader_id, error = mail.user_id, None
    try:
        letter = compose(mail)
    except Exception as failure:  # a bug must not leave the mail claimed for good
        log.exception("mail %s to user %s could not be written", mail_id, reader_id)
        letter, error = Letter("", "", "", "", {}, []), f"{type(failure).__name__}: {failure}"
    db.session.rollback()  # no transaction held open while the SMTP server answers
    if letter is not None and error is None:
        try:
            _send(letter)
        except (smtplib.SMTPException, OSError) as failure:
            error = f"{type(failure).__name__}: {failure}"
            log.warning("mail %s to user %s not sent: %s", mail_id, reader_id, error)
    return _record(mail_id, letter, error).state


# Dead letters


def dead_letters(actor: Actor, limit: int = 100) -> list[MailMessage]:
    if not is_admin(actor):
        raise PermissionDenied("Only site admins see mail that could not be sent.")
    return list(db.session.scalars(select(MailMessage).where(
        MailMessage.state == MailState.DEAD).order_by(MailMessage.id.desc()).limit(limit)))


@writes
def resend(actor: Actor, mail_id: int) -> MailMessage:
    """Queue a dead mail again, its attempts counted afresh. Raises PermissionDenied,
    NotFound."""
    if not is_admin(actor):
        raise PermissionDenied("Only site admins resend mail.")
    mail = db.session.get(MailMessage, mail_id)
    if mail is None or mail.state is not MailState.DEAD:
        raise NotFound("No dead mail has this id.")
    mail.state, mail.attempts, mail.send_after = MailState.QUEUED, 0, utcnow()
    db.session.commit()
    return mail
