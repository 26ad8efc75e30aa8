"""Courses, members and discussions: what instructors set up, and its rules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Course, Discussion, Enrollment, Role


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


class TestMembers:
    def test_staff_see_member_emails_and_students_see_names_and_roles_only(self, world,
                                                                         login_as):
        url = f"/courses/{world.course.id}/members"
        for seat in ("instructor", "ta", "admin"):
            assert world.classmate.email in login_as(world.actors[seat]).get(url).get_data(
                as_text=True)
        page = login_as(world.student).get(url).get_data(as_text=True)
        assert "Ben Carter" in page and "TA" in page
        assert world.classmate.email not in page
        assert world.instructor.email not in page

    def test_instructor_adds_a_member_by_email_with_a_role(self, world, login_as, make):
        newcomer = make.user("Chloé Martin", email="chloe@example.edu")
        response = login_as(world.instructor).post(
            f"/courses/{world.course.id}/members", data={"email": "CHLOE@example.edu",
                                                         "role": "ta"}, follow_redirects=True)
        assert "Chloé Martin added as TA." in response.get_data(as_text=True)
        assert newcomer.course_role(world.course.id) is Role.TA

    @pytest.mark.parametrize(("email", "role", "message"), [
        ("nobody@example.edu", "student", "No account uses this email"),
        ("{classmate}", "student", "already a member"),
        ("{outsider}", "owner", "Not a valid choice"),
    ])
    def test_adding_a_member_explains_refusals(self, world, login_as, email, role, message):
        before = _count(Enrollment)
        email = email.format(classmate=world.classmate.email, outsider=world.outsider.email)
        response = login_as(world.instructor).post(
            f"/courses/{world.course.id}/members", data={"email": email, "role": role})
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
        assert _count(Enrollment) == before

    def test_change_a_role_and_remove_a_member(self, world, login_as):
        client = login_as(world.instructor)
        enrollment = db.session.scalar(select(Enrollment).where(
            Enrollment.user_id == world.classmate.id))
        client.post(f"/courses/{world.course.id}/members/{enrollment.id}/role",
                    data={"role": "ta"})
        db.session.refresh(enrollment)
        assert enrollment.role is Role.TA
        client.post(f"/courses/{world.course.id}/members/{enrollment.id}/remove")
        assert _count(Enrollment, Enrollment.user_id == world.classmate.id) == 0
        assert login_as(world.classmate).get(f"/courses/{world.course.id}").status_code == 404
        db.session.refresh(world.reply)
        assert world.reply.body == "Moderate for whom?"  # their writing stays

    def test_a_course_keeps_at_least_one_instructor(self, world, login_as):
        enrollment = db.session.scalar(select(Enrollment).where(
            Enrollment.user_id == world.instructor.id))
        client = login_as(world.instructor)
        response = client.post(f"/courses/{world.course.id}/members/{enrollment.id}/role",
                               data={"role": "student"}, follow_redirects=True)
        assert "at least one instructor" in response.get_data(as_text=True)
        client.post(f"/courses/{world.course.id}/members/{enrollment.id}/remove")
        db.session.refresh(enrollment)
        assert enrollment.role is Role.INSTRUCTOR

    def test_an_enrollment_of_another_course_is_not_found(self, world, login_as):
        foreign = db.session.scalar(select(Enrollment).where(
            Enrollment.user_id == world.outsider.id))
        response = login_as(world.instructor).post(
            f"/courses/{world.course.id}/members/{foreign.id}/remove")
        assert response.status_code == 404
        assert _count(Enrollment, Enrollment.id == foreign.id) == 1


class TestCourses:
    def test_admin_creates_a_course(self, world, login_as):
        response = login_as(world.admin).post("/courses/new", data={
            "code": "HIST-101", "title": "Revolutions", "term": "Spring 2027",
            "timezone": "America/Chicago", "visibility": "public"})
        assert response.status_code == 302
        course = db.session.scalar(select(Course).where(Course.code == "HIST-101"))
        assert course.is_public and course.timezone == "America/Chicago"

    @pytest.mark.parametrize(("fields", "message"), [
        ({"code": ""}, "Code is required"),
        ({"timezone": "Mars/Olympus"}, "Choose a timezone"),
        ({"visibility": "secret"}, "Not a valid choice"),
        ({"code": "{existing}"}, "already uses this code"),
    ])
    def test_bad_course_settings_are_refused(self, world, login_as, fields, message):
        data = {"code": "HIST-102", "title": "T", "timezone": "UTC", "visibility": "private",
                **fields}
        data["code"] = data["code"].format(existing=world.other_course.code)
        before = _count(Course)
        response = login_as(world.admin).post("/courses/new", data=data)
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
        assert _count(Course) == before


class TestDiscussions:
    def _create(self, client, course, **fields):
        data = {"title": "Week 4: Locarno", "prompt": "Was **Locarno** a turning point?",
                "points_possible": "10", **fields}
        return client.post(f"/courses/{course.id}/discussions/new", data=data)

    def test_dates_are_entered_and_shown_in_the_course_timezone(self, make, login_as):
        course = make.course(timezone="America/New_York")
        instructor = make.member(course, Role.INSTRUCTOR)
        client = login_as(instructor)
        response = self._create(client, course, opens_at="2027-01-10T09:00",
                                due_at="2027-01-17T23:59")
        assert response.status_code == 302
        discussion = db.session.scalar(select(Discussion).where(Discussion.course_id == course.id))
        assert discussion.due_at == datetime(2027, 1, 18, 4, 59, tzinfo=UTC)
        assert discussion.prompt_html == "<p>Was <strong>Locarno</strong> a turning point?</p>\n"
        page = client.get(f"/discussions/{discussion.id}").get_data(as_text=True)
        assert "Sun 17 Jan 2027, 23:59 EST" in page

    @pytest.mark.parametrize(("fields", "message"), [
        ({"title": ""}, "Title is required"),
        ({"title": "x" * 201}, "at most 200 characters"),
        ({"opens_at": "2027-01-10T09:00", "due_at": "2027-01-09T09:00"},
         "after the discussion opens"),
        ({"due_at": "2027-01-10T09:00", "locks_at": "2027-01-09T09:00"}, "not come before the due"),
        ({"points_possible": "-5"}, "Points must be a number from 0"),
        ({"due_at": "next tuesday"}, "Not a valid datetime value"),
    ])
    def test_bad_discussion_settings_are_refused(self, world, login_as, fields, message):
        before = _count(Discussion)
        response = self._create(login_as(world.instructor), world.course, **fields)
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
        assert _count(Discussion) == before

    def test_closing_makes_a_discussion_read_only_and_reopening_restores_it(self, world,
                                                                          login_as):
        login_as(world.instructor).post(f"/discussions/{world.discussion.id}/close")
        page = login_as(world.student).get(f"/discussions/{world.discussion.id}")
        assert "read-only" in page.get_data(as_text=True)
        assert "Write a post" not in page.get_data(as_text=True)
        login_as(world.instructor).post(f"/discussions/{world.discussion.id}/reopen")
        page = login_as(world.student).get(f"/discussions/{world.discussion.id}")
        assert "Write a post" in page.get_data(as_text=True)

    def test_editing_a_discussion_from_a_stale_form_conflicts(self, world, login_as):
        client = login_as(world.instructor)
        stale = str(world.discussion.version)
        assert client.post(f"/discussions/{world.discussion.id}/edit", data={
            "title": "Renamed once", "version": stale}).status_code == 302
        response = client.post(f"/discussions/{world.discussion.id}/edit", data={
            "title": "Renamed twice", "version": stale})
        assert response.status_code == 422
        assert "Someone else changed this" in response.get_data(as_text=True)
        db.session.refresh(world.discussion)
        assert world.discussion.title == "Renamed once"


def test_points_are_numbers_not_booleans(world):
    from forum.errors import Invalid
    from forum.services.discussions import create_discussion

    with pytest.raises(Invalid) as refused:
        create_discussion(world.instructor, world.course, title="Week 9", points_possible=True)
    assert "points_possible" in refused.value.errors
