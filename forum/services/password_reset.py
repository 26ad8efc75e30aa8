"""A forgotten password: a mail with a link that sets a new one.

Asking never tells whether an address has an account (the answer is the same either
way). The link carries a signed token, written when the mail is written and good for
TOKEN_AGE; it names the account and a fingerprint of its present password and session
epoch, so it works once: setting a password (or any other change of it) spends every
link sent before. Mail goes through the worker like every other (services/mailing.py),
so a mail server that is down delays it rather than losing it."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import exists, select

from forum.errors import Invalid
from forum.extensions import db
from forum.models import MailMessage, MailState, User, utcnow
from forum.services import events
from forum.services.accounts import check_password_rules, find_user_by_email
from forum.services.validation import collecting_errors
from forum.transactions import writes

THREAD_KEY = "password-reset"
TOKEN_AGE = timedelta(hours=1)
# One mail per account in this time, however often the form is sent.
QUIET = timedelta(minutes=5)
EXPIRED = "This link has expired or was used already. Ask for a new one."


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def _fingerprint(user: User) -> str:
    return hashlib.sha256(f"{user.password_hash}:{user.session_epoch}".encode()
                          ).hexdigest()[:16]


def reset_token(user: User) -> str:
    return _serializer().dumps({"user": user.id, "was": _fingerprint(user)})


def user_of(token: str | None) -> User | None:
    """The account a live token opens, or None (forged, old, spent, disabled)."""
    try:
        data = _serializer().loads(token or "", max_age=int(TOKEN_AGE.total_seconds()))
    except BadData:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("user"), int):
        return None
    user = db.session.get(User, data["user"])
    if user is None or user.is_disabled or data.get("was") != _fingerprint(user):
        return None
    return user


@writes
def ask_for_reset(email: str | None) -> None:
    """Queue a reset mail to the account with this address, if there is one and it had
    none in the last QUIET minutes. Says nothing either way."""
    user = find_user_by_email((email or "").strip().lower()) if email else None
    if user is None or user.is_disabled or _recently_mailed(user):
        return
    db.session.add(MailMessage(user_id=user.id, thread_key=THREAD_KEY,
                               state=MailState.QUEUED, send_after=utcnow()))
    events.worker_needed()
    db.session.commit()


def _recently_mailed(user: User) -> bool:
    return bool(db.session.scalar(select(exists().where(
        MailMessage.user_id == user.id, MailMessage.thread_key == THREAD_KEY,
        MailMessage.created_at > utcnow() - QUIET))))


@writes
def reset_password(token: str | None, new_password: str | None) -> User:
    """Set the password a live token allows; other sessions end, the link is spent.
    Raises Invalid."""
    user = user_of(token)
    if user is None:
        raise Invalid({"token": [EXPIRED]})
    with collecting_errors() as errors:
        new_password = check_password_rules(errors, "new_password", new_password)
    user.set_password(new_password)
    user.session_epoch += 1
    db.session.commit()
    return user
