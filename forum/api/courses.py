"""Courses and their members: /courses, /courses/{id}, /courses/{id}/members."""

from __future__ import annotations

from flask.views import MethodView

from forum.access import can_see_member_emails
from forum.api.auth import actor, require_user
from forum.api.common import PAGINATION, Blueprint, at, created, page_of
from forum.api.present import course_view, user_ref
from forum.api.schemas import (
    CourseInputSchema,
    CourseSchema,
    CourseUpdateSchema,
    MemberAddSchema,
    MemberSchema,
    MemberUpdateSchema,
)
from forum.models import Course, Enrollment
from forum.services import courses as course_service
from forum.services import reading

bp = Blueprint("Courses", __name__, url_prefix="/api/v1",
               description="Courses and their members")


@bp.route("/courses")
class Courses(MethodView):
    @bp.response(200, CourseSchema(many=True))
    @bp.paginate(**PAGINATION)
    @bp.errors()
    @bp.doc(operationId="listCourses")
    def get(self, pagination_parameters):
        """Your courses (every course, for site admins)"""
        user = require_user()
        found = course_service.courses_for(user)
        unread = reading.unread_by_course(user, found)
        return page_of(found, lambda c: course_view(c, user, unread.get(c.id, 0)),
                       pagination_parameters)

    @bp.arguments(CourseInputSchema)
    @bp.created(CourseSchema, Course, at(".CourseItem", "course_id"))
    @bp.errors(403, 422)
    @bp.doc(operationId="createCourse")
    def post(self, data):
        """Create a course (site admins)"""
        user = require_user()
        course = course_service.create_course(user, **data)
        return created(lambda: course_view(course, user), course)


def _course_fields(course) -> dict:
    return {"code": course.code, "title": course.title, "term": course.term,
            "timezone": course.timezone, "visibility": course.visibility.value,
            "guest_comments": course.guest_comments.value,
            "spam_threshold": course.spam_threshold, "hold_threshold": course.hold_threshold,
            "notify_held": course.notify_held}


@bp.route("/courses/<id:course_id>")
class CourseItem(MethodView):
    @bp.etag
    @bp.response(200, CourseSchema)
    @bp.errors()
    @bp.doc(operationId="getCourse")
    def get(self, course_id: int):
        """A course you belong to, or any public course"""
        course = course_service.get_course(actor(), course_id)
        bp.set_etag(_course_fields(course))
        unread = reading.unread_by_course(actor(), [course])
        return course_view(course, actor(), unread.get(course.id, 0))

    @bp.etag
    @bp.arguments(CourseUpdateSchema)
    @bp.response(200, CourseSchema)
    @bp.errors(403, 422)
    @bp.doc(operationId="updateCourse")
    def patch(self, data, course_id: int):
        """Change a course's settings (its instructors)"""
        user = require_user()
        course = course_service.get_course(user, course_id)
        course_service.authorize_edit_course(user, course)
        bp.check_etag(_course_fields(course))
        course_service.update_course(user, course, **{**_course_fields(course), **data})
        bp.set_etag(_course_fields(course))
        return course_view(course, user)


def member_view(enrollment, with_email: bool) -> dict:
    view = {"id": enrollment.id, "user": user_ref(enrollment.user), "role": enrollment.role}
    if with_email:
        view["email"] = enrollment.user.email
    return view


@bp.route("/courses/<id:course_id>/members")
class Members(MethodView):
    @bp.response(200, MemberSchema(many=True))
    @bp.paginate(**PAGINATION)
    @bp.errors()
    @bp.doc(operationId="listMembers")
    def get(self, course_id: int, pagination_parameters):
        """Members, staff first; emails only for staff and admins"""
        user = require_user()
        course = course_service.get_course(user, course_id)
        emails = can_see_member_emails(user, course)
        members = course_service.members_of(user, course)
        return page_of(members, lambda e: member_view(e, emails), pagination_parameters)

    @bp.arguments(MemberAddSchema)
    @bp.created(MemberSchema, Enrollment, at(".Member", "member_id"))
    @bp.errors(403, 422)
    @bp.doc(operationId="addMember")
    def post(self, data, course_id: int):
        """Add an existing account by email, with a role (instructors)"""
        user = require_user()
        course = course_service.get_course(user, course_id)
        enrollment = course_service.add_member(user, course, data["email"], data["role"])
        return created(lambda: member_view(enrollment, True), enrollment)


def _member_etag(enrollment) -> dict:
    return {"id": enrollment.id, "role": enrollment.role.value}


@bp.route("/courses/<id:course_id>/members/<id:member_id>")
class Member(MethodView):
    @bp.etag
    @bp.response(200, MemberSchema)
    @bp.errors()
    @bp.doc(operationId="getMember")
    def get(self, course_id: int, member_id: int):
        """One member; the email only for staff and admins"""
        user = require_user()
        course = course_service.get_course(user, course_id)
        enrollment = course_service.get_enrollment(user, course, member_id)
        bp.set_etag(_member_etag(enrollment))
        return member_view(enrollment, can_see_member_emails(user, course))

    @bp.etag
    @bp.arguments(MemberUpdateSchema)
    @bp.response(200, MemberSchema)
    @bp.errors(403, 422)
    @bp.doc(operationId="updateMember")
    def patch(self, data, course_id: int, member_id: int):
        """Change a member's role (instructors); a course keeps one instructor"""
        user = require_user()
        course = course_service.get_course(user, course_id)
        enrollment = course_service.get_enrollment(user, course, member_id)
        course_service.authorize_manage_members(user, course)
        bp.check_etag(_member_etag(enrollment))
        course_service.change_role(user, enrollment, data["role"])
        bp.set_etag(_member_etag(enrollment))
        return member_view(enrollment, True)

    @bp.response(204)
    @bp.errors(403, 422)
    @bp.doc(operationId="removeMember")
    def delete(self, course_id: int, member_id: int):
        """Remove a member (instructors); their writing stays"""
        user = require_user()
        course = course_service.get_course(user, course_id)
        course_service.remove_member(user, course_service.get_enrollment(user, course,
                                                                         member_id))
