"""Notifications: who may be told of an event, and who sees a notification.

A person is told of an event only if they may see, now, what it is about: the reply
or prompt in its thread, the post, their own released grade, the held comment (staff
who moderate). The same rule is asked again whenever a notification is shown or
mailed, so a reply hidden or deleted since, or a grade taken back to draft, is no
longer told. A notification itself is its person's alone.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false

from forum.access.actor import Actor, is_admin
from forum.access.content import can_moderate, can_view_post, can_view_reply
from forum.access.grading import can_view_grade
from forum.models import Grade, Post, Reply
from forum.models.notifications import EventKind, Notification


def can_view_notification(actor: Actor, notification: Notification) -> bool:
    """A person's notifications are theirs alone."""
    return bool(actor.is_authenticated and notification.user_id == actor.id)


def visible_notifications(actor: Actor) -> ColumnElement[bool]:
    """Twin of can_view_notification."""
    if not actor.is_authenticated or actor.id is None:
        return false()
    return Notification.user_id == actor.id


def hears_of_held_comments(actor: Actor) -> bool:
    """Whether held comments can be the actor's news at all: site admins and whoever
    teaches or assists in a course (a choice about them means nothing to anyone else)."""
    if is_admin(actor):
        return True
    return any(enrollment.role.is_staff for enrollment in getattr(actor, "enrollments", ()))


def may_be_told(person: Actor, kind: EventKind, *, post: Post | None,
                reply: Reply | None, grade: Grade | None) -> bool:
    """Whether the person may be told of an event of this kind about these items: what
    it is about must be theirs to see now."""
    if kind is EventKind.GRADE_RELEASED:
        return grade is not None and grade.student_id == person.id \
            and can_view_grade(person, grade)
    if kind is EventKind.COMMENT_HELD:
        return reply is not None and can_moderate(person, reply.post.discussion.course)
    if reply is not None:
        return reply.is_live and can_view_reply(person, reply)
    return post is not None and post.is_live and can_view_post(person, post)
