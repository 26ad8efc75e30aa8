"""People: accounts, passwords and their course roles."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import AnonymousUserMixin, UserMixin
from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from forum.extensions import db
from forum.models.base import UTCDateTime, utcnow
from forum.models.limits import EMAIL_MAX, NAME_MAX, TIMEZONE_MAX

if TYPE_CHECKING:
    from forum.models.courses import Enrollment, Role
    from forum.models.discussions import Discussion


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)
    display_name: Mapped[str] = mapped_column(String(NAME_MAX))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Bumped to end every session of this user (password change, disabling).
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Where the daily digest is sent from: the person's own time zone and hour.
    timezone: Mapped[str] = mapped_column(String(TIMEZONE_MAX), default="UTC",
                                          server_default="UTC")
    digest_hour: Mapped[int] = mapped_column(Integer, default=7, server_default="7")
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The secret in the URLs of this person's private feeds (None: no feed yet);
    # a new one revokes the old URLs.
    feed_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The bell's count, loaded with the signed-in user (forum/web/__init__.py).
    unread_notifications: Mapped[int | None] = query_expression()

    enrollments: Mapped[list[Enrollment]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )
    guest_ids = frozenset()  # people with accounts comment as themselves

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        return f"{self.id}.{self.session_epoch}"

    @property
    def is_active(self) -> bool:
        return not self.is_disabled

    def course_role(self, course_id: int) -> Role | None:
        """This user's role in a course, or None when not a member."""
        for enrollment in self.enrollments:
            if enrollment.course_id == course_id:
                return enrollment.role
        return None

    def has_unlocked(self, discussion: Discussion) -> bool:
        """Whether this user's own work opened classmates' writing in the discussion to
        them (see Discussion.reveal)."""
        return discussion.unlocked_by(self.id)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.display_name!r}>"


class Anonymous(AnonymousUserMixin):
    """A visitor without an account or token: belongs to no course, may read public ones.
    `guest_ids` are the guest comments this visitor wrote from this browser, so that it
    alone sees them while they wait for review."""

    id = None
    is_admin = False
    display_name = "Guest"

    def __init__(self, guest_ids: frozenset[int] = frozenset()):
        self.guest_ids = frozenset(guest_ids)

    def course_role(self, course_id: int) -> Role | None:
        return None

    def has_unlocked(self, discussion: Discussion) -> bool:
        return False
