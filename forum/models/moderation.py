"""Moderation: guests who comment, members' flags, spam verdicts and what the filter
learned, and the log of moderators' actions."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.base import UTCDateTime, utcnow
from forum.models.limits import EMAIL_MAX, NAME_MAX, REASON_MAX, URL_MAX

if TYPE_CHECKING:
    from forum.models.posts import Post
    from forum.models.replies import Reply
    from forum.models.users import User

ERASED_NAME = "Erased guest"


class Guest(db.Model):
    """Who wrote one guest comment, as they gave it. Only staff see the email and the
    address; erasing keeps the row with its personal data replaced."""

    __tablename__ = "guests"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), index=True)
    website: Mapped[str | None] = mapped_column(String(URL_MAX))
    ip_address: Mapped[str] = mapped_column(String(64), default="", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None


class Flag(db.Model):
    """A member's report of a post or reply, with why."""

    __tablename__ = "flags"
    __table_args__ = (
        CheckConstraint("(post_id IS NULL) <> (reply_id IS NULL)", name="one_target"),
        UniqueConstraint("post_id", "user_id", name="uq_flags_post_user"),
        UniqueConstraint("reply_id", "user_id", name="uq_flags_reply_user"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"), index=True)
    reply_id: Mapped[int | None] = mapped_column(ForeignKey("replies.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(REASON_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when a moderator acts on the item: the flag stays, answered.
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class SpamCheck(db.Model):
    """The filter's verdict on one reply: its score, the reasons shown to moderators,
    and the features it read, so that a staff decision learns from exactly those."""

    __tablename__ = "spam_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    reply_id: Mapped[int] = mapped_column(ForeignKey("replies.id"), unique=True)
    score: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    features: Mapped[list] = mapped_column(JSON, default=list)
    # What staff decided, once it was learned from: "spam" or "ham".
    learned: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    reply: Mapped[Reply] = relationship()


class SpamFeature(db.Model):
    """How often staff marked comments with this feature as spam and as genuine: the
    site's learning, shared by every worker and host. The row with the empty feature
    counts the decisions themselves."""

    __tablename__ = "spam_features"

    feature: Mapped[str] = mapped_column(String(200), primary_key=True)
    spam: Mapped[int] = mapped_column(Integer, default=0)
    ham: Mapped[int] = mapped_column(Integer, default=0)


class ModerationAction(enum.StrEnum):
    APPROVE = "approve"
    SPAM = "spam"
    HIDE = "hide"
    RESTORE = "restore"
    HOLD = "hold"  # the filter or members' flags held it
    LOCK = "lock"
    UNLOCK = "unlock"
    PIN = "pin"
    UNPIN = "unpin"
    RESTORE_REVISION = "restore_revision"
    ERASE_GUEST = "erase_guest"


class ModerationEntry(db.Model):
    """One line of the moderation log: who did what to which item, and why."""

    __tablename__ = "moderation_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the filter
    action: Mapped[str] = mapped_column(String(24))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    reply_id: Mapped[int | None] = mapped_column(ForeignKey("replies.id"))
    note: Mapped[str] = mapped_column(String(REASON_MAX), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship()
    post: Mapped[Post | None] = relationship()
