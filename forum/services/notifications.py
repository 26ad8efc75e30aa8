"""A person's notifications: the bell's count, the list, what each one says, read marks.

What a notification says is worked out when it is shown or mailed, as its reader may
see it now: the writer through their byline (an anonymous classmate stays anonymous),
a short excerpt of the text, a link to the item. One whose subject the reader may no
longer see (hidden, deleted, a grade taken back) says only that it is gone.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date, datetime

import nh3
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from forum.access import Actor
from forum.access.notifications import may_be_told, visible_notifications
from forum.errors import NotFound
from forum.extensions import db
from forum.models import (
    Course,
    Discussion,
    Event,
    EventKind,
    Grade,
    Notification,
    Post,
    Reply,
    utcnow,
)
from forum.services.authors import byline
from forum.timeutil import to_local
from forum.transactions import writes

EXCERPT_MAX = 160
PAGE_MAX = 100


@dataclass(frozen=True)
class Told:
    """A notification as its reader may see it."""

    id: int
    kind: EventKind
    created_at: datetime
    read: bool
    available: bool
    text: str  # one line: who did what where
    excerpt: str
    course: Course | None
    post_id: int | None
    reply_id: int | None
    discussion_id: int | None

    @property
    def thread_key(self) -> str:
        return f"post:{self.post_id}" if self.post_id else f"notification:{self.id}"


def excerpt(html_text: str | None) -> str:
    """The first words of rendered text, as plain text."""
    text = html.unescape(nh3.clean(html_text or "", tags=set()))
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_MAX else text[:EXCERPT_MAX - 1].rstrip() + "…"


def _who(reader: Actor, item: Post | Reply, course: Course) -> str:
    return byline(reader, item, course).name


def _said(reader: Actor, event: Event, grade: Grade | None) -> tuple[str, str]:
    """The line and the excerpt for an event whose subject the reader may see."""
    post, reply, course = event.post, event.reply, event.course
    item = reply or post
    title = f"“{post.title}”" if post is not None else ""
    who = _who(reader, item, course) if item is not None else ""
    said = excerpt(item.body_html) if item is not None else ""
    match event.kind:
        case EventKind.REPLY_CREATED:
            mine = reply.parent is not None and reply.parent.author_id == reader.id
            where = "to you in" if mine else ("on your post" if post.author_id == reader.id
                                              else "in")
            return f"{who} replied {where} {title}", said
        case EventKind.PROMPT_ASKED:
            return f"{who} asked you a question about {title}", said
        case EventKind.PROMPT_ANSWERED:
            return f"{who} answered your question on {title}", said
        case EventKind.MENTION:
            return f"{who} mentioned you in {title}", said
        case EventKind.COMMENT_HELD:
            return f"A comment by {who} waits for review on {title}", said
        case EventKind.POST_PUBLISHED:
            return f"{who} posted {title}", said
        case EventKind.GRADE_RELEASED:
            done = "was changed" if _after_release(event, grade) else "is released"
            return f"Your grade for “{grade.discussion.title}” {done}", ""
    return "Something happened", ""


def _after_release(event: Event, grade: Grade) -> bool:
    """A grade's event later than its release (events.grades_released dates its own
    at the release): a change to the released grade."""
    return grade.released_at is not None and event.created_at > grade.released_at


def describe(reader: Actor, notification: Notification, grade: Grade | None = None) -> Told:
    """What the notification says to its reader now."""
    event = notification.event
    if grade is None and event.grade_id is not None:
        grade = db.session.get(Grade, event.grade_id)
    available = may_be_told(reader, event.kind, post=event.post, reply=event.reply,
                            grade=grade)
    text, said = _said(reader, event, grade) if available else (
        "Something you were told about is no longer available", "")
    discussion_id = (event.post.discussion_id if event.post is not None
                     else grade.discussion_id if grade is not None else None)
    return Told(notification.id, notification.kind, notification.created_at,
                notification.read_at is not None, available, text, said,
                event.course if available else None,
                event.post_id if available else None,
                event.reply_id if available else None,
                discussion_id if available else None)


NOTIFICATION_LOADS = (selectinload(Notification.event).selectinload(Event.course),
           selectinload(Notification.event).selectinload(Event.post)
           .selectinload(Post.author),
           selectinload(Notification.event).selectinload(Event.post)
           .selectinload(Post.discussion).selectinload(Discussion.course),
           selectinload(Notification.event).selectinload(Event.reply)
           .selectinload(Reply.author),
           selectinload(Notification.event).selectinload(Event.reply)
           .selectinload(Reply.guest),
           selectinload(Notification.event).selectinload(Event.reply)
           .selectinload(Reply.parent))


def describe_all(reader: Actor, notifications: list[Notification]) -> list[Told]:
    grade_ids = {n.event.grade_id for n in notifications if n.event.grade_id}
    grades = {g.id: g for g in db.session.scalars(
        select(Grade).where(Grade.id.in_(grade_ids))
        .options(selectinload(Grade.discussion)))} if grade_ids else {}
    return [describe(reader, n, grades.get(n.event.grade_id)) for n in notifications]


def notifications_page(actor: Actor, *, offset: int = 0, limit: int = 30,
                       unread_only: bool = False) -> tuple[list[Told], int]:
    """One page of the actor's notifications, newest first, and how many there are."""
    if not actor.is_authenticated:
        return [], 0
    scope = visible_notifications(actor)
    if unread_only:
        scope = scope & Notification.read_at.is_(None)
    rows = list(db.session.scalars(
        select(Notification).where(scope).order_by(Notification.id.desc())
        .offset(offset).limit(min(limit, PAGE_MAX)).options(*NOTIFICATION_LOADS)))
    total = db.session.scalar(select(func.count()).select_from(Notification).where(scope))
    return describe_all(actor, rows), total or 0


def by_day(reader: Actor, told: list[Told]) -> list[tuple[date, list[Told]]]:
    """The list in groups by the day it came (the reader's time zone), newest first."""
    groups: dict[date, list[Told]] = {}
    for item in told:
        day = to_local(item.created_at, getattr(reader, "timezone", "UTC")).date()
        groups.setdefault(day, []).append(item)
    return list(groups.items())


def unread_count(actor: Actor) -> int:
    if not actor.is_authenticated:
        return 0
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        visible_notifications(actor), Notification.read_at.is_(None))) or 0


def unread_count_expression(user_id_column):
    """The bell's count as a column, for the statement that loads the signed-in user."""
    return (select(func.count()).select_from(Notification)
            .where(Notification.user_id == user_id_column, Notification.read_at.is_(None))
            .correlate_except(Notification).scalar_subquery())


def get_notification(actor: Actor, notification_id: int) -> Notification:
    notification = db.session.scalar(select(Notification).where(
        Notification.id == notification_id, visible_notifications(actor)))
    if notification is None:
        raise NotFound("No such notification.")
    return notification


@writes
def mark_read(actor: Actor, notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = utcnow()
    db.session.commit()
    return notification


@writes
def mark_all_read(actor: Actor) -> int:
    """Every unread notification of the actor read; how many."""
    if not actor.is_authenticated:
        return 0
    result = db.session.execute(update(Notification).where(
        visible_notifications(actor), Notification.read_at.is_(None)).values(read_at=utcnow()))
    db.session.commit()
    return result.rowcount or 0
