"""Who may open which page and use which form: one table per rule, every seat."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import (
    Annotation,
    Course,
    Discussion,
    Enrollment,
    Flag,
    Grade,
    GradeChange,
    Moderation,
    Post,
    PromptState,
    ReadMark,
    Reply,
    ReplyKind,
)
from forum.services import grading

SEATS = ["admin", "instructor", "ta", "student", "classmate", "outsider", "anonymous"]


def expect(admin, instructor, ta, student, classmate, outsider=404, anonymous=302) -> dict:
    return dict(zip(SEATS, [admin, instructor, ta, student, classmate, outsider, anonymous],
                    strict=True))


MEMBERS = expect(200, 200, 200, 200, 200)
STAFF = expect(200, 200, 200, 403, 403)
INSTRUCTORS = expect(200, 200, 403, 403, 403)

PAGES = {
    "course": ("/courses/{course}", MEMBERS),
    "members": ("/courses/{course}/members", MEMBERS),
    "course settings": ("/courses/{course}/edit", INSTRUCTORS),
    "new course": ("/courses/new", expect(200, 403, 403, 403, 403, outsider=403)),
    "discussion": ("/discussions/{discussion}", MEMBERS),
    "new discussion": ("/courses/{course}/discussions/new", INSTRUCTORS),
    "edit discussion": ("/discussions/{discussion}/edit", INSTRUCTORS),
    "prompt list": ("/discussions/{discussion}/prompts", STAFF),
    "post": ("/posts/{post}", MEMBERS),
    "write a post": ("/discussions/{discussion}/posts/new", MEMBERS),
    "edit post": ("/posts/{post}/edit", expect(403, 403, 403, 200, 403)),
    "post revisions": ("/posts/{post}/revisions", expect(200, 200, 200, 200, 403)),
    "edit reply": ("/replies/{reply}/edit", expect(403, 403, 403, 403, 200)),
    "reply revisions": ("/replies/{reply}/revisions", expect(200, 200, 200, 403, 200)),
    "api tokens": ("/account/tokens", expect(200, 200, 200, 200, 200, outsider=200)),
    "grading roster": ("/discussions/{discussion}/grading", STAFF),
    "grading a student": ("/discussions/{discussion}/grading/{student}", STAFF),
    "grading settings": ("/discussions/{discussion}/grading/settings", INSTRUCTORS),
    "confirm release": ("/discussions/{discussion}/grading/release", INSTRUCTORS),
    "gradebook": ("/courses/{course}/gradebook", STAFF),
    "gradebook export": ("/courses/{course}/gradebook.csv", INSTRUCTORS),
    "import a course": ("/courses/import", expect(200, 403, 403, 403, 403, outsider=403)),
    "my grades": ("/grades", expect(200, 200, 200, 200, 200, outsider=200)),
    "change password": ("/account/password", expect(200, 200, 200, 200, 200, outsider=200)),
    "moderation queue": ("/courses/{course}/moderation", STAFF),
    "report a post": ("/posts/{post}/report", expect(403, 403, 403, 403, 200)),
    "report a reply": ("/replies/{reply}/report", expect(403, 403, 403, 200, 403)),
    "search": ("/search?q=treaty&course={course}", expect(200, 200, 200, 200, 200)),
    "notifications": ("/notifications", expect(200, 200, 200, 200, 200, outsider=200)),
    "notification settings": ("/notifications/settings",
                              expect(200, 200, 200, 200, 200, outsider=200)),
    "mail not sent": ("/admin/mail", expect(200, 403, 403, 403, 403, outsider=403)),
    "lti platforms": ("/admin/lti", expect(200, 403, 403, 403, 403, outsider=403)),
    "lti scores not taken": ("/admin/lti/scores",
                             expect(200, 403, 403, 403, 403, outsider=403)),
    "search my courses": ("/search?q=treaty", expect(200, 200, 200, 200, 200,
                                                     outsider=200, anonymous=200)),
}


def _url(template: str, world) -> str:
    return template.format(course=world.course.id, discussion=world.discussion.id,
                           post=world.post.id, reply=world.reply.id, student=world.student.id)


@pytest.mark.parametrize("seat", SEATS)
@pytest.mark.parametrize("page", PAGES)
def test_page_access(world, login_as, page, seat):
    template, expected = PAGES[page]
    response = login_as(world.actors[seat]).get(_url(template, world))
    assert response.status_code == expected[seat]
    if expected[seat] == 302:
        assert "/login?next=" in response.headers["Location"]


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


# Each action: URL, form, expected status by seat, and what proves it happened.
ACTIONS = {
    "write a post": (
        "/discussions/{discussion}/posts/new",
        {"title": "New argument", "body": "Text", "publish": "Publish"},
        expect(302, 302, 302, 302, 302),
        lambda w: _count(Post, Post.title == "New argument") == 1,
    ),
    "reply": (
        "/posts/{post}/replies", {"body": "A fresh reply"},
        expect(302, 302, 302, 302, 302),
        lambda w: _count(Reply, Reply.body == "A fresh reply") == 1,
    ),
    "ask a prompt": (
        "/posts/{post}/prompts", {"body": "Why?"},
        expect(302, 302, 302, 403, 403),
        lambda w: _count(Reply, Reply.body == "Why?", Reply.kind == ReplyKind.PROMPT) == 1,
    ),
    "edit a post": (
        "/posts/{post}/edit", {"title": "Retitled", "body": "New text"},
        expect(403, 403, 403, 302, 403),
        lambda w: db.session.get(Post, w.post.id).title == "Retitled",
    ),
    "delete a post": (
        "/posts/{post}/delete", {},
        expect(302, 302, 302, 302, 403),
        lambda w: db.session.get(Post, w.post.id).deleted_at is not None,
    ),
    "delete a classmate's reply": (
        "/replies/{reply}/delete", {},
        expect(302, 302, 302, 403, 302),
        lambda w: db.session.get(Reply, w.reply.id).deleted_at is not None,
    ),
    "resolve a prompt": (
        "/replies/{prompt}/resolve", {},
        expect(302, 302, 302, 403, 403),
        lambda w: db.session.get(Reply, w.prompt.id).prompt_state is PromptState.RESOLVED,
    ),
    "close the discussion": (
        "/discussions/{discussion}/close", {},
        expect(302, 302, 403, 403, 403),
        lambda w: db.session.get(Discussion, w.discussion.id).closed_at is not None,
    ),
    "mark a discussion read": (
        "/discussions/{discussion}/read", {},
        expect(302, 302, 302, 302, 302),
        lambda w: _count(ReadMark, ReadMark.post_id == w.post.id) >= 1,
    ),
    "mark a course read": (
        "/courses/{course}/read", {},
        expect(302, 302, 302, 302, 302),
        lambda w: _count(ReadMark, ReadMark.post_id == w.post.id) >= 1,
    ),
    "create a discussion": (
        "/courses/{course}/discussions/new", {"title": "Week 3", "points_possible": "5"},
        expect(302, 302, 403, 403, 403),
        lambda w: _count(Discussion, Discussion.title == "Week 3") == 1,
    ),
    "add a member": (
        "/courses/{course}/members", {"email": "{outsider_email}", "role": "student"},
        expect(302, 302, 403, 403, 403),
        lambda w: _count(Enrollment, Enrollment.course_id == w.course.id,
                         Enrollment.user_id == w.outsider.id) == 1,
    ),
    "change course settings": (
        "/courses/{course}/edit",
        {"code": "NEW-1", "title": "Renamed", "timezone": "UTC", "visibility": "private"},
        expect(302, 302, 403, 403, 403),
        lambda w: db.session.get(Course, w.course.id).code == "NEW-1",
    ),
    "save a grade": (
        "/discussions/{discussion}/grading/{student}", {"score": "6", "feedback": "Clear."},
        expect(302, 302, 302, 403, 403),
        lambda w: _count(Grade, Grade.student_id == w.student.id) == 1,
    ),
    "release grades": (
        "/discussions/{discussion}/grading/release", {"expected": "1"},
        expect(302, 302, 403, 403, 403),
        lambda w: _count(GradeChange, GradeChange.note == "released") == 1,
    ),
    "comment on a passage": (
        "/posts/{post}/annotations", {"quote": "harsh in tone", "body": "Whose?"},
        expect(302, 302, 302, 403, 403),
        lambda w: _count(Annotation) == 1,
    ),
    "change grading settings": (
        "/discussions/{discussion}/grading/settings",
        {"points_possible": "10", "rubric": "Argument\n5 | Strong", "min_posts": "1"},
        expect(302, 302, 403, 403, 403),
        lambda w: db.session.get(Discussion, w.discussion.id).rubric != [],
    ),
    "hide a post from the queue": (
        "/courses/{course}/moderation/post/{post}", {"action": "hide", "reason": "Off topic"},
        expect(302, 302, 302, 403, 403),
        lambda w: db.session.get(Post, w.post.id).moderation is Moderation.HIDDEN,
    ),
    "report a reply": (
        "/replies/{reply}/report", {"reason": "Rude"},
        expect(403, 403, 403, 302, 403),
        lambda w: _count(Flag, Flag.reply_id == w.reply.id) == 1,
    ),
    "lock a thread": (
        "/posts/{post}/lock", {},
        expect(302, 302, 302, 403, 403),
        lambda w: db.session.get(Post, w.post.id).locked_at is not None,
    ),
    "create a course": (
        "/courses/new",
        {"code": "NEW-2", "title": "New", "timezone": "UTC", "visibility": "private"},
        expect(302, 403, 403, 403, 403, outsider=403),
        lambda w: _count(Course, Course.code == "NEW-2") == 1,
    ),
}


@pytest.mark.parametrize("seat", SEATS)
@pytest.mark.parametrize("action", ACTIONS)
def test_form_action_access(world, login_as, action, seat):
    template, form, expected, happened = ACTIONS[action]
    url = template.format(course=world.course.id, discussion=world.discussion.id,
                          post=world.post.id, reply=world.reply.id, prompt=world.prompt.id,
                          student=world.student.id)
    if action == "release grades":
        grading.save_grade(world.ta, world.discussion, world.classmate.id, version=None,
                           score=5)
    form = {k: v.format(outsider_email=world.outsider.email) for k, v in form.items()}
    response = login_as(world.actors[seat]).post(url, data=form)
    assert response.status_code == expected[seat], response.data[:2000]
    db.session.expire_all()
    assert happened(world) is (expected[seat] == 302 and seat != "anonymous")


def test_a_student_of_another_course_gets_404_for_every_id_of_this_course(world, login_as):
    client = login_as(world.outsider)
    for url in [f"/courses/{world.course.id}", f"/discussions/{world.discussion.id}",
                f"/posts/{world.post.id}", f"/replies/{world.reply.id}/edit",
                f"/posts/{world.post.id}/revisions"]:
        assert client.get(url).status_code == 404, url


def test_missing_and_forbidden_look_the_same(world, login_as):
    client = login_as(world.outsider)
    forbidden = client.get(f"/posts/{world.post.id}")
    missing = client.get("/posts/999999")
    assert forbidden.status_code == missing.status_code == 404
    assert b"Harsh in tone" not in forbidden.data


def test_public_course_is_readable_by_anyone_but_writable_by_members_only(make, client):
    course = make.course(public=True)
    discussion = make.discussion(course)
    post = make.post(discussion, title="Open letter")
    assert b"Open letter" in client.get(f"/posts/{post.id}").data
    assert client.get(f"/courses/{course.id}").status_code == 200
    response = client.post(f"/posts/{post.id}/replies", data={"body": "spam"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert _count(Reply) == 0


def test_a_user_sees_only_their_own_courses(world, login_as):
    page = login_as(world.outsider).get("/courses").get_data(as_text=True)
    assert "The Cold War" in page
    assert "Europe between the Wars" not in page


def test_role_changes_apply_on_the_next_request(world, login_as, client):
    login_as(world.ta)
    assert client.get(f"/discussions/{world.discussion.id}/prompts").status_code == 200
    enrollment = db.session.scalar(select(Enrollment).where(Enrollment.user_id == world.ta.id))
    enrollment.role = "student"
    db.session.commit()
    assert client.get(f"/discussions/{world.discussion.id}/prompts").status_code == 403
    db.session.delete(enrollment)
    db.session.commit()
    assert client.get(f"/discussions/{world.discussion.id}").status_code == 404
