"""Courses, their members and people: who sees and manages them, and the SQL twins."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, select, true

from forum.access.actor import (
    Actor,
    is_admin,
    is_instructor,
    is_member,
    is_staff,
    is_student,
    takes_part,
)
from forum.models import Course, Enrollment, Role, User, Visibility

# People


def can_view_profile(actor: Actor, person: User) -> bool:
    """A profile (the display name) is for those who meet the person in some course."""
    if is_admin(actor) or (actor.is_authenticated and actor.id == person.id):
        return True
    return any(e.course.is_public or is_member(actor, e.course) for e in person.enrollments)


def visible_people(actor: Actor) -> ColumnElement[bool]:
    """Users whose profile the actor may see (twin of can_view_profile)."""
    if is_admin(actor):
        return true()
    shared = User.id.in_(select(Enrollment.user_id).where(
        visible_courses(actor, Enrollment.course_id)))
    return or_(User.id == actor.id, shared) if actor.is_authenticated else shared


def can_manage_accounts(actor: Actor) -> bool:
    """Disable and enable accounts: site admins."""
    return is_admin(actor)


# Courses


def can_create_course(actor: Actor) -> bool:
    return is_admin(actor)


def can_view_course(actor: Actor, course: Course) -> bool:
    return course.is_public or is_admin(actor) or is_member(actor, course)


def visible_courses(actor: Actor, course_id=Course.id) -> ColumnElement[bool]:
    """Courses the actor may read (twin of can_view_course), as a condition on a
    course id column."""
    if is_admin(actor):
        return true()
    public = course_id.in_(select(Course.id).where(Course.visibility == Visibility.PUBLIC))
    return or_(public, member_courses(actor, course_id))


def member_courses(actor: Actor, course_id=Course.id) -> ColumnElement[bool]:
    """Courses the actor is enrolled in, in any role (twin of is_member)."""
    if not actor.is_authenticated or actor.id is None:
        return false()
    return course_id.in_(select(Enrollment.course_id).where(Enrollment.user_id == actor.id))


def my_courses(actor: Actor, course_id=Course.id) -> ColumnElement[bool]:
    """The courses on the actor's own list: every one for admins (twin of takes_part)."""
    return true() if is_admin(actor) else member_courses(actor, course_id)


def staff_courses(actor: Actor, course_id=Course.id) -> ColumnElement[bool]:
    """Courses the actor teaches or assists in, every one for admins (twin of is_staff)."""
    if is_admin(actor):
        return true()
    if not actor.is_authenticated or actor.id is None:
        return false()
    return course_id.in_(select(Enrollment.course_id).where(
        Enrollment.user_id == actor.id, Enrollment.role.in_([Role.TA, Role.INSTRUCTOR])))


def can_edit_course(actor: Actor, course: Course) -> bool:
    return is_instructor(actor, course)


# Members


def can_view_members(actor: Actor, course: Course) -> bool:
    return takes_part(actor, course)


def can_view_enrollment(actor: Actor, enrollment: Enrollment) -> bool:
    return can_view_members(actor, enrollment.course)


def visible_enrollments(actor: Actor, course: Course) -> ColumnElement[bool]:
    """The course's members the actor may list (twin of can_view_enrollment)."""
    if not can_view_members(actor, course):
        return false()
    return Enrollment.course_id == course.id


def student_enrollments(course_id) -> ColumnElement[bool]:
    """Enrollments of the course's students (twin of is_student): join it on users."""
    return (Enrollment.course_id == course_id) & (Enrollment.role == Role.STUDENT)


def can_manage_members(actor: Actor, course: Course) -> bool:
    return is_instructor(actor, course)


def can_see_member_emails(actor: Actor, course: Course) -> bool:
    return is_staff(actor, course)


def can_export_course(actor: Actor, course: Course) -> bool:
    """Take the course's whole record away as an archive: its instructors, and admins."""
    return is_instructor(actor, course)


def can_see_archive_job(actor: Actor, job) -> bool:
    """Follow a course archive job and take its file: an export's, the one who asked
    for it (the file holds the course as *they* see it: their own drafts, say) while
    they may still export the course, and admins; an import's, whoever may create
    courses."""
    if job.is_export:
        mine = actor.is_authenticated and actor.id == job.requested_by_id
        return job.course is not None and can_export_course(actor, job.course) and (
            mine or is_admin(actor))
    return can_create_course(actor)


__all__ = [
    "can_create_course",
    "can_edit_course",
    "can_export_course",
    "can_manage_accounts",
    "can_manage_members",
    "can_see_archive_job",
    "can_see_member_emails",
    "can_view_course",
    "can_view_enrollment",
    "can_view_members",
    "can_view_profile",
    "is_student",
    "member_courses",
    "my_courses",
    "staff_courses",
    "student_enrollments",
    "visible_courses",
    "visible_enrollments",
    "visible_people",
]
