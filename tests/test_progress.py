"""A student's progress against a discussion's requirements, on the dashboard, on the
discussion page and in the API; grades released since their last look."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import Grade, Role, utcnow
from forum.services import grading


@pytest.fixture
def required(world):
    """The world's discussion asks for a post, two replies to classmates and an answer
    to every prompt. Ana has her post and an open prompt; Ben one reply to her."""
    world.discussion.min_peer_replies = 2
    world.discussion.require_prompt_answers = True
    db.session.commit()
    return world


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_each_student_sees_their_own_figures_and_no_one_elses(required, login_as, make):
    w = required
    make.reply(w.post, w.student, body="Answering myself does not count as a peer reply.")
    discussion_url = f"/discussions/{w.discussion.id}"
    ana = _page(login_as(w.student), discussion_url)
    assert "Your progress" in ana
    assert "1 of 1 posts: done" in ana
    assert "0 of 2 replies to classmates: 2 to go" in ana
    assert "0 of 1 prompts answered: 1 to go" in ana
    assert "Which terms do you mean?" not in ana.split("Your progress")[0]  # the prompt
    assert f"#reply-{w.prompt.id}" in ana  # links to the prompt awaiting her
    ben = _page(login_as(w.classmate), discussion_url)
    assert "0 of 1 posts: 1 to go" in ben and "1 of 2 replies to classmates" in ben
    assert "No prompts addressed to you yet" in ben
    assert f"#reply-{w.prompt.id}" not in ben  # Ana's prompt is not Ben's to answer
    for seat in (w.ta, w.instructor, w.admin):
        assert "Your progress" not in _page(login_as(seat), discussion_url)


def test_the_dashboard_lists_progress_in_open_discussions(required, login_as, make):
    w = required
    closed = make.discussion(w.course, title="A closed week", closed_at=utcnow())
    later = make.discussion(w.course, title="Not open yet",
                            opens_at=utcnow() + timedelta(days=2))
    long_ago = make.discussion(w.course, title="Long past due",
                               due_at=utcnow() - timedelta(days=30))
    make.discussion(w.other_course, title="Another course's week")
    late = make.discussion(w.course, title="Due yesterday", due_at=utcnow() - timedelta(days=1))
    make.post(late, w.student, title="Written after the due date")
    page = _page(login_as(w.student), "/")
    section = page.split('id="my-progress"', 1)[1].split('id="awaiting"', 1)[0]
    assert w.discussion.title in section and "Due yesterday" in section
    assert "1 late" in section
    for hidden in (closed.title, later.title, long_ago.title, "Another course's week"):
        assert hidden not in section
    assert 'id="my-progress"' not in _page(login_as(w.instructor), "/")


def test_the_api_gives_a_student_their_own_progress_and_staff_anyones(required, api):
    w = required
    url = f"/api/v1/discussions/{w.discussion.id}/progress"
    own = api.get(w.student, url)
    assert own.status_code == 200
    assert own.json["student"]["id"] == w.student.id
    assert own.json["posts"] == 1 and own.json["prompts_open"] == 1
    assert not own.json["requirements_met"]
    assert [p["id"] for p in own.json["open_prompts"]] == [w.prompt.id]
    assert api.get(w.student, f"{url}?student_id={w.student.id}").json == own.json
    refused = api.get(w.student, f"{url}?student_id={w.classmate.id}")
    assert refused.status_code == 403 and "peer_replies" not in refused.get_data(as_text=True)
    staff = api.get(w.ta, f"{url}?student_id={w.classmate.id}").json
    assert (staff["student"]["id"], staff["peer_replies"], staff["posts"]) == (
        w.classmate.id, 1, 0)
    assert api.get(w.ta, url).status_code == 404  # staff name the student
    assert api.get(w.ta, f"{url}?student_id={w.ta.id}").status_code == 404
    assert api.get(w.ta, f"{url}?student_id=x").status_code == 422
    assert api.get(w.outsider, f"{url}?student_id={w.student.id}").status_code == 404


def test_draft_grades_never_reach_the_student(required, api, login_as):
    w = required
    grading.save_grade(w.ta, w.discussion, w.student.id, version=None, score=4,
                       feedback="Draft: DO-NOT-SHOW")
    assert api.get(w.student, f"/api/v1/discussions/{w.discussion.id}/progress") \
        .json["grade"] is None
    assert api.get(w.ta, f"/api/v1/discussions/{w.discussion.id}/progress"
                         f"?student_id={w.student.id}").json["grade"]["state"] == "draft"
    client = login_as(w.student)
    for url in ("/", f"/discussions/{w.discussion.id}", "/grades"):
        page = _page(client, url)
        assert "DO-NOT-SHOW" not in page and "Grades released since" not in page
    assert api.get(w.student, "/api/v1/me/progress").json[0]["grade"] is None


def _grade() -> Grade:
    db.session.expire_all()
    return db.session.scalar(select(Grade))


@pytest.mark.parametrize("where", ["/grades", "/discussions/{discussion}"])
def test_a_released_grade_is_new_until_the_student_opens_it(world, login_as, api, where):
    w = world
    grading.save_grade(w.ta, w.discussion, w.student.id, version=None, score=6)
    grading.release_grades(w.instructor, w.discussion)
    version = _grade().version
    client = login_as(w.student)
    dashboard = _page(client, "/")
    assert "Grades released since your last visit" in dashboard
    assert api.get(w.student, "/api/v1/me/grades").json[0]["new"] is True
    url = where.format(discussion=w.discussion.id)
    said = ('<span class="badge badge-new">New</span>' if where == "/grades"
            else "Your grade has been released")
    assert said in _page(client, url)
    assert said not in _page(client, url)  # seen: not new any more
    grade = _grade()
    assert grade.seen_at is not None and grade.version == version  # no grader conflict
    assert "Grades released since your last visit" not in _page(client, "/")
    assert api.get(w.student, "/api/v1/me/grades").json[0]["new"] is False
    # the grader saves from the version they had: a student's look changed nothing
    grading.save_grade(w.ta, w.discussion, w.student.id, version=version, score=8)
    assert "Grades released since your last visit" in _page(client, "/")  # changed: new
    assert "updated" in _page(client, "/")


def test_another_students_grade_is_never_marked_by_a_look(world, login_as):
    w = world
    grading.save_grade(w.ta, w.discussion, w.classmate.id, version=None, score=6)
    grading.release_grades(w.instructor, w.discussion)
    for seat in (w.student, w.ta, w.instructor):
        _page(login_as(seat), "/grades")
        _page(login_as(seat), f"/discussions/{w.discussion.id}")
    assert _grade().seen_at is None


def _statements(client, url, count_queries) -> int:
    client.get(url)
    with count_queries() as counter:
        assert client.get(url).status_code == 200
    return counter.count


def test_the_students_pages_cost_the_same_with_more_discussions(world, make, login_as,
                                                               count_queries):
    w = world
    client = login_as(w.student)
    pages = ("/", f"/discussions/{w.discussion.id}", "/grades")
    small = [_statements(client, url, count_queries) for url in pages]
    for n in range(5):
        discussion = make.discussion(w.course, title=f"Week {n}", min_peer_replies=1)
        post = make.post(discussion, w.student)
        make.reply(post, w.classmate)
        make.prompt(post, w.ta)
        grading.save_grade(w.ta, discussion, w.student.id, version=None, score=5)
        grading.release_grades(w.instructor, discussion)
    other = make.member(w.other_course, Role.STUDENT)
    make.post(make.discussion(w.other_course), other)
    for url in pages:  # look once, so that the grades are no longer new
        client.get(url)
    assert [_statements(client, url, count_queries) for url in pages] == small
