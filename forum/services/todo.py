"""The staff's to-do list: what waits for an instructor or TA in the courses they teach,
in a fixed number of statements however many courses and discussions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import joinedload

from forum.access import (
    Actor,
    can_release_grades,
    is_staff,
    staff_courses,
    student_enrollments,
    visible_grades,
)
from forum.extensions import db
from forum.models import (
    Course,
    Discussion,
    Enrollment,
    Grade,
    GradeState,
    Post,
    PromptState,
    Reply,
    ReplyKind,
    utcnow,
)
from forum.services.moderation import waiting_counts
from forum.services.threads import PromptRow

# A prompt still open after this long is listed as waiting for its student.
PROMPT_STALE_AFTER = timedelta(days=3)
TODO_LIMIT = 20  # lines of each kind


@dataclass
class UngradedLine:
    discussion: Discussion
    students: int  # students of the course without any grade yet


@dataclass
class DraftLine:
    discussion: Discussion
    drafts: int
    can_release: bool


@dataclass
class WaitingLine:
    course: Course
    pending: int
    flagged: int


@dataclass
class Todo:
    teaches: bool = False  # whether the actor is staff anywhere (the list applies)
    ungraded: list[UngradedLine] = field(default_factory=list)
    drafts: list[DraftLine] = field(default_factory=list)
    stale_prompts: list[PromptRow] = field(default_factory=list)
    waiting: list[WaitingLine] = field(default_factory=list)
    # Every moderated course's counts (zeros too), by course id, for the course list.
    waiting_counts: dict[int, dict[str, int]] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not (self.ungraded or self.drafts or self.stale_prompts or self.waiting)


def staff_todo(actor: Actor, courses: list[Course]) -> Todo:
    """What waits for the actor in those of `courses` they teach or assist in (the
    actor's own list): discussions past due with students still ungraded, draft grades
    not released, prompts open longer than PROMPT_STALE_AFTER, and items held for
    moderation or flagged. Five statements, none when the actor teaches nothing."""
    todo = Todo()
    if not any(is_staff(actor, course) for course in courses):
        return todo
    todo.teaches = True
    now = utcnow()
    todo.ungraded = _ungraded(actor, now)
    todo.drafts = _drafts(actor)
    todo.stale_prompts = _stale_prompts(actor, now)
    todo.waiting_counts = waiting_counts(actor, courses)
    by_id = {course.id: course for course in courses}
    todo.waiting = [WaitingLine(by_id[cid], n["pending"], n["flagged"])
                    for cid, n in todo.waiting_counts.items() if n["pending"] or n["flagged"]]
    return todo


def _ungraded(actor: Actor, now) -> list[UngradedLine]:
    """Discussions worth points, past due, with students who have no grade, oldest
    due first."""
    missing = (
        select(Discussion.id.label("discussion_id"), func.count().label("students"))
        .join(Enrollment, student_enrollments(Discussion.course_id))
        .outerjoin(Grade, and_(Grade.discussion_id == Discussion.id,
                               Grade.student_id == Enrollment.user_id))
        .where(staff_courses(actor, Discussion.course_id), Discussion.due_at < now,
               Discussion.points_possible > 0, Grade.id.is_(None))
        .group_by(Discussion.id)
    ).subquery()
    rows = db.session.execute(
        select(Discussion, missing.c.students)
        .join(missing, missing.c.discussion_id == Discussion.id)
        .options(joinedload(Discussion.course))
        .order_by(Discussion.due_at, Discussion.id).limit(TODO_LIMIT))
    return [UngradedLine(discussion, students) for discussion, students in rows]


def _drafts(actor: Actor) -> list[DraftLine]:
    """Discussions with grades saved as drafts and not released (the grades scope)."""
    drafts = (
        select(Grade.discussion_id, func.count().label("drafts"))
        .where(visible_grades(actor), Grade.state == GradeState.DRAFT)
        .group_by(Grade.discussion_id)
    ).subquery()
    rows = db.session.execute(
        select(Discussion, drafts.c.drafts)
        .join(drafts, drafts.c.discussion_id == Discussion.id)
        .where(staff_courses(actor, Discussion.course_id))
        .options(joinedload(Discussion.course))
        .order_by(Discussion.due_at.is_(None), Discussion.due_at, Discussion.id)
        .limit(TODO_LIMIT))
    return [DraftLine(discussion, n, can_release_grades(actor, discussion))
            for discussion, n in rows]


def _stale_prompts(actor: Actor, now) -> list[PromptRow]:
    """Prompts asked in the actor's courses and still unanswered after a few days,
    oldest first."""
    replies = db.session.scalars(
        select(Reply).join(Post, Reply.post_id == Post.id)
        .join(Discussion, Post.discussion_id == Discussion.id)
        .where(staff_courses(actor, Discussion.course_id), Reply.kind == ReplyKind.PROMPT,
               Reply.prompt_state == PromptState.OPEN,
               Reply.created_at < now - PROMPT_STALE_AFTER, Reply.is_live, Post.is_live)
        .options(joinedload(Reply.post).joinedload(Post.author),
                 joinedload(Reply.post).joinedload(Post.discussion)
                 .joinedload(Discussion.course))
        .order_by(Reply.created_at, Reply.id).limit(TODO_LIMIT))
    return [PromptRow(reply, reply.post) for reply in replies]
