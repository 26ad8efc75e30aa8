"""Turning events into notifications: who is told, and which mail that plans.

The worker runs `process_events` whenever a commit wrote events, and on its sweep. Each
batch is one write unit: its events are claimed (on PostgreSQL with SKIP LOCKED, so
several workers share the work; SQLite has one writer at a time), each becomes one
notification per person who may see what it is about (unique per event and person, so
a batch run twice tells nobody twice), and immediate mail is planned beside it; then
the events are marked processed, all in one commit.

Who is told:
- a reply or prompt: the thread's people (the post's author, the author of the reply
  answered) and whoever follows the post, its discussion or its course, unless they
  muted the thread or the discussion; a prompt always tells the post's author;
- an answer to prompts, a mention, a released grade: the one person named;
- a held comment: the course's staff (where the course asks for it);
- a published post: whoever follows its discussion or course.
Never the person who acted, never someone who may not see it (forum/access).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from forum.access.notifications import may_be_told
from forum.extensions import db
from forum.models import (
    Delivery,
    Enrollment,
    Event,
    EventKind,
    Grade,
    MailMessage,
    MailState,
    Notification,
    Preference,
    Role,
    Subscription,
    SubscriptionLevel,
    User,
    utcnow,
)
from forum.models.notifications import DEFAULT_DELIVERY
from forum.services.mail_settings import mail_settings
from forum.transactions import writes

BATCH = 100
ALWAYS_TOLD = {EventKind.PROMPT_ASKED}  # the post's author hears of these, muted or not


@dataclass
class Processed:
    events: int
    notifications: int
    mails: list[MailMessage]


def _levels(targets: dict[str, int | None]) -> dict[tuple[str, int], dict[int, str]]:
    """Subscriptions to the given targets: (target, id) -> {user id: level}."""
    wanted = [(t, i) for t, i in targets.items() if i is not None]
    levels: dict[tuple[str, int], dict[int, str]] = {(t, i): {} for t, i in wanted}
    if not wanted:
        return levels
    rows = db.session.execute(select(Subscription.target, Subscription.target_id,
                                     Subscription.user_id, Subscription.level).where(
        db.or_(*[(Subscription.target == t) & (Subscription.target_id == i)
                 for t, i in wanted])))
    for target, target_id, user_id, level in rows:
        levels[(target, target_id)][user_id] = level
    return levels


def _followers(event: Event, thread_people: set[int]) -> set[int]:
    """The thread's people and the followers of the post, discussion and course, less
    those who muted the thread, or the discussion without following the thread."""
    post = event.post
    discussion_id = post.discussion_id if post is not None else None
    levels = _levels({"post": post.id if post is not None else None,
                      "discussion": discussion_id, "course": event.course_id})
    on_post = levels.get(("post", post.id), {}) if post is not None else {}
    on_discussion = levels.get(("discussion", discussion_id), {})
    on_course = levels.get(("course", event.course_id), {})
    people = set(thread_people)
    for user_id, level in on_course.items():
        if level == SubscriptionLevel.FOLLOW:
            people.add(user_id)
    for user_id, level in on_discussion.items():
        if level == SubscriptionLevel.FOLLOW:
            people.add(user_id)
        elif user_id not in thread_people:
            people.discard(user_id)
    for user_id, level in on_post.items():
        if level == SubscriptionLevel.FOLLOW:
            people.add(user_id)
        else:
            people.discard(user_id)
    return people


def _staff(course_id: int) -> set[int]:
    return set(db.session.scalars(select(Enrollment.user_id).where(
        Enrollment.course_id == course_id, Enrollment.role != Role.STUDENT)))


def candidates(event: Event) -> set[int]:
    """Whom the event concerns, before asking whether each may see it."""
    kind = event.kind
    if kind in (EventKind.PROMPT_ANSWERED, EventKind.MENTION, EventKind.GRADE_RELEASED):
        people = {event.user_id} if event.user_id is not None else set()
    elif kind is EventKind.COMMENT_HELD:
        people = _staff(event.course_id) if event.course.notify_held else set()
    elif kind is EventKind.POST_PUBLISHED:
        people = _followers(event, set())
    else:
        reply, post = event.reply, event.post
        thread = {post.author_id}
        if reply.parent_id is not None:
            parent = db.session.get(type(reply), reply.parent_id)
            if parent is not None and parent.author_id is not None:
                thread.add(parent.author_id)
        people = _followers(event, thread)
        if kind in ALWAYS_TOLD:
            people.add(post.author_id)
    people.discard(event.actor_id)
    people.discard(None)
    return people


def _people(user_ids: set[int]) -> list[User]:
    if not user_ids:
        return []
    return list(db.session.scalars(select(User).where(
        User.id.in_(user_ids), User.is_disabled.is_(False))
        .options(selectinload(User.enrollments))).unique())


def _deliveries(user_ids: list[int], kind: EventKind) -> dict[int, Delivery]:
    chosen = dict(db.session.execute(select(Preference.user_id, Preference.delivery).where(
        Preference.user_id.in_(user_ids), Preference.kind == kind)).all())
    return {user_id: chosen.get(user_id, DEFAULT_DELIVERY[kind]) for user_id in user_ids}


def recipients(event: Event) -> list[User]:
    """The people told of the event: concerned, and allowed to see what it is about."""
    grade = db.session.get(Grade, event.grade_id) if event.grade_id else None
    return [person for person in _people(candidates(event))
            if may_be_told(person, event.kind, post=event.post, reply=event.reply,
                           grade=grade)]


def thread_key(event: Event) -> str:
    """What one immediate mail gathers: a thread's news, or one grade."""
    if event.post_id is not None:
        return f"post:{event.post_id}"
    return f"grade:{event.grade_id}"


def _plan_mail(notification: Notification, key: str, planned: dict) -> MailMessage:
    """The queued mail this notification joins: one already waiting for the thread, or
    a new one, sent no sooner than a few minutes after the thread's last mail."""
    user_id = notification.user_id
    mail = planned.get((user_id, key)) or db.session.scalar(
        select(MailMessage).where(MailMessage.user_id == user_id, MailMessage.thread_key == key,
                                  MailMessage.state == MailState.QUEUED,
                                  MailMessage.digest.is_(False)).limit(1))
    if mail is None:
        now = utcnow()
        last = db.session.scalar(select(db.func.max(MailMessage.sent_at)).where(
            MailMessage.user_id == user_id, MailMessage.thread_key == key))
        gap = timedelta(seconds=mail_settings().thread_gap_seconds)
        mail = MailMessage(user_id=user_id, thread_key=key, created_at=now,
                           send_after=max(now, last + gap) if last else now)
        db.session.add(mail)
        db.session.flush()
    planned[(user_id, key)] = mail
    return mail


def _claim(limit: int) -> list[Event]:
    query = (select(Event).where(Event.processed_at.is_(None)).order_by(Event.id).limit(limit)
             .options(selectinload(Event.post), selectinload(Event.reply),
                      selectinload(Event.course)))
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Event)
    return list(db.session.scalars(query))


def _told_already(event: Event) -> set[int]:
    return set(db.session.scalars(select(Notification.user_id).where(
        Notification.event_id == event.id)))


@writes
def process_events(limit: int = BATCH) -> Processed:
    """Make the notifications of up to `limit` unprocessed events, plan their immediate
    mail, mark the events processed; one commit."""
    events = _claim(limit)
    mailing = mail_settings().enabled
    planned: dict[tuple[int, str], MailMessage] = {}
    made = 0
    now = utcnow()
    for event in events:
        told = _told_already(event)
        people = [person for person in recipients(event) if person.id not in told]
        deliveries = _deliveries([p.id for p in people], event.kind)
        for person in people:
            notification = Notification(user_id=person.id, event_id=event.id, kind=event.kind,
                                        created_at=now, delivery=deliveries[person.id])
            db.session.add(notification)
            made += 1
            if mailing and notification.delivery is Delivery.IMMEDIATE:
                notification.mail_id = _plan_mail(notification, thread_key(event), planned).id
        event.processed_at = now
    db.session.flush()
    mails = list(dict.fromkeys(planned.values()))
    db.session.commit()
    return Processed(len(events), made, mails)
