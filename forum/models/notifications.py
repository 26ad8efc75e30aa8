"""What people are told: events written with the changes, subscriptions, the
notifications made from events, each person's delivery choices, and the mail outbox.

An Event is written in the same commit as the change it tells of (a transactional
outbox). The worker turns each unprocessed event into Notifications for the people who
may see what it is about, once: a notification is unique per event and person. Mail
goes through MailMessage rows, so that a mail that cannot go out waits and is retried,
and a dead one stays for an admin to resend.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.base import UTCDateTime, enum_column, utcnow
from forum.models.courses import Course
from forum.models.posts import Post
from forum.models.replies import Reply


class EventKind(enum.StrEnum):
    REPLY_CREATED = "reply_created"  # a reply appeared (written, or published later)
    PROMPT_ASKED = "prompt_asked"
    PROMPT_ANSWERED = "prompt_answered"
    MENTION = "mention"
    GRADE_RELEASED = "grade_released"
    COMMENT_HELD = "comment_held"  # a reply or guest comment waits for review
    POST_PUBLISHED = "post_published"


KIND_LABELS = {
    EventKind.REPLY_CREATED: "Replies in threads I follow",
    EventKind.PROMPT_ASKED: "Questions from instructors on my posts",
    EventKind.PROMPT_ANSWERED: "Answers to my questions",
    EventKind.MENTION: "Mentions of me",
    EventKind.GRADE_RELEASED: "Grades released to me",
    EventKind.COMMENT_HELD: "Comments waiting for moderation (staff)",
    EventKind.POST_PUBLISHED: "New posts in discussions and courses I follow",
}


class Delivery(enum.StrEnum):
    """How a person takes one kind of notification by email (the bell always shows it)."""

    IMMEDIATE = "immediate"
    DIGEST = "digest"
    NEVER = "never"


DEFAULT_DELIVERY = {
    EventKind.REPLY_CREATED: Delivery.IMMEDIATE,
    EventKind.PROMPT_ASKED: Delivery.IMMEDIATE,
    EventKind.PROMPT_ANSWERED: Delivery.IMMEDIATE,
    EventKind.MENTION: Delivery.IMMEDIATE,
    EventKind.GRADE_RELEASED: Delivery.IMMEDIATE,
    EventKind.COMMENT_HELD: Delivery.DIGEST,
    EventKind.POST_PUBLISHED: Delivery.DIGEST,
}


class Event(db.Model):
    """A change others may react to, written in the change's own commit."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_unprocessed", "processed_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind, 32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    reply_id: Mapped[int | None] = mapped_column(ForeignKey("replies.id"))
    grade_id: Mapped[int | None] = mapped_column(ForeignKey("grades.id"))
    # The one person the event names: who was mentioned, whose grade was released.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    course: Mapped[Course] = relationship()
    post: Mapped[Post | None] = relationship()
    reply: Mapped[Reply | None] = relationship()


class Notification(db.Model):
    """One person told of one event; read when they have seen it."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "event_id", name="uq_notifications_user_event"),
        Index("ix_notifications_user_unread", "user_id", "read_at"),
        Index("ix_notifications_mail", "mail_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind, 32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivery: Mapped[Delivery] = mapped_column(enum_column(Delivery))
    # The mail that carries (or carried) it; None while it waits for a digest or never goes.
    mail_id: Mapped[int | None] = mapped_column(ForeignKey("mail_messages.id"))

    event: Mapped[Event] = relationship()


class SubscriptionLevel(enum.StrEnum):
    FOLLOW = "follow"
    MUTE = "mute"


class Subscription(db.Model):
    """A person following (or muting) a post's thread, a discussion or a course."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        UniqueConstraint("user_id", "target", "target_id", name="uq_subscriptions_target"),
        Index("ix_subscriptions_target", "target", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    target: Mapped[str] = mapped_column(String(16))  # post, discussion, course
    target_id: Mapped[int] = mapped_column(Integer)
    level: Mapped[SubscriptionLevel] = mapped_column(enum_column(SubscriptionLevel))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Preference(db.Model):
    """A person's choice of email delivery for one kind of notification."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind, 32), primary_key=True)
    delivery: Mapped[Delivery] = mapped_column(enum_column(Delivery))


class MailState(enum.StrEnum):
    QUEUED = "queued"  # waits for its send_after
    SENDING = "sending"  # claimed by one worker
    SENT = "sent"
    DEAD = "dead"  # gave up after its attempts; an admin may resend
    CANCELLED = "cancelled"  # nothing left in it that its reader may see


class MailMessage(db.Model):
    """One email to one person: an immediate mail about a thread (later notifications
    of the same thread join it while it waits) or a daily digest."""

    __tablename__ = "mail_messages"
    __table_args__ = (
        Index("ix_mail_messages_due", "state", "send_after"),
        Index("ix_mail_messages_thread", "user_id", "thread_key", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    digest: Mapped[bool] = mapped_column(default=False)
    thread_key: Mapped[str] = mapped_column(String(32))  # "post:12", "grade:3", "digest"
    state: Mapped[MailState] = mapped_column(enum_column(MailState), default=MailState.QUEUED)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    send_after: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    subject: Mapped[str | None] = mapped_column(String(200))  # as last rendered
