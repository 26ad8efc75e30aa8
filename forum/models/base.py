"""Shared column types and helpers for the models."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import (
    DateTime,
    Enum,
    ForeignKey,
    Index,
    String,
    TypeDecorator,
    false,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column


def utcnow() -> datetime:
    """The current moment, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stores naive UTC on every database and always hands back aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware datetime in UTC")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def enum_column(enum_class: type[enum.Enum], length: int = 16) -> Enum:
    """A portable enum column storing the member's value as a short string."""
    return Enum(
        enum_class,
        native_enum=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class Deletable:
    """Content that users delete to a tombstone: the row stays, marked, restorable."""

    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @hybrid_property
    def is_live(self) -> bool:
        """Not deleted; in SQL, the condition for rows that are not tombstones."""
        return self.deleted_at is None

    @is_live.inplace.expression
    @classmethod
    def _is_live_expression(cls):
        return cls.deleted_at.is_(None)

    def mark_deleted(self, actor_id: int) -> None:
        self.deleted_at, self.deleted_by_id = utcnow(), actor_id

    def mark_restored(self) -> None:
        self.deleted_at, self.deleted_by_id = None, None


class Moderation(enum.StrEnum):
    """Where a post or reply stands with the moderators: only published items are
    shown to everyone who reads the thread; the others to staff (and their author)."""

    PUBLISHED = "published"
    PENDING = "pending"  # held for review
    SPAM = "spam"
    HIDDEN = "hidden"  # taken down by staff or by members' flags, with a reason

    @property
    def label(self) -> str:
        return {"published": "Published", "pending": "Awaiting review", "spam": "Spam",
                "hidden": "Hidden"}[self.value]


# Held rows, as SQL text: a query must spell it so (a literal, not a bound parameter) for
# SQLite to use the partial indexes below.
HELD_SQL = "moderation <> 'published'"


def held_index(table: str, *columns: str) -> Index:
    """An index of only the held rows (few), for the queue and for finding a viewer's own
    held replies. Partial on purpose: a whole-column index of a value nearly every row
    shares leads SQLite's planner to read every published reply for "published, or the
    viewer's own"."""
    held = text(HELD_SQL)
    return Index(f"ix_{table}_held", *columns, sqlite_where=held, postgresql_where=held)


class Appreciated:
    """Content that staff endorse and members like: the count is kept on the row, so
    that a like changes the item's version (and the thread's stamp) like any edit."""

    endorsed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    endorsed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    like_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # Written without a name shown to classmates (the discussion allows or requires it).
    anonymous: Mapped[bool] = mapped_column(default=False, server_default=false())

    @property
    def is_endorsed(self) -> bool:
        return self.endorsed_at is not None


class Moderated:
    """Content that moderators can hold back: the row stays, only who sees it changes."""

    moderation: Mapped[Moderation] = mapped_column(
        enum_column(Moderation), default=Moderation.PUBLISHED,
        server_default=Moderation.PUBLISHED.value)
    # Why staff hid it, shown to its author.
    moderation_reason: Mapped[str | None] = mapped_column(String(500))
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @hybrid_property
    def is_approved(self) -> bool:
        """Published by the moderators; in SQL, the condition for such rows."""
        return self.moderation is Moderation.PUBLISHED

    @is_approved.inplace.expression
    @classmethod
    def _is_approved_expression(cls):
        return cls.moderation == Moderation.PUBLISHED

    @property
    def is_held(self) -> bool:
        return self.moderation is not Moderation.PUBLISHED
