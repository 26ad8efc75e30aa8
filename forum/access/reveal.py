"""Reveal: when a student sees classmates' posts and replies in a discussion (always,
after their own post, after the due date, after their grade is released), as a
predicate and its SQL twins. Staff always see everything; writing by staff (and site
admins) is never kept back; what the actor wrote is always theirs to see.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true
from sqlalchemy.orm import aliased

from forum.access.actor import Actor, is_admin, is_author, is_staff
from forum.models import (
    Course,
    Discussion,
    Enrollment,
    Grade,
    GradeState,
    Post,
    PostStatus,
    Reply,
    Reveal,
    Role,
    User,
    utcnow,
)


def own_rows(actor: Actor, model: type[Post] | type[Reply]) -> ColumnElement[bool]:
    """Rows the actor wrote: as a member, or as a guest in this browser."""
    if actor.is_authenticated and actor.id is not None:
        return model.author_id == actor.id
    if model is Reply and actor.guest_ids:
        return Reply.guest_id.in_(sorted(actor.guest_ids))
    return false()


def peers_revealed(actor: Actor, discussion: Discussion, now: datetime | None = None) -> bool:
    """Whether the actor sees what classmates wrote in the discussion: staff always;
    others as its reveal rule says (after their own post, after the due date, after
    their grade is released)."""
    reveal = discussion.reveal
    if reveal is Reveal.ALWAYS or is_staff(actor, discussion.course):
        return True
    if reveal is Reveal.AFTER_DUE:
        return discussion.due_at is None or (now or utcnow()) >= discussion.due_at
    return actor.is_authenticated and actor.has_unlocked(discussion)


def _by_classmate(actor: Actor, item: Post | Reply, course: Course) -> bool:
    """Written by someone else who is not the course's staff (a guest included)."""
    if is_author(actor, item):
        return False
    return item.author is None or not is_staff(item.author, course)


def is_unrevealed(actor: Actor, item: Post | Reply, discussion: Discussion,
                  revealed: bool | None = None) -> bool:
    """A classmate's post or reply that the discussion's reveal rule still keeps from
    the actor: absent for them, as if not written yet. `revealed`: peers_revealed for
    this actor and discussion, when the caller asks about many items."""
    if discussion.reveal is Reveal.ALWAYS:
        return False
    if revealed is None:
        revealed = peers_revealed(actor, discussion)
    return not revealed and _by_classmate(actor, item, discussion.course)


# One alias for good: SQLAlchemy remembers how it maps each column, which a new alias per
# call would work out again (a good part of a search's time in Python).
_OWN_POST = aliased(Post, name="own_post")


def _unlocked_sql(actor: Actor) -> ColumnElement[bool]:
    """Discussions (as rows) whose reveal rule the actor's own work satisfied; twin of
    Discussion.unlocked_by for many discussions at once."""
    if not actor.is_authenticated or actor.id is None:
        return false()
    own = _OWN_POST
    posted = exists().where(own.discussion_id == Discussion.id, own.author_id == actor.id,
                            own.status == PostStatus.PUBLISHED, own.deleted_at.is_(None))
    graded = exists().where(Grade.discussion_id == Discussion.id,
                            Grade.student_id == actor.id, Grade.state == GradeState.RELEASED)
    return or_(and_(Discussion.reveal == Reveal.AFTER_POSTING, posted),
               and_(Discussion.reveal == Reveal.AFTER_RELEASE, graded))


def _revealed_sql(actor: Actor, now: datetime) -> ColumnElement[bool]:
    """Discussions (as rows) whose classmates' writing the actor sees (twin of
    peers_revealed, for a non-staff actor)."""
    return or_(Discussion.reveal == Reveal.ALWAYS,
               and_(Discussion.reveal == Reveal.AFTER_DUE,
                    or_(Discussion.due_at.is_(None), Discussion.due_at <= now)),
               _unlocked_sql(actor))


def _not_by_classmate(actor: Actor, model: type[Post] | type[Reply],
                      course_id) -> ColumnElement[bool]:
    """Rows the actor wrote or the course's staff (or a site admin) wrote."""
    staff = select(Enrollment.user_id).where(Enrollment.course_id == course_id,
                                             Enrollment.role != Role.STUDENT)
    admins = select(User.id).where(User.is_admin)
    return or_(own_rows(actor, model), model.author_id.in_(staff), model.author_id.in_(admins))


def revealed_rows(actor: Actor, model: type[Post] | type[Reply],
                   within: Discussion | Course) -> ColumnElement[bool]:
    """Twin of `not is_unrevealed` over the posts (or replies, joined to their posts)
    of a discussion or a course."""
    course = within.course if isinstance(within, Discussion) else within
    if is_staff(actor, course):
        return true()
    if isinstance(within, Discussion):
        if peers_revealed(actor, within):
            return true()
        return _not_by_classmate(actor, model, course.id)
    revealed = Post.discussion_id.in_(select(Discussion.id).where(
        Discussion.course_id == course.id, _revealed_sql(actor, utcnow())))
    return or_(revealed, _not_by_classmate(actor, model, course.id))


def revealed_anywhere(actor: Actor, model: type[Post] | type[Reply]) -> ColumnElement[bool]:
    """The twin of `not is_unrevealed` over posts (or replies joined to their posts) of
    every course at once, for lists that span courses (the dashboard)."""
    if is_admin(actor):
        return true()
    staffed = select(Enrollment.course_id).where(Enrollment.user_id == actor.id,
                                                 Enrollment.role != Role.STUDENT)
    revealed = Post.discussion_id.in_(select(Discussion.id).where(
        or_(Discussion.course_id.in_(staffed), _revealed_sql(actor, utcnow()))))
    # Correlated by name: it sits two SELECTs deep (inside _not_by_classmate's IN), where
    # automatic correlation does not reach, and would read every post's course.
    course_id = select(Discussion.course_id).where(
        Discussion.id == Post.discussion_id).correlate(Post).scalar_subquery()
    return or_(revealed, _not_by_classmate(actor, model, course_id))


def by_classmate(actor: Actor, model: type[Post] | type[Reply],
                 course: Course) -> ColumnElement[bool]:
    """Rows a reveal rule may keep from the actor: written by someone else who is not
    the course's staff nor a site admin, a guest included (twin of _by_classmate)."""
    staff = select(Enrollment.user_id).where(Enrollment.course_id == course.id,
                                             Enrollment.role != Role.STUDENT)
    admins = select(User.id).where(User.is_admin)
    member = and_(model.author_id.is_not(None), model.author_id.not_in(staff),
                  model.author_id.not_in(admins), ~own_rows(actor, model))
    return or_(model.author_id.is_(None), member) if model is Reply else member


def revealed_discussions(actor: Actor, course: Course) -> ColumnElement[bool]:
    """The course's discussions (as rows) whose classmates' writing the actor sees now:
    twin of peers_revealed over many discussions."""
    if is_staff(actor, course):
        return true()
    return _revealed_sql(actor, utcnow())
