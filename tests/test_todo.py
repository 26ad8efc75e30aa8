"""The staff's to-do list on the dashboard and in the API: grading past due, drafts to
release, prompts left unanswered, comments waiting; only in courses they teach, and in a
fixed number of statements."""

from __future__ import annotations

from datetime import timedelta

import pytest

from forum.extensions import db
from forum.models import Moderation, Role, utcnow
from forum.services import grading
from forum.services.courses import courses_for
from forum.services.todo import PROMPT_STALE_AFTER, staff_todo


def _age(item, by: timedelta) -> None:
    item.created_at = utcnow() - by
    db.session.commit()


@pytest.fixture
def busy(blog, make):
    """The world's discussion past due, Ana graded as a draft (Ben and Chloé not), the
    prompt to Ana open for a week, a guest's comment waiting; a discussion of another
    course past due with nobody graded."""
    w = blog
    w.chloe = make.member(w.course, Role.STUDENT, "Chloé Martin")
    w.discussion.due_at = utcnow() - timedelta(days=1)
    db.session.commit()
    grading.save_grade(w.ta, w.discussion, w.student.id, version=None, score=5)
    _age(w.prompt, timedelta(days=7))
    waiting = make.guest_comment(w.post, "A visitor's considered view of the settlement.")
    waiting.moderation = Moderation.PENDING  # whatever the filter thought of it
    db.session.commit()
    elsewhere = make.discussion(w.other_course, title="The other course's essay",
                                due_at=utcnow() - timedelta(days=2))
    make.member(w.other_course, Role.STUDENT, "Someone Else")
    w.elsewhere = elsewhere
    return w


def _todo(client) -> str:
    page = client.get("/").get_data(as_text=True)
    if 'id="todo"' not in page:
        return ""
    return page.split('id="todo"', 1)[1].split("</section>", 1)[0]


def test_the_instructor_finds_what_to_do_and_where(busy, login_as):
    w = busy
    todo = _todo(login_as(w.instructor))
    roster = f"/discussions/{w.discussion.id}/grading"
    assert f'href="{roster}?state=ungraded">Grade 2 students in “{w.discussion.title}”' in todo
    assert f'href="{roster}?state=draft">1 draft grade not released' in todo
    assert f'href="{roster}/release">Release…' in todo
    assert f'href="/posts/{w.post.id}#reply-{w.prompt.id}">Prompt to Ana Lindqvist' in todo
    assert f'href="/courses/{w.course.id}/moderation">{w.course.code}: 1 waiting' in todo
    assert w.elsewhere.title not in todo  # not a course of theirs


def test_a_ta_sees_the_drafts_but_is_not_offered_to_release(busy, login_as):
    todo = _todo(login_as(busy.ta))
    assert "1 draft grade not released" in todo and "an instructor releases them" in todo
    assert "/release" not in todo


def test_students_have_no_to_do_list(busy, login_as):
    for seat in (busy.student, busy.classmate, busy.outsider):
        assert _todo(login_as(seat)) == ""


def test_nothing_is_listed_before_its_time(world, login_as, make):
    w = world  # due next week, the prompt just asked
    _age(w.prompt, PROMPT_STALE_AFTER - timedelta(hours=1))
    make.discussion(w.course, title="Ungraded but worth nothing", points_possible=0,
                    due_at=utcnow() - timedelta(days=3))
    assert "Nothing waits for you" in _todo(login_as(w.instructor))


def test_graded_students_leave_the_list(busy, login_as):
    w = busy
    for student in (w.classmate, w.chloe):
        grading.save_grade(w.ta, w.discussion, student.id, version=None, score=5)
    grading.release_grades(w.instructor, w.discussion)
    todo = _todo(login_as(w.instructor))
    assert "Grade " not in todo and "draft grade" not in todo
    assert "Prompt to Ana Lindqvist" in todo


def test_the_api_gives_the_same_list(busy, api):
    w = busy
    body = api.get(w.instructor, "/api/v1/me/todo").json
    assert [(line["discussion"]["id"], line["students"]) for line in body["ungraded"]] == [
        (w.discussion.id, 2)]
    assert [(line["drafts"], line["can_release"]) for line in body["drafts"]] == [(1, True)]
    assert [p["id"] for p in body["stale_prompts"]] == [w.prompt.id]
    assert body["stale_prompts"][0]["student"]["display_name"] == "Ana Lindqvist"
    assert [(m["course_id"], m["pending"]) for m in body["moderation"]] == [(w.course.id, 1)]
    assert api.get(w.ta, "/api/v1/me/todo").json["drafts"][0]["can_release"] is False
    empty = {"ungraded": [], "drafts": [], "stale_prompts": [], "moderation": []}
    assert api.get(w.student, "/api/v1/me/todo").json == empty
    assert api.get(w.outsider, "/api/v1/me/todo").json == empty


def test_the_list_costs_the_same_for_many_courses(busy, make, count_queries):
    w = busy

    def statements() -> int:
        courses = courses_for(w.instructor)
        with count_queries() as counter:
            todo = staff_todo(w.instructor, courses)
        return counter.count, len(todo.ungraded)

    small, lines = statements()
    for _ in range(4):
        course = make.course()
        make.member(course, Role.STUDENT)
        db.session.add(make_enrollment(course, w.instructor))
        db.session.commit()
        for week in range(3):
            discussion = make.discussion(course, due_at=utcnow() - timedelta(days=week + 1))
            post = make.post(discussion)
            _age(make.prompt(post, w.instructor), timedelta(days=5))
    db.session.expire_all()
    large, more_lines = statements()
    assert (large, small) == (6, 6)  # five, and the actor's roles once
    assert more_lines == lines + 12


def make_enrollment(course, user):
    from forum.models import Enrollment

    return Enrollment(user_id=user.id, course_id=course.id, role=Role.INSTRUCTOR)
