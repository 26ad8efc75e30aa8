"""Daily digests: at the hour each person chose, in their own time zone, one mail with
what they asked to receive that way and have not read yet, grouped by course and
thread. Nobody gets an empty digest, and nobody two in one local day."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from forum.extensions import db
from forum.models import Delivery, MailMessage, Notification, User, utcnow
from forum.services.mail_settings import mail_settings
from forum.timeutil import to_local
from forum.transactions import writes


def _waiting() -> select:
    return select(Notification.user_id).where(
        Notification.delivery == Delivery.DIGEST, Notification.mail_id.is_(None),
        Notification.read_at.is_(None)).distinct()


def is_digest_time(user: User, now: datetime) -> bool:
    """Their chosen local hour has come today and no digest went out since midnight
    (their time)."""
    local = to_local(now, user.timezone)
    if local.hour < user.digest_hour:
        return False
    if user.last_digest_at is None:
        return True
    return to_local(user.last_digest_at, user.timezone).date() < local.date()


@writes
def plan_digests(now: datetime | None = None) -> list[MailMessage]:
    """Make the digests that are due now: one mail per person, carrying their unread
    digest notifications."""
    if not mail_settings().enabled:
        return []
    now = now or utcnow()
    people = db.session.scalars(select(User).where(User.id.in_(_waiting()),
                                                   User.is_disabled.is_(False)))
    mails = []
    for person in people:
        if not is_digest_time(person, now):
            continue
        mail = MailMessage(user_id=person.id, digest=True, thread_key="digest",
                           created_at=now, send_after=now)
        db.session.add(mail)
        db.session.flush()
        db.session.execute(Notification.__table__.update().where(
            Notification.user_id == person.id, Notification.delivery == Delivery.DIGEST,
            Notification.mail_id.is_(None), Notification.read_at.is_(None))
            .values(mail_id=mail.id))
        person.last_digest_at = now
        mails.append(mail)
    db.session.commit()
    return mails
