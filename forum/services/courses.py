"""Courses and their members."""

from __future__ import annotations

from zoneinfo import available_timezones

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from forum.access import (
    Actor,
    can_create_course,
    can_edit_course,
    can_manage_members,
    can_view_course,
    can_view_members,
    my_courses,
    visible_courses,
    visible_enrollments,
)
from forum.errors import Invalid, NotFound, PermissionDenied
from forum.extensions import db
from forum.models import Anonymous, Course, Enrollment, GuestComments, Role, User, Visibility
from forum.models.courses import people_changed
from forum.models.limits import COURSE_CODE_MAX, TERM_MAX, TITLE_MAX
from forum.services.accounts import find_user_by_email
from forum.services.validation import FieldErrors, clean_text, collecting_errors
from forum.transactions import writes

TIMEZONES = frozenset(available_timezones())


def get_course(actor: Actor, course_id: int) -> Course:
    """The course, if the actor may see it. Raises NotFound."""
    course = db.session.get(Course, course_id)
    if course is None or not can_view_course(actor, course):
        raise NotFound("No such course.")
    return course


def courses_for(actor: Actor) -> list[Course]:
    """The courses on the actor's list: their own, or every course for admins."""
    if not actor.is_authenticated:
        return []
    return list(db.session.scalars(
        select(Course).where(my_courses(actor)).order_by(Course.term.desc(), Course.code)))


def public_courses() -> list[Course]:
    """Courses anyone may read, for the welcome page."""
    return list(db.session.scalars(
        select(Course).where(visible_courses(Anonymous())).order_by(Course.code)
    ))


def _clean_course_fields(errors: FieldErrors, fields: dict, course: Course | None) -> dict:
    cleaned = {
        "code": clean_text(errors, "code", fields.get("code"), max_length=COURSE_CODE_MAX,
                           label="Code"),
        "title": clean_text(errors, "title", fields.get("title"), max_length=TITLE_MAX,
                            label="Title"),
        "term": clean_text(errors, "term", fields.get("term"), max_length=TERM_MAX, required=False,
                           label="Term"),
        "timezone": (fields.get("timezone") or "UTC").strip(),
    }
    if cleaned["timezone"] not in TIMEZONES:
        errors.add("timezone", "Choose a timezone from the list, such as Europe/Paris.")
    try:
        cleaned["visibility"] = Visibility(fields.get("visibility") or "private")
    except ValueError:
        errors.add("visibility", "Visibility is either private or public.")
    cleaned.update(_clean_moderation_fields(errors, fields, course))
    code = cleaned["code"]
    if code and "code" not in errors:
        other = db.session.scalar(select(Course).where(Course.code == code))
        if other is not None and other is not course:
            errors.add_conflict("code", "Another course already uses this code.")
    return cleaned


def _threshold(errors: FieldErrors, field: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        errors.add(field, "A spam score threshold is a number from 0 to 1.")
        return 0.0
    return float(value)


def _clean_moderation_fields(errors: FieldErrors, fields: dict, course: Course | None) -> dict:
    """Guest comments, the spam thresholds, whether staff are told of held comments; a
    field not given keeps its value."""
    cleaned = {}
    if fields.get("guest_comments") is not None:
        try:
            cleaned["guest_comments"] = GuestComments(fields["guest_comments"])
        except ValueError:
            errors.add("guest_comments", "Guest comments are off, moderated or auto.")
    for name in ("spam_threshold", "hold_threshold"):
        if fields.get(name) is not None:
            cleaned[name] = _threshold(errors, name, fields[name])
    if fields.get("notify_held") is not None:
        if isinstance(fields["notify_held"], bool):
            cleaned["notify_held"] = fields["notify_held"]
        else:
            errors.add("notify_held", "Say true or false.")
    spam_at = cleaned.get("spam_threshold", course.spam_threshold if course else 0.9)
    hold_at = cleaned.get("hold_threshold", course.hold_threshold if course else 0.5)
    if "spam_threshold" not in errors and "hold_threshold" not in errors and hold_at > spam_at:
        errors.add("hold_threshold", "The hold threshold must not be above the spam threshold.")
    return cleaned


def authorize_create_course(actor: Actor) -> None:
    """Raises PermissionDenied unless the actor may create courses."""
    if not can_create_course(actor):
        raise PermissionDenied("Only site admins create courses.")


def authorize_edit_course(actor: Actor, course: Course) -> None:
    """Raises PermissionDenied unless the actor may change the course."""
    if not can_edit_course(actor, course):
        raise PermissionDenied("Only the course's instructors change its settings.")


@writes
def create_course(actor: Actor, **fields) -> Course:
    """Create a course (admins). Raises PermissionDenied, Invalid."""
    authorize_create_course(actor)
    with collecting_errors() as errors:
        cleaned = _clean_course_fields(errors, fields, None)
    course = Course(**cleaned)
    db.session.add(course)
    db.session.commit()
    return course


@writes
def update_course(actor: Actor, course: Course, **fields) -> Course:
    """Change a course's details (instructors). Raises PermissionDenied, Invalid."""
    authorize_edit_course(actor, course)
    with collecting_errors() as errors:
        cleaned = _clean_course_fields(errors, fields, course)
    for name, value in cleaned.items():
        setattr(course, name, value)
    db.session.commit()
    return course


def authorize_manage_members(actor: Actor, course: Course) -> None:
    """Raises PermissionDenied unless the actor manages the course's members."""
    if not can_manage_members(actor, course):
        raise PermissionDenied("Only instructors manage members.")


def members_of(actor: Actor, course: Course) -> list[Enrollment]:
    """Enrollments with their users, staff first. Raises NotFound."""
    if not can_view_members(actor, course):
        raise NotFound("No such course.")
    rank = {Role.INSTRUCTOR: 0, Role.TA: 1, Role.STUDENT: 2}
    enrollments = db.session.scalars(
        select(Enrollment).where(visible_enrollments(actor, course)).options(
            joinedload(Enrollment.user)
        )
    )
    return sorted(enrollments, key=lambda e: (rank[e.role], e.user.display_name.lower()))


def _parse_role(errors: FieldErrors, value: str | None) -> Role | None:
    try:
        return Role(value or "")
    except ValueError:
        errors.add("role", "Role is student, ta or instructor.")
        return None


@writes
def add_member(actor: Actor, course: Course, email: str | None, role: str | None) -> Enrollment:
    """Enroll an existing account by email. Raises PermissionDenied, Invalid."""
    if not can_manage_members(actor, course):
        raise PermissionDenied("Only instructors add members.")
    with collecting_errors() as errors:
        parsed_role = _parse_role(errors, role)
        user = find_user_by_email(email or "") if (email or "").strip() else None
        if user is None:
            errors.add_conflict("email", "No account uses this email; ask them to register first.")
        elif user.course_role(course.id) is not None:
            errors.add_conflict("email", f"{user.display_name} is already a member of this course.")
    enrollment = Enrollment(user=user, course=course, role=parsed_role)
    db.session.add(enrollment)
    db.session.execute(people_changed(course.id))
    db.session.commit()
    return enrollment


def get_enrollment(actor: Actor, course: Course, enrollment_id: int) -> Enrollment:
    """A member of the course, for those who may see its members. Raises NotFound."""
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None or enrollment.course_id != course.id \
            or not can_view_members(actor, course):
        raise NotFound("No such member.")
    return enrollment


def _other_instructors(enrollment: Enrollment) -> int:
    return sum(
        1 for e in enrollment.course.enrollments
        if e.role is Role.INSTRUCTOR and e.id != enrollment.id
    )


@writes
def change_role(actor: Actor, enrollment: Enrollment, role: str | None) -> Enrollment:
    """Give a member another role; a course keeps at least one instructor.
    Raises PermissionDenied, Invalid."""
    if not can_manage_members(actor, enrollment.course):
        raise PermissionDenied("Only instructors change roles.")
    with collecting_errors() as errors:
        new_role = _parse_role(errors, role)
        if (enrollment.role is Role.INSTRUCTOR and new_role is not Role.INSTRUCTOR
                and not _other_instructors(enrollment)):
            errors.add_conflict("role", "A course needs at least one instructor.")
    enrollment.role = new_role
    db.session.execute(people_changed(enrollment.course_id))
    db.session.commit()
    return enrollment


@writes
def remove_member(actor: Actor, enrollment: Enrollment) -> User:
    """Take a member out of the course; their posts stay. Raises PermissionDenied, Invalid."""
    if not can_manage_members(actor, enrollment.course):
        raise PermissionDenied("Only instructors remove members.")
    if enrollment.role is Role.INSTRUCTOR and not _other_instructors(enrollment):
        raise Invalid({"role": ["A course needs at least one instructor."]}, conflict=True)
    user = enrollment.user
    db.session.delete(enrollment)
    db.session.execute(people_changed(enrollment.course_id))
    db.session.commit()
    return user
