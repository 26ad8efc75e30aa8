"""What a student still owes: progress against each discussion's requirements, prompts
awaiting their answer, and grades released since they last looked."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import joinedload

from forum.access import (
    Actor,
    can_grade,
    is_student,
    my_courses,
    student_enrollments,
    visible_discussions,
    visible_grades,
)
from forum.errors import NotFound, PermissionDenied
from forum.extensions import db
from forum.models import Discussion, Enrollment, Grade, GradeState, PromptState, utcnow
from forum.services.grading import student_of
from forum.services.participation import Participation, figures_of
from forum.services.threads import PromptRow, prompts_awaiting, prompts_in_discussion
from forum.transactions import writes

# The dashboard keeps a discussion in view this long after its due date (late work).
PAST_DUE_SHOWN = timedelta(days=7)
PROGRESS_LIMIT = 12
NEW_GRADES_LIMIT = 10


@dataclass
class Requirement:
    label: str
    done: int
    needed: int

    @property
    def met(self) -> bool:
        return self.done >= self.needed


@dataclass
class Progress:
    """One student's standing in one discussion."""

    discussion: Discussion
    figures: Participation
    grade: Grade | None = None  # as the viewer may see it: a student's own, released
    grade_is_new: bool = False
    open_prompts: list[PromptRow] = field(default_factory=list)
    # Unread tracking fills this in (None: not counted here).
    unread: int | None = None

    @property
    def requirements(self) -> list[Requirement]:
        d, f = self.discussion, self.figures
        needs = []
        if d.min_posts:
            needs.append(Requirement("posts", f.posts, d.min_posts))
        if d.min_peer_replies:
            needs.append(Requirement("replies to classmates", f.peer_replies,
                                     d.min_peer_replies))
        if d.require_prompt_answers:
            asked = f.prompts_answered + f.prompts_open
            needs.append(Requirement("prompts answered", f.prompts_answered, asked))
        return needs

    @property
    def met(self) -> bool:
        return self.figures.requirements_met

    def past_due(self, now: datetime | None = None) -> bool:
        due = self.discussion.due_at
        return due is not None and (now or utcnow()) > due


def is_new(grade: Grade) -> bool:
    """A released grade the student has not seen since it was released or changed."""
    if grade.state is not GradeState.RELEASED:
        return False
    shown = grade.changed_after_release_at or grade.released_at
    return grade.seen_at is None or (shown is not None and grade.seen_at < shown)


def _unseen():
    """SQL twin of is_new, for released grades."""
    shown = func.coalesce(Grade.changed_after_release_at, Grade.released_at)
    return and_(Grade.state == GradeState.RELEASED,
                or_(Grade.seen_at.is_(None), Grade.seen_at < shown))


def my_progress(actor: Actor) -> list[Progress]:
    """The actor's progress in the discussions of the courses they take as a student
    that are open now or were due lately, soonest due first: four statements."""
    if not actor.is_authenticated:
        return []
    now = utcnow()
    discussions = list(db.session.scalars(
        select(Discussion)
        .join(Enrollment, student_enrollments(Discussion.course_id))
        .where(Enrollment.user_id == actor.id, visible_discussions(actor),
               Discussion.closed_at.is_(None),
               or_(Discussion.opens_at.is_(None), Discussion.opens_at <= now),
               or_(Discussion.due_at.is_(None), Discussion.due_at >= now - PAST_DUE_SHOWN),
               or_(Discussion.min_posts > 0, Discussion.min_peer_replies > 0,
                   Discussion.require_prompt_answers))
        .options(joinedload(Discussion.course))
        .order_by(Discussion.due_at.is_(None), Discussion.due_at, Discussion.id)
        .limit(PROGRESS_LIMIT)
    ))
    figures = figures_of(actor, discussions)
    return [Progress(d, figures[d.id]) for d in discussions]


def discussion_progress(actor: Actor, discussion: Discussion) -> Progress | None:
    """The actor's own progress in the discussion, when they take it as a student
    (None for everyone else), with their released grade and the prompts awaiting their
    answer. Five statements; the caller has checked the actor may read the discussion."""
    if not is_student(actor, discussion.course):
        return None
    progress = Progress(discussion, figures_of(actor, [discussion])[discussion.id])
    _attach_grade(actor, progress, actor.id)
    progress.open_prompts = [row for row in prompts_awaiting(actor)
                             if row.post.discussion_id == discussion.id]
    return progress


def progress_of(actor: Actor, discussion: Discussion, student_id: int | None = None
                ) -> Progress:
    """A student's progress in the discussion: a student their own, staff anyone's
    (naming them). Raises NotFound (no progress of the caller's own: staff naming
    nobody, a member who takes no part as a student; no such student in the course),
    PermissionDenied (a student asking after someone else)."""
    own = student_id is None or student_id == actor.id
    if own and is_student(actor, discussion.course):
        return discussion_progress(actor, discussion)
    if not can_grade(actor, discussion):
        if own:  # a member who takes no part as a student
            raise NotFound("You are not a student of this course: you have no progress "
                           "here.")
        raise PermissionDenied("A student sees only their own progress.")
    if student_id is None:
        raise NotFound("You take no part here as a student: name the student whose "
                       "progress you want (student_id).")
    student = student_of(discussion, student_id)
    progress = Progress(discussion, figures_of(student, [discussion])[discussion.id])
    _attach_grade(actor, progress, student.id)
    progress.open_prompts = [
        row for row in prompts_in_discussion(actor, discussion, PromptState.OPEN)
        if row.post.author_id == student.id]
    return progress


def _attach_grade(actor: Actor, progress: Progress, student_id: int) -> None:
    """The student's grade as the actor may see it (the grades scope: drafts for staff,
    a student's own once released)."""
    grade = db.session.scalar(select(Grade).where(
        visible_grades(actor, progress.discussion), Grade.student_id == student_id))
    progress.grade = grade
    progress.grade_is_new = bool(grade is not None and grade.student_id == actor.id
                                 and is_new(grade))


def new_grades(actor: Actor) -> list[Grade]:
    """The actor's released grades they have not seen yet, newest first."""
    if not actor.is_authenticated:
        return []
    return list(db.session.scalars(
        select(Grade).join(Discussion)
        .where(visible_grades(actor), Grade.student_id == actor.id, _unseen(),
               my_courses(actor, Discussion.course_id))
        .options(joinedload(Grade.discussion).joinedload(Discussion.course))
        .order_by(Grade.released_at.desc(), Grade.id.desc()).limit(NEW_GRADES_LIMIT)
    ))


@writes
def mark_grades_seen(actor: Actor, grade_ids: Iterable[int]) -> set[int]:
    """Note that the student has seen these grades of theirs, now; returns the ids that
    were new. One UPDATE that leaves the version alone: a student looking must never
    make a grader's save conflict. Others' grades and drafts are never touched."""
    ids = sorted(set(grade_ids))
    if not actor.is_authenticated or not ids:
        return set()
    table = Grade.__table__
    seen = set(db.session.scalars(
        update(table)
        .where(table.c.id.in_(ids), visible_grades(actor), Grade.student_id == actor.id,
               _unseen())
        .values(seen_at=utcnow()).returning(table.c.id)))
    db.session.commit()
    return seen


def unseen_ids(grades: Iterable[Grade]) -> set[int]:
    """The ids of the grades among these that are new to their student."""
    return {grade.id for grade in grades if is_new(grade)}
