"""Discussions: an instructor's topic in a course, with its dates and points."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    exists,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.base import UTCDateTime, enum_column, utcnow
from forum.models.courses import GuestComments, Visibility
from forum.models.limits import TITLE_MAX

if TYPE_CHECKING:
    from forum.models.courses import Course
    from forum.models.posts import Post


class Reveal(enum.StrEnum):
    """When a student sees classmates' posts and replies (staff always see them)."""

    ALWAYS = "always"
    AFTER_POSTING = "after_posting"  # once they published a post of their own here
    AFTER_DUE = "after_due"  # once the due date has passed
    AFTER_RELEASE = "after_release"  # once their grade for the discussion is released

    @property
    def label(self) -> str:
        return {"always": "Always", "after_posting": "After posting their own",
                "after_due": "After the due date",
                "after_release": "After their grade is released"}[self.value]


class Anonymity(enum.StrEnum):
    """Whether students may write without their name shown to classmates."""

    OFF = "off"
    ALLOWED = "allowed"
    REQUIRED = "required"

    @property
    def label(self) -> str:
        return {"off": "Off", "allowed": "Allowed",
                "required": "Required"}[self.value]


class Likes(enum.StrEnum):
    """Whether members like posts and replies here, and who sees the counts."""

    VISIBLE = "visible"
    STAFF = "staff"  # members like; only staff see the counts
    OFF = "off"

    @property
    def label(self) -> str:
        return {"visible": "On, counts shown to all", "staff": "On, counts shown to staff",
                "off": "Off"}[self.value]


class Discussion(db.Model):
    __tablename__ = "discussions"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    prompt: Mapped[str] = mapped_column(Text, default="")
    prompt_html: Mapped[str] = mapped_column(Text, default="")
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locks_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    points_possible: Mapped[float] = mapped_column(Float, default=0)
    # Set when an instructor closes the discussion by hand: read-only for everyone.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Grading settings: a rubric (criteria with levels) and participation requirements.
    rubric: Mapped[list] = mapped_column(JSON, default=list)
    min_posts: Mapped[int] = mapped_column(Integer, default=1)
    min_peer_replies: Mapped[int] = mapped_column(Integer, default=0)
    require_prompt_answers: Mapped[bool] = mapped_column(Boolean, default=False)
    allow_extra_credit: Mapped[bool] = mapped_column(Boolean, default=False)
    # None follows the course; a discussion of a public course may be kept to members,
    # and may take guest comments differently from the rest of the course.
    visibility: Mapped[Visibility | None] = mapped_column(enum_column(Visibility))
    guest_comments: Mapped[GuestComments | None] = mapped_column(enum_column(GuestComments))
    reveal: Mapped[Reveal] = mapped_column(
        enum_column(Reveal), default=Reveal.ALWAYS, server_default=Reveal.ALWAYS.value)
    anonymity: Mapped[Anonymity] = mapped_column(
        enum_column(Anonymity), default=Anonymity.OFF, server_default=Anonymity.OFF.value)
    likes: Mapped[Likes] = mapped_column(
        enum_column(Likes), default=Likes.VISIBLE, server_default=Likes.VISIBLE.value)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    course: Mapped[Course] = relationship(back_populates="discussions")
    posts: Mapped[list[Post]] = relationship(back_populates="discussion")

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_public(self) -> bool:
        """Readable by anyone: in a public course, unless kept to its members."""
        return self.course.is_public and self.visibility is not Visibility.PRIVATE

    @property
    def guest_policy(self) -> GuestComments:
        """Whether guests comment here: only where anyone may read."""
        if not self.is_public:
            return GuestComments.OFF
        return self.guest_comments or self.course.guest_comments

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    def has_opened(self, now: datetime) -> bool:
        return self.opens_at is None or now >= self.opens_at

    def has_locked(self, now: datetime) -> bool:
        return self.locks_at is not None and now >= self.locks_at

    def accepts_student_writing(self, now: datetime) -> bool:
        """Open for students: not closed, opened, not yet locked."""
        return not self.is_closed and self.has_opened(now) and not self.has_locked(now)

    def unlocked_by(self, user_id: int) -> bool:
        """Whether the user's own work here opened classmates' writing to them, for a
        discussion that reveals it after posting or after grading (one query)."""
        from forum.models.grading import Grade, GradeState
        from forum.models.posts import Post, PostStatus

        if self.reveal is Reveal.AFTER_POSTING:
            done = exists().where(Post.discussion_id == self.id, Post.author_id == user_id,
                                  Post.status == PostStatus.PUBLISHED, Post.deleted_at.is_(None))
        elif self.reveal is Reveal.AFTER_RELEASE:
            done = exists().where(Grade.discussion_id == self.id, Grade.student_id == user_id,
                                  Grade.state == GradeState.RELEASED)
        else:
            return False
        return bool(db.session.scalar(select(done)))

    def is_late(self, moment: datetime | None) -> bool:
        return moment is not None and self.due_at is not None and moment > self.due_at
