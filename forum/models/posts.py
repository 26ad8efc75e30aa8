"""Posts, their sources, and the revisions kept when posts or replies are edited."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

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
from forum.models.limits import CITATION_MAX, TITLE_MAX, URL_MAX

if TYPE_CHECKING:
    from forum.models.discussions import Discussion
    from forum.models.images import Image
    from forum.models.replies import Reply
    from forum.models.users import User


class PostStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class Post(Deletable, Moderated, Appreciated, db.Model):
    __tablename__ = "posts"
    __table_args__ = (held_index("posts", "discussion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    discussion_id: Mapped[int] = mapped_column(ForeignKey("discussions.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    # Counted once when the body is written (forum.services.words.count_words).
    word_count: Mapped[int] = mapped_column(Integer, server_default="0")
    status: Mapped[PostStatus] = mapped_column(enum_column(PostStatus), default=PostStatus.DRAFT)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Staff lock a thread (no new replies) and pin posts to the top of the discussion.
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pinned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # How many times a reply appeared in its thread (forum.models.reading).
    reply_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Loaded for the post's page only (see forum.services.posts.get_post), else None.
    thread_stamp: Mapped[int | None] = query_expression()
    has_annotations: Mapped[bool | None] = query_expression()
    viewer_holds: Mapped[bool | None] = query_expression()
    viewer_likes: Mapped[bool | None] = query_expression()  # the post or a reply of it
    # The viewer's read mark: the thread's reply_seq they saw (None: never opened), and
    # whether classmates' writing was kept from them then.
    viewer_read_through: Mapped[int | None] = query_expression()
    viewer_read_unrevealed: Mapped[bool | None] = query_expression()
    # The viewer's subscription to the thread: "follow", "mute" or "" (none).
    viewer_follows: Mapped[str | None] = query_expression()

    discussion: Mapped[Discussion] = relationship(back_populates="posts")
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    endorsed_by: Mapped[User | None] = relationship(foreign_keys="Post.endorsed_by_id")
    sources: Mapped[list[PostSource]] = relationship(
        back_populates="post", order_by="PostSource.position", cascade="all, delete-orphan"
    )

    images: Mapped[list[Image]] = relationship(
        back_populates="post", order_by="Image.position", viewonly=True)
    # Every reply of the thread, deleted ones too; read by rules, written through Reply.
    replies: Mapped[list[Reply]] = relationship(viewonly=True)

    __mapper_args__ = {"version_id_col": version}

    @hybrid_property
    def is_published(self) -> bool:
        return self.status is PostStatus.PUBLISHED

    @is_published.inplace.expression
    @classmethod
    def _is_published_expression(cls):
        return cls.status == PostStatus.PUBLISHED

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None

    @property
    def is_late(self) -> bool:
        return self.discussion.is_late(self.published_at)


class PostSource(db.Model):
    """One entry of a post's Sources list: a citation and an optional link."""

    __tablename__ = "post_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    citation: Mapped[str] = mapped_column(String(CITATION_MAX))
    url: Mapped[str | None] = mapped_column(String(URL_MAX))

    post: Mapped[Post] = relationship(back_populates="sources")


class Revision(db.Model):
    """The text of a post or reply as it was before one edit."""

    __tablename__ = "revisions"
    __table_args__ = (
        CheckConstraint(
            "(post_id IS NULL) <> (reply_id IS NULL)", name="one_target"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"), index=True)
    reply_id: Mapped[int | None] = mapped_column(ForeignKey("replies.id"), index=True)
    title: Mapped[str | None] = mapped_column(String(TITLE_MAX))
    body: Mapped[str] = mapped_column(Text)
    editor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    editor: Mapped[User] = relationship()
