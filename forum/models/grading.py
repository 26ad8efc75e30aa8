"""Grades of a student's participation in a discussion, their audit trail, and
staff annotations on passages of posts."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.base import Deletable, UTCDateTime, enum_column, utcnow

if TYPE_CHECKING:
    from forum.models.discussions import Discussion
    from forum.models.posts import Post
    from forum.models.users import User


class GradeState(enum.StrEnum):
    DRAFT = "draft"
    RELEASED = "released"


class Grade(db.Model):
    """One per (discussion, student). Drafts are for staff; released grades for the
    student too. Every change leaves a GradeChange row."""

    __tablename__ = "grades"
    __table_args__ = (
        UniqueConstraint("discussion_id", "student_id", name="uq_grades_discussion_student"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    discussion_id: Mapped[int] = mapped_column(ForeignKey("discussions.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    score: Mapped[float | None] = mapped_column(Float)
    # criterion id -> level id, from the discussion's rubric at grading time
    rubric_scores: Mapped[dict] = mapped_column(JSON, default=dict)
    override_reason: Mapped[str | None] = mapped_column(Text)
    feedback: Mapped[str] = mapped_column(Text, default="")
    feedback_html: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[GradeState] = mapped_column(enum_column(GradeState),
                                              default=GradeState.DRAFT)
    grader_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the student last saw it released (written without raising the version: a
    # student looking never makes a grader's save conflict).
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when a released grade is changed again, so the student sees "updated".
    changed_after_release_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    discussion: Mapped[Discussion] = relationship()
    student: Mapped[User] = relationship(foreign_keys=[student_id])
    grader: Mapped[User] = relationship(foreign_keys=[grader_id])
    changes: Mapped[list[GradeChange]] = relationship(
        back_populates="grade", order_by="GradeChange.id")

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_released(self) -> bool:
        return self.state is GradeState.RELEASED


class GradeChange(db.Model):
    """The audit trail: who changed a grade, when, from what to what. Never edited."""

    __tablename__ = "grade_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    grade_id: Mapped[int] = mapped_column(ForeignKey("grades.id"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    old_score: Mapped[float | None] = mapped_column(Float)
    new_score: Mapped[float | None] = mapped_column(Float)
    old_state: Mapped[GradeState | None] = mapped_column(enum_column(GradeState))
    new_state: Mapped[GradeState] = mapped_column(enum_column(GradeState))
    note: Mapped[str] = mapped_column(String(200), default="")

    grade: Mapped[Grade] = relationship(back_populates="changes")
    actor: Mapped[User] = relationship()


class AnnotationVisibility(enum.StrEnum):
    PRIVATE = "private"  # the post's author and staff
    CLASS = "class"      # everyone who can read the post


class Annotation(Deletable, db.Model):
    """Staff feedback on a passage of a post, anchored by the quoted text and a little
    context around it, so it finds its passage again after other edits."""

    __tablename__ = "annotations"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    quote: Mapped[str] = mapped_column(Text)
    prefix: Mapped[str] = mapped_column(String(64), default="")
    suffix: Mapped[str] = mapped_column(String(64), default="")
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    visibility: Mapped[AnnotationVisibility] = mapped_column(
        enum_column(AnnotationVisibility), default=AnnotationVisibility.PRIVATE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    post: Mapped[Post] = relationship()
