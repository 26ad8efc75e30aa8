"""The course gradebook: students by discussions, and its CSV export."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy import func, select

from forum.access import (
    Actor,
    can_export_gradebook,
    can_view_course,
    can_view_gradebook,
    student_enrollments,
    visible_grades,
)
from forum.errors import NotFound, PermissionDenied
from forum.extensions import db
from forum.formats.points import format_points
from forum.models import Course, Discussion, Enrollment, Grade, User

# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Gradebook:
    course: Course
    discussions: list[Discussion]
    students: list[User]
    grades: dict[tuple[int, int], Grade]  # (student_id, discussion_id)

    def total(self, student_id: int) -> float:
        return sum((self.grades[(student_id, d.id)].score or 0)
                   for d in self.discussions if (student_id, d.id) in self.grades)

    @property
    def points_possible(self) -> float:
        return sum(d.points_possible for d in self.discussions)


def gradebook(actor: Actor, course: Course) -> Gradebook:
    """Every student's grade in every discussion, drafts included (staff), in 3 queries.
    Raises NotFound, PermissionDenied."""
    if not can_view_course(actor, course):
        raise NotFound("No such course.")
    if not can_view_gradebook(actor, course):
        raise PermissionDenied("Only instructors and TAs see the gradebook.")
    discussions = list(db.session.scalars(
        select(Discussion).where(Discussion.course_id == course.id)
        .order_by(Discussion.due_at.is_(None), Discussion.due_at, Discussion.id)))
    students = list(db.session.scalars(
        select(User).join(Enrollment, Enrollment.user_id == User.id)
        .where(student_enrollments(course.id))
        .order_by(func.lower(User.display_name), User.id)))
    grades = {(g.student_id, g.discussion_id): g for g in db.session.scalars(
        select(Grade).join(Discussion).where(Discussion.course_id == course.id,
                                             visible_grades(actor)))}
    return Gradebook(course, discussions, students, grades)


def spreadsheet_safe(value) -> str:
    """A cell as text that a spreadsheet shows and never evaluates."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def gradebook_csv(actor: Actor, course: Course) -> str:
    """The gradebook as CSV, one row per student (instructors). Raises NotFound,
    PermissionDenied."""
    book = gradebook(actor, course)
    if not can_export_gradebook(actor, course):
        raise PermissionDenied("Only instructors export the gradebook.")
    out = io.StringIO()
    writer = csv.writer(out)
    rows = [["Name", "Email", "Student id",
             *(f"{d.title} ({format_points(d.points_possible)})" for d in book.discussions),
             f"Total ({format_points(book.points_possible)})"]]
    for student in book.students:
        scores = [book.grades.get((student.id, d.id)) for d in book.discussions]
        rows.append([
            student.display_name, student.email, student.id,
            *("" if g is None or g.score is None else format_points(g.score) for g in scores),
            format_points(book.total(student.id)),
        ])
    writer.writerows([spreadsheet_safe(cell) for cell in row] for row in rows)
    return out.getvalue()
