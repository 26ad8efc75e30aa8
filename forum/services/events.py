"""Events: what a change tells others, written in the change's own commit.

A use case calls one of these before it commits; the worker later turns each event into
notifications (forum/services/notifying.py). Nothing here commits. Once a commit that
wrote events has gone through, the hooks in `after_commit` run (the worker package
puts its queue there), so the worker hears of them at once; if that fails, its sweep
finds them all the same.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from forum.extensions import db
from forum.models import Grade, Post, Reply, ReplyKind, utcnow
from forum.models.notifications import Event, EventKind

log = logging.getLogger(__name__)

after_commit: list[Callable[[], None]] = []
_PENDING = "forum_events_written"


def _add(kind: EventKind, actor_id: int | None, course_id: int, at=None, **about) -> Event:
    event = Event(kind=kind, actor_id=actor_id, course_id=course_id,
                  created_at=at or utcnow(), **about)
    db.session.add(event)
    db.session.info[_PENDING] = True
    return event


def _course_id(post: Post) -> int:
    return post.discussion.course_id


def reply_appeared(reply: Reply) -> None:
    """A reply or prompt is written and shown, or a held one is published: tells the
    thread (and the post's author of a prompt). A held one tells the moderators."""
    post = reply.post
    if not reply.is_approved:
        _add(EventKind.COMMENT_HELD, reply.author_id, _course_id(post), post=post,
             reply=reply)
        return
    kind = EventKind.PROMPT_ASKED if reply.kind is ReplyKind.PROMPT else EventKind.REPLY_CREATED
    _add(kind, reply.author_id, _course_id(post), post=post, reply=reply)


def prompts_answered(answer: Reply, asker_ids: set[int]) -> None:
    """The post's author answered open prompts: tells whoever asked them."""
    for asker_id in sorted(asker_ids - {answer.author_id}):
        _add(EventKind.PROMPT_ANSWERED, answer.author_id, _course_id(answer.post),
             post=answer.post, reply=answer, user_id=asker_id)


def _shown(item: Post | Reply) -> bool:
    """Written for others to read: not a draft, not held (those tell nobody yet)."""
    return item.is_approved and (not isinstance(item, Post) or item.is_published)


def mentioned(item: Post | Reply, user_ids: list[int]) -> None:
    """People newly named with @ in a post or a reply that others may read."""
    if not user_ids or not _shown(item):
        return
    post = item if isinstance(item, Post) else item.post
    reply = None if isinstance(item, Post) else item
    for user_id in user_ids:
        _add(EventKind.MENTION, item.author_id, _course_id(post), post=post, reply=reply,
             user_id=user_id)


def post_published(post: Post) -> None:
    _add(EventKind.POST_PUBLISHED, post.author_id, _course_id(post), post=post)


def grades_released(actor_id: int | None, grades: list[Grade]) -> None:
    """Dated at the release itself, so a later event of the same grade is a change."""
    for grade in grades:
        _add(EventKind.GRADE_RELEASED, actor_id, grade.discussion.course_id,
             at=grade.released_at, grade_id=grade.id, user_id=grade.student_id)


def released_grade_changed(actor_id: int | None, grade: Grade) -> None:
    """A released grade got a new version: its student is told (as of a release, so
    the same preference governs it), and the worker sends it to the LMS at once."""
    _add(EventKind.GRADE_RELEASED, actor_id, grade.discussion.course_id, grade_id=grade.id,
         user_id=grade.student_id)


def worker_needed() -> None:
    """Work for the worker written in this transaction without an event (a score to
    send now): it is woken after the commit as for an event."""
    db.session.info[_PENDING] = True


@sa_event.listens_for(Session, "after_commit")
def _told(session: Session) -> None:
    if not session.info.pop(_PENDING, False):
        return
    for hook in after_commit:
        try:
            hook()
        except Exception:  # the commit stands; the worker's sweep finds the events
            log.warning("could not wake the worker after a commit", exc_info=True)


@sa_event.listens_for(Session, "after_rollback")
def _forgotten(session: Session) -> None:
    session.info.pop(_PENDING, None)
