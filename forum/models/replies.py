"""Replies in a post's thread, including staff prompts, kept in tree order by path."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, Text, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from forum.extensions import db
from forum.models.base import (
    Appreciated,
    Deletable,
    Moderated,
    UTCDateTime,
    enum_column,
    held_index,
    utcnow,
)

if TYPE_CHECKING:
    from forum.models.moderation import Guest
    from forum.models.posts import Post
    from forum.models.users import User

# Each ancestor contributes one fixed-width segment, so ordering by path is tree order.
PATH_SEGMENT_WIDTH = 10

# Byte order must decide, not a locale's collation rules.
PathText = Text().with_variant(Text(collation="C"), "postgresql")


def path_segment(reply_id: int) -> str:
    return f"{reply_id:0{PATH_SEGMENT_WIDTH}d}"


def path_ids(path: str) -> list[int]:
    """The reply ids named by a path, root first (the reply itself last)."""
    width = PATH_SEGMENT_WIDTH
    return [int(path[i : i + width]) for i in range(0, len(path), width)]


class ReplyKind(enum.StrEnum):
    REPLY = "reply"
    PROMPT = "prompt"


class PromptState(enum.StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    RESOLVED = "resolved"


class Reply(Deletable, Moderated, Appreciated, db.Model):
    __tablename__ = "replies"
    __table_args__ = (
        Index("ix_replies_post_path", "post_id", "path"),
        Index("ix_replies_post_seq", "post_id", "seq"),
        # The kept thread's and the kept list's stamps sum versions by post from the
        # index alone, never reading the replies' rows.
        Index("ix_replies_post_version", "post_id", "version"),
        CheckConstraint("(author_id IS NULL) <> (guest_id IS NULL)", name="one_author"),
        held_index("replies", "author_id", "post_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("replies.id"), index=True)
    # A member wrote it, or a guest of a public course (then author_id is None).
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    guest_id: Mapped[int | None] = mapped_column(ForeignKey("guests.id"), unique=True)
    kind: Mapped[ReplyKind] = mapped_column(enum_column(ReplyKind), default=ReplyKind.REPLY)
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    # Counted once when the body is written (forum.services.words.count_words).
    word_count: Mapped[int] = mapped_column(Integer, server_default="0")
    # A passage quoted from the post (a prompt asks about it; a reply answers it), or
    # from the reply named by quoted_reply_id.
    quote: Mapped[str | None] = mapped_column(Text)
    quoted_reply_id: Mapped[int | None] = mapped_column(ForeignKey("replies.id"))
    prompt_state: Mapped[PromptState | None] = mapped_column(enum_column(PromptState))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    path: Mapped[str] = mapped_column(PathText, default="")
    depth: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The post's reply_seq when it appeared (forum.models.reading): unread marks.
    seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    post: Mapped[Post] = relationship()
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    endorsed_by: Mapped[User | None] = relationship(foreign_keys="Reply.endorsed_by_id")
    guest: Mapped[Guest | None] = relationship()
    parent: Mapped[Reply | None] = relationship(remote_side=[id], foreign_keys=[parent_id])
    quoted_reply: Mapped[Reply | None] = relationship(remote_side=[id],
                                                      foreign_keys=[quoted_reply_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_prompt(self) -> bool:
        return self.kind is ReplyKind.PROMPT

    @property
    def is_by_guest(self) -> bool:
        return self.guest_id is not None

    @property
    def author_name(self) -> str:
        return self.guest.name if self.guest is not None else self.author.display_name

    @property
    def ancestor_ids(self) -> list[int]:
        return path_ids(self.path)[:-1]


# The post page keeps each thread rendered, keyed by the sum of its replies' versions
# (forum/web/thread_view.py). That key is right only while no reply is ever removed and
# every change to a reply raises its version. ORM updates raise it by themselves
# (version_id_col); these guards refuse the two ways around that.
class ThreadRuleBroken(RuntimeError):
    """A write would change a thread without changing its stamp."""


@event.listens_for(Reply, "before_delete")
def _never_removed(_mapper, _connection, reply: Reply) -> None:
    raise ThreadRuleBroken(f"replies are never removed (reply {reply.id}); delete to a tombstone")


@event.listens_for(Session, "do_orm_execute")
def _bulk_writes_raise_versions(state) -> None:
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if table is None or table.name != Reply.__tablename__:
        return
    if state.is_delete:
        raise ThreadRuleBroken("replies are never removed; delete to a tombstone")
    written = {getattr(column, "key", column) for column in state.statement._values or {}}
    if "version" not in written:
        raise ThreadRuleBroken("a bulk update of replies must raise their version")
