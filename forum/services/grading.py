"""Grades: saving drafts with their rubric, releasing them, and who sees what."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from forum.access import (
    Actor,
    can_grade,
    can_release_grades,
    can_view_grade,
    my_courses,
    student_enrollments,
    visible_grades,
)
from forum.errors import NotFound, PermissionDenied, StaleVersion
from forum.extensions import db
from forum.models import (
    Discussion,
    Enrollment,
    Grade,
    GradeChange,
    GradeState,
    User,
    utcnow,
)
from forum.models.limits import REASON_MAX
from forum.services import events
from forum.services.markup import render_markdown
from forum.services.participation import authorize_grading
from forum.services.validation import BODY_MAX, FieldErrors, clean_text, collecting_errors
from forum.services.versions import CONFLICT_MESSAGE, commit_versioned, expect_version
from forum.transactions import writes


def student_of(discussion: Discussion, student_id: int) -> User:
    """A student of the discussion's course. Raises NotFound."""
    student = db.session.scalar(
        select(User).join(Enrollment, Enrollment.user_id == User.id)
        .where(User.id == student_id, student_enrollments(discussion.course_id)))
    if student is None:
        raise NotFound("No such student in this course.")
    return student


def find_grade(discussion: Discussion, student_id: int) -> Grade | None:
    return db.session.scalar(select(Grade).where(
        Grade.discussion_id == discussion.id, Grade.student_id == student_id)
        .options(joinedload(Grade.changes).joinedload(GradeChange.actor)))


def grade_for(actor: Actor, discussion: Discussion, student_id: int) -> Grade | None:
    """The grade of one student, for staff (drafts too). Raises NotFound,
    PermissionDenied."""
    authorize_grading(actor, discussion)
    student_of(discussion, student_id)
    return find_grade(discussion, student_id)


def _rubric_points(errors: FieldErrors, discussion: Discussion,
                   rubric_scores: dict | None) -> tuple[dict, float | None]:
    """Check the chosen levels belong to the rubric; return them and their sum."""
    rubric_scores = dict(rubric_scores or {})
    criteria = {c["id"]: {lvl["id"]: lvl["points"] for lvl in c["levels"]}
                for c in discussion.rubric}
    total = 0.0
    for criterion_id, level_id in rubric_scores.items():
        levels = criteria.get(criterion_id)
        if levels is None or level_id not in levels:
            errors.add_conflict("rubric_scores",
                                f"{criterion_id[:20]}: not a level of this rubric.")
            continue
        total += levels[level_id]
    if not criteria or not rubric_scores:
        return rubric_scores, None
    return rubric_scores, total


def _clean_score(errors: FieldErrors, discussion: Discussion, score, rubric_sum,
                 reason: str | None) -> float | None:
    if score is None:
        if rubric_sum is None:
            errors.add("score", "Choose rubric levels or give a score.")
        return rubric_sum
    if isinstance(score, bool) or not isinstance(score, int | float):
        errors.add("score", "The score is a number.")
        return None
    overridden = rubric_sum is not None and abs(score - rubric_sum) > 1e-9
    if overridden and not reason:
        errors.add("override_reason", "Say why the score differs from the rubric's sum.")
    ceiling = discussion.points_possible
    if score < 0 or (score > ceiling and not (discussion.allow_extra_credit and reason)):
        extra = " (more only with extra credit allowed and a reason)"
        errors.add("score", f"The score must be from 0 to {ceiling:g}{extra}.")
    return float(score)


@writes
def save_grade(
    actor: Actor, discussion: Discussion, student_id: int, *, version: int | None,
    rubric_scores: dict | None = None, score: float | None = None,
    override_reason: str | None = None, feedback: str | None = None,
) -> Grade:
    """Save a grade: a draft, or a new version of a released grade (marked updated).
    `version` is the one the grader started from, 0 when there was no grade; None (a
    script's) checks nothing.
    Raises NotFound, PermissionDenied, Invalid, Conflict (another grader saved first)."""
    authorize_grading(actor, discussion)
    student_of(discussion, student_id)
    grade = find_grade(discussion, student_id)
    if grade is not None:
        expect_version(grade, version)
    elif version:  # 0 or None: the caller saw no grade yet
        raise StaleVersion(CONFLICT_MESSAGE)  # the caller saw a grade that is not here
    with collecting_errors() as errors:
        rubric_scores, rubric_sum = _rubric_points(errors, discussion, rubric_scores)
        reason = clean_text(errors, "override_reason", override_reason, max_length=REASON_MAX,
                            required=False, label="Reason") or None
        new_score = _clean_score(errors, discussion, score, rubric_sum, reason)
        feedback = clean_text(errors, "feedback", feedback, max_length=BODY_MAX,
                              required=False, label="Feedback")
    now = utcnow()
    if grade is None:
        grade = Grade(discussion_id=discussion.id, student_id=student_id, grader_id=actor.id)
        db.session.add(grade)
    old_score, old_state = grade.score, grade.state if grade.id else None
    grade.score, grade.rubric_scores, grade.override_reason = new_score, rubric_scores, reason
    grade.feedback, grade.feedback_html = feedback, render_markdown(feedback)
    grade.grader_id, grade.updated_at = actor.id, now
    grade.state = grade.state or GradeState.DRAFT
    if grade.is_released:
        grade.changed_after_release_at = now
        events.released_grade_changed(actor.id, grade)
    grade.changes.append(GradeChange(actor_id=actor.id, at=now, old_score=old_score,
                                     new_score=new_score, old_state=old_state,
                                     new_state=grade.state, note="saved"))
    commit_versioned()
    return grade


@writes
def release_grades(actor: Actor, discussion: Discussion,
                   student_ids: Iterable[int] | None = None) -> list[Grade]:
    """Release the draft grades of the discussion, or of the students named.
    Raises PermissionDenied."""
    authorize_grading(actor, discussion)
    if not can_release_grades(actor, discussion):
        raise PermissionDenied("Only instructors release grades.")
    query = select(Grade).where(Grade.discussion_id == discussion.id,
                                Grade.state == GradeState.DRAFT)
    if student_ids is not None:
        query = query.where(Grade.student_id.in_(list(student_ids)))
    released = list(db.session.scalars(query))
    now = utcnow()
    for grade in released:
        grade.state, grade.released_at = GradeState.RELEASED, now
        grade.changes.append(GradeChange(actor_id=actor.id, at=now, old_score=grade.score,
                                         new_score=grade.score, old_state=GradeState.DRAFT,
                                         new_state=GradeState.RELEASED, note="released"))
    events.grades_released(actor.id, released)
    commit_versioned()
    return released


def grade_of(actor: Actor, discussion: Discussion, student_id: int
             ) -> tuple[User, Grade | None]:
    """A student and their grade as the actor may see it: staff see every student's,
    drafts included; a student sees their own once released. Raises NotFound,
    PermissionDenied."""
    if actor.is_authenticated and actor.id == student_id and not can_grade(actor, discussion):
        grade = my_grade(actor, discussion)
        if grade is None:
            raise NotFound("No released grade yet.")
        return grade.student, grade
    return student_of(discussion, student_id), grade_for(actor, discussion, student_id)


def my_grade(actor: Actor, discussion: Discussion) -> Grade | None:
    """The actor's own grade for the discussion, once released."""
    if not actor.is_authenticated:
        return None
    grade = find_grade(discussion, actor.id)
    return grade if grade is not None and can_view_grade(actor, grade) else None


def my_grades(actor: Actor) -> list[Grade]:
    """The actor's released grades in courses they still belong to, newest first."""
    if not actor.is_authenticated:
        return []
    return list(db.session.scalars(
        select(Grade).join(Discussion)
        .where(visible_grades(actor), Grade.student_id == actor.id,
               my_courses(actor, Discussion.course_id))
        .options(joinedload(Grade.discussion).joinedload(Discussion.course))
        .order_by(Grade.released_at.desc())
    ))
