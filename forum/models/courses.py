"""Courses and who belongs to them in which role."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    Update,
    true,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.base import UTCDateTime, enum_column, utcnow
from forum.models.limits import COURSE_CODE_MAX, TERM_MAX, TIMEZONE_MAX, TITLE_MAX

if TYPE_CHECKING:
    from forum.models.discussions import Discussion
    from forum.models.users import User


class Visibility(enum.StrEnum):
    PRIVATE = "private"
    PUBLIC = "public"


class GuestComments(enum.StrEnum):
    """Whether visitors without an account may comment on a public course's posts."""

    OFF = "off"
    MODERATED = "moderated"  # every guest comment waits for staff
    AUTO = "auto"  # comments the spam filter scores clean are published at once


class Role(enum.StrEnum):
    STUDENT = "student"
    TA = "ta"
    INSTRUCTOR = "instructor"

    @property
    def label(self) -> str:
        return {"student": "Student", "ta": "TA", "instructor": "Instructor"}[self.value]

    @property
    def is_staff(self) -> bool:
        return self is not Role.STUDENT


class Course(db.Model):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(COURSE_CODE_MAX), unique=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    term: Mapped[str] = mapped_column(String(TERM_MAX), default="")
    timezone: Mapped[str] = mapped_column(String(TIMEZONE_MAX), default="UTC")
    visibility: Mapped[Visibility] = mapped_column(
        enum_column(Visibility), default=Visibility.PRIVATE
    )
    guest_comments: Mapped[GuestComments] = mapped_column(
        enum_column(GuestComments), default=GuestComments.OFF,
        server_default=GuestComments.OFF.value)
    # Spam scores (0 to 1) at or above spam_threshold go to spam; from hold_threshold up
    # they wait for review; below it a comment may be published where the course allows.
    spam_threshold: Mapped[float] = mapped_column(Float, default=0.9, server_default="0.9")
    hold_threshold: Mapped[float] = mapped_column(Float, default=0.5, server_default="0.5")
    # Whether its staff are told of comments waiting for review.
    notify_held: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Grows whenever a name or a role shown on the course's pages changes, so that
    # rendered copies of those pages (see forum/web/thread_view.py) are not reused.
    people_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    enrollments: Mapped[list[Enrollment]] = relationship(
        back_populates="course", cascade="all, delete-orphan"
    )
    discussions: Mapped[list[Discussion]] = relationship(
        back_populates="course", order_by="Discussion.id"
    )

    @property
    def is_public(self) -> bool:
        return self.visibility is Visibility.PUBLIC

    def __repr__(self) -> str:
        return f"<Course {self.code}>"


def people_changed(course_id: int | None = None) -> Update:
    """The statement that marks a course's names and roles as changed (every course's
    when no id is given: a new display name shows wherever its owner ever wrote)."""
    statement = update(Course).values(people_version=Course.people_version + 1)
    if course_id is not None:
        statement = statement.where(Course.id == course_id)
    return statement.execution_options(synchronize_session=False)


class Enrollment(db.Model):
    __tablename__ = "enrollments"
    __table_args__ = (UniqueConstraint("user_id", "course_id", name="uq_enrollments_user_course"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="enrollments")
    course: Mapped[Course] = relationship(back_populates="enrollments")
