"""Personal access tokens: issued once, stored hashed, revocable, expiring."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from forum.errors import NotFound
from forum.extensions import db
from forum.models import ApiToken, User, utcnow
from forum.models.limits import NAME_MAX
from forum.services.validation import clean_text, collecting_errors
from forum.transactions import writes

# "forum access token": recognisable in logs and by secret scanners
TOKEN_PREFIX = "fat_"  # noqa: S105 - a prefix, not a secret
EXPIRY_DAYS_MAX = 366
# What a new token lasts unless its owner chooses otherwise, on the web and the API.
EXPIRY_DAYS_DEFAULT = 90
# Writing last_used_at on every request would make each API call a write.
LAST_USED_GRANULARITY = timedelta(minutes=5)
_MARKED = "forum.token_use_marked"  # in the session's info: a mark waits for its commit


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@writes
def create_token(user: User, name: str | None,
                 expires_in_days: int | None = EXPIRY_DAYS_DEFAULT) -> tuple[ApiToken, str]:
    """Issue a token for the user, expiring after the days given (None: never); the
    secret is returned once and never stored. Raises Invalid."""
    with collecting_errors() as errors:
        name = clean_text(errors, "name", name, max_length=NAME_MAX, label="Name")
        if expires_in_days is not None and not 1 <= expires_in_days <= EXPIRY_DAYS_MAX:
            errors.add("expires_in_days", f"Choose 1 to {EXPIRY_DAYS_MAX} days, or no expiry.")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)  # 256 random bits
    now = utcnow()
    token = ApiToken(
        user_id=user.id, name=name, token_hash=_digest(secret), prefix=secret[:10],
        created_at=now,
        expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    db.session.add(token)
    db.session.commit()
    return token, secret


def user_for_token(secret: str) -> User | None:
    """The active user a presented secret belongs to, or None (unknown, expired, revoked).

    Marks the token used (every few minutes) without committing: the mark is committed
    with the caller's use case, or by `commit_token_use` when the request writes nothing.
    """
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    # With the user's courses in the same statement: nearly every call asks a rule
    # that reads the caller's role.
    token = db.session.scalars(
        select(ApiToken).where(ApiToken.token_hash == _digest(secret))
        .options(joinedload(ApiToken.user).joinedload(User.enrollments))
    ).unique().one_or_none()
    now = utcnow()
    if token is None or not token.is_usable(now) or token.user.is_disabled:
        return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_GRANULARITY:
        token.last_used_at = now
        db.session.info[_MARKED] = True
    return token.user


def commit_token_use() -> None:
    """Commit the mark of a token's use, for a request whose use case commits nothing
    (a read); commits nothing when no token was marked. The mark may already have been
    flushed by a query of the read, so the session remembers that it was made."""
    if db.session.info.pop(_MARKED, False):
        db.session.commit()


def tokens_of(user: User) -> list[ApiToken]:
    """The user's tokens, newest first, revoked ones included."""
    return list(db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    ))


@writes
def revoke_token(user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens at once. Raises NotFound."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound("No such token.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.commit()
    return token
