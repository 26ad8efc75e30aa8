"""What members do to others' writing besides answering it: likes and mentions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from forum.models.posts import Post
    from forum.models.replies import Reply
    from forum.models.users import User


class Like(db.Model):
    """A member's like of a post or a reply: one each. The item's like_count is kept
    with it (forum.models.base.Appreciated)."""

    __tablename__ = "likes"
    __table_args__ = (
        CheckConstraint("(post_id IS NULL) <> (reply_id IS NULL)", name="one_target"),
        UniqueConstraint("post_id", "user_id", name="uq_likes_post_user"),
        UniqueConstraint("reply_id", "user_id", name="uq_likes_reply_user"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    reply_id: Mapped[int | None] = mapped_column(ForeignKey("replies.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Mention(db.Model):
    """A course member named with @ in a post or a reply, found on their dashboard."""

    __tablename__ = "mentions"
    __table_args__ = (
        CheckConstraint("(post_id IS NULL) <> (reply_id IS NULL)", name="one_target"),
        UniqueConstraint("post_id", "user_id", name="uq_mentions_post_user"),
        UniqueConstraint("reply_id", "user_id", name="uq_mentions_reply_user"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    reply_id: Mapped[int | None] = mapped_column(ForeignKey("replies.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()
    post: Mapped[Post | None] = relationship()
    reply: Mapped[Reply | None] = relationship()
