"""Post first: where a discussion reveals classmates' writing late (after one's own post,
after the due date, after one's grade is released), a student who has not unlocked it
finds no trace of classmates' posts or replies: not in pages, counts, lists, threads or
JSON; the page says why and what unlocks it. Staff always see everything."""

from __future__ import annotations

from datetime import timedelta

import pytest

from forum.extensions import db
from forum.models import Reveal, Role, utcnow
from forum.services import grading, posts, replies

PEER_TITLE = "Versailles as a peace of compromise"
PEER_TEXT = "Keynes misread the reparations clauses entirely."
PEER_REPLY = "The war-guilt clause was a legal device."  # no character HTML escapes


@pytest.fixture
def sealed(world, make):
    """A discussion revealed after posting: Ana posted and answered the TA's opening
    post; Ben (the classmate) has written nothing there yet."""
    w = world
    w.sealed = make.discussion(w.course, created_by_id=w.instructor.id, title="Post first",
                               reveal=Reveal.AFTER_POSTING)
    w.opening = make.post(w.sealed, w.ta, title="Read this first",
                          body="Here are the sources for this week.")
    w.peer_post = make.post(w.sealed, w.student, title=PEER_TITLE, body=PEER_TEXT)
    w.peer_reply = make.reply(w.opening, w.student, body=PEER_REPLY)
    return w


def _everything(reader, w, client, api, login_as) -> dict[str, str]:
    login_as(reader)
    base = "/api/v1"
    answers = {
        "discussion page": client.get(f"/discussions/{w.sealed.id}"),
        "course page": client.get(f"/courses/{w.course.id}"),
        "opening post page": client.get(f"/posts/{w.opening.id}"),
        "dashboard": client.get("/"),
        "post list": api.get(reader, f"{base}/discussions/{w.sealed.id}/posts"),
        "discussion": api.get(reader, f"{base}/discussions/{w.sealed.id}"),
        "course discussions": api.get(reader, f"{base}/courses/{w.course.id}/discussions"),
        "thread": api.get(reader, f"{base}/posts/{w.opening.id}/thread"),
        "replies": api.get(reader, f"{base}/posts/{w.opening.id}/replies"),
    }
    for name, response in answers.items():
        assert response.status_code == 200, (name, response.status_code)
    return {name: response.get_data(as_text=True) for name, response in answers.items()}


def test_before_posting_a_student_finds_no_trace_of_classmates(sealed, client, api,
                                                               login_as):
    w = sealed
    for name, text in _everything(w.classmate, w, client, api, login_as).items():
        for secret in (PEER_TITLE, PEER_TEXT, PEER_REPLY):
            assert secret not in text, (name, secret)
    login_as(w.classmate)
    assert client.get(f"/posts/{w.peer_post.id}").status_code == 404
    assert api.get(w.classmate, f"/api/v1/posts/{w.peer_post.id}").status_code == 404
    assert api.get(w.classmate, f"/api/v1/replies/{w.peer_reply.id}").status_code == 404


def test_counts_leave_classmates_out(sealed, api):
    w = sealed
    url = f"/api/v1/courses/{w.course.id}/discussions"

    def counted(reader):
        return next(d for d in api.get(reader, url).json if d["id"] == w.sealed.id)

    mine, staff = counted(w.classmate), counted(w.ta)
    assert (mine["post_count"], mine["reply_count"]) == (1, 0)  # the TA's post alone
    assert (staff["post_count"], staff["reply_count"]) == (2, 1)


def test_the_page_says_why_and_what_unlocks_it(sealed, client, login_as):
    page = login_as(sealed.classmate).get(f"/discussions/{sealed.sealed.id}").get_data(
        as_text=True)
    assert "once you publish a post of your own" in page


def test_publishing_a_post_reveals_them(sealed, client, api, login_as):
    w = sealed
    draft = posts.create_post(w.classmate, w.sealed, title="Mine", body="My view.",
                              publish=False)
    assert PEER_TITLE not in login_as(w.classmate).get(
        f"/discussions/{w.sealed.id}").get_data(as_text=True)  # a draft unlocks nothing
    posts.update_post(w.classmate, draft, version=draft.version, title="Mine",
                      body="My view.", publish=True)
    answers = _everything(w.classmate, w, client, api, login_as)
    assert PEER_TITLE in answers["discussion page"] and PEER_TITLE in answers["post list"]
    assert PEER_REPLY in answers["opening post page"] and PEER_REPLY in answers["thread"]
    assert "once you publish" not in answers["discussion page"]


@pytest.mark.parametrize("seat", ["instructor", "ta", "admin"])
def test_staff_always_see_everything(sealed, client, api, login_as, seat):
    answers = _everything(sealed.actors[seat], sealed, client, api, login_as)
    assert PEER_TITLE in answers["discussion page"] and PEER_REPLY in answers["thread"]


def test_the_kept_thread_is_not_shared_between_revealed_and_not(sealed, client, login_as):
    """Ana (who posted) and Ben (who did not) are students both: the thread kept for one
    must never be served to the other."""
    w = sealed
    assert PEER_REPLY not in login_as(w.classmate).get(f"/posts/{w.opening.id}").get_data(
        as_text=True)
    third = db.session.get(type(w.student), w.student.id)
    assert PEER_REPLY in login_as(third).get(f"/posts/{w.opening.id}").get_data(as_text=True)
    assert PEER_REPLY not in login_as(w.classmate).get(f"/posts/{w.opening.id}").get_data(
        as_text=True)


def test_after_the_due_date(world, make, api, client, login_as):
    w = world
    later = make.discussion(w.course, created_by_id=w.instructor.id, reveal=Reveal.AFTER_DUE,
                            due_at=utcnow() + timedelta(days=2))
    make.post(later, w.student, title=PEER_TITLE)
    make.post(later, w.classmate, title="Ben's own")
    url = f"/api/v1/discussions/{later.id}/posts"
    assert [p["title"] for p in api.get(w.classmate, url).json] == ["Ben's own"]
    page = login_as(w.classmate).get(f"/discussions/{later.id}").get_data(as_text=True)
    assert "after the due date" in page and PEER_TITLE not in page
    later.due_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert {p["title"] for p in api.get(w.classmate, url).json} == {PEER_TITLE, "Ben's own"}


def test_after_grades_are_released(world, make, api):
    w = world
    graded = make.discussion(w.course, created_by_id=w.instructor.id,
                             reveal=Reveal.AFTER_RELEASE)
    make.post(graded, w.student, title=PEER_TITLE)
    make.post(graded, w.classmate, title="Ben's own")
    url = f"/api/v1/discussions/{graded.id}/posts"
    grading.save_grade(w.instructor, graded, w.classmate.id, version=None, score=8)
    assert [p["title"] for p in api.get(w.classmate, url).json] == ["Ben's own"]
    grading.release_grades(w.instructor, graded)
    assert {p["title"] for p in api.get(w.classmate, url).json} == {PEER_TITLE, "Ben's own"}


def test_a_late_reveal_hides_replies_on_ones_own_post_too(world, make, api, client,
                                                          login_as):
    """Grades released for Ana, not for Ben: Ana may answer Ben's post, but Ben reads
    her answer only once his own grade is out."""
    w = world
    graded = make.discussion(w.course, created_by_id=w.instructor.id,
                             reveal=Reveal.AFTER_RELEASE)
    bens = make.post(graded, w.classmate, title="Ben's own")
    grading.save_grade(w.instructor, graded, w.student.id, version=None, score=8)
    grading.release_grades(w.instructor, graded)
    replies.reply_to(w.student, bens, None, PEER_REPLY)
    thread = api.get(w.classmate, f"/api/v1/posts/{bens.id}/thread").get_data(as_text=True)
    assert PEER_REPLY not in thread
    assert PEER_REPLY not in login_as(w.classmate).get("/").get_data(as_text=True)
    grading.save_grade(w.instructor, graded, w.classmate.id, version=None, score=6)
    grading.release_grades(w.instructor, graded)
    assert PEER_REPLY in login_as(w.classmate).get("/").get_data(as_text=True)


def test_the_setting_is_edited_like_any_other(world, api):
    url = f"/api/v1/discussions/{world.discussion.id}"
    response = api.patch(world.instructor, url, {"reveal": "after_posting",
                                                 "anonymity": "allowed", "likes": "staff"})
    assert response.status_code == 200, response.json
    assert (response.json["reveal"], response.json["anonymity"], response.json["likes"]) == (
        "after_posting", "allowed", "staff")
    refused = api.patch(world.instructor, url, {"reveal": "whenever"})
    assert refused.status_code == 422 and "reveal" in refused.json["errors"]
    assert api.patch(world.student, url, {"reveal": "always"}).status_code == 403


def test_a_new_classmate_sees_nothing_until_posting(sealed, make, client, login_as):
    late = make.member(sealed.course, Role.STUDENT, "Late Joiner")
    page = login_as(late).get(f"/discussions/{sealed.sealed.id}").get_data(as_text=True)
    assert PEER_TITLE not in page and "Read this first" in page
