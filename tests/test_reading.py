"""Unread marks: what is new to each person in a thread, a discussion and a course, how
it is marked read, and that it follows what the person may see (held, deleted,
revealed later), on the pages and in the API alike."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import ReadMark, Reveal, Role, utcnow
from forum.services import moderation, replies


def _new_badges(html: str) -> list[int]:
    """The replies marked New on a post page, in thread order."""
    ids = []
    for piece in html.split('<li class="reply')[1:]:
        header = piece.split("</header>")[0]
        if "badge-new" in header:
            ids.append(int(re.search(r'id="reply-(\d+)"', piece).group(1)))
    return ids


def _course_unread(client, course) -> int:
    html = client.get(f"/courses/{course.id}").get_data(as_text=True)
    return sum(int(n) for n in re.findall(r"(\d+) unread</span>", html))


@pytest.fixture
def returning(world, make, login_as):
    """The post's author read her thread; then classmates and staff wrote more."""
    client = login_as(world.student)
    client.get(f"/posts/{world.post.id}")
    world.first = make.reply(world.post, world.classmate, body="A second thought, later.")
    world.nested = make.reply(world.post, world.ta, parent=world.reply, body="The TA adds.")
    world.own = make.reply(world.post, world.student, body="My own answer, not news to me.")
    world.client = client
    return world


def test_a_returning_reader_sees_exactly_what_is_new_and_the_count_falls(returning):
    w = returning
    assert _course_unread(w.client, w.course) == 2
    page = w.client.get(f"/posts/{w.post.id}").get_data(as_text=True)
    assert _new_badges(page) == [w.nested.id, w.first.id]  # thread order; never her own
    assert "2 new replies since your last visit" in page
    assert f'href="#reply-{w.nested.id}" data-next-new' in page
    again = w.client.get(f"/posts/{w.post.id}").get_data(as_text=True)
    assert _new_badges(again) == [] and "since your last visit" not in again
    assert _course_unread(w.client, w.course) == 0


def test_the_read_mark_is_one_row_per_person_and_post(returning):
    returning.client.get(f"/posts/{returning.post.id}")
    marks = db.session.scalar(select(func.count()).select_from(ReadMark).where(
        ReadMark.user_id == returning.student.id))
    assert marks == 1


def test_an_unopened_post_is_new_with_all_its_replies(world, make, login_as):
    client = login_as(world.classmate)
    other = make.post(world.discussion, make.member(world.course, Role.STUDENT), title="Fresh")
    make.reply(other, world.instructor, body="Welcome.")
    listing = client.get(f"/discussions/{world.discussion.id}").get_data(as_text=True)
    fresh = listing.split(">Fresh</a>")[1].split("</li>")[0]
    assert "badge-new" in fresh and "1 new" in fresh
    page = client.get(f"/posts/{other.id}").get_data(as_text=True)
    post_header = page.split('<article class="post')[1].split("</header>")[0]
    assert 'class="badge badge-new">New</span>' in post_header
    listing = client.get(f"/discussions/{world.discussion.id}").get_data(as_text=True)
    assert "badge-new" not in listing.split(">Fresh</a>")[1].split("</li>")[0]


def test_an_edit_does_not_make_a_read_reply_new_again(returning):
    w = returning
    w.client.get(f"/posts/{w.post.id}")
    replies.update_reply(w.classmate, w.first, version=w.first.version, body="Reworded.")
    assert _new_badges(w.client.get(f"/posts/{w.post.id}").get_data(as_text=True)) == []


def test_a_deleted_reply_is_never_counted_as_unread(returning):
    w = returning
    replies.delete_reply(w.classmate, w.first)
    assert _course_unread(w.client, w.course) == 1
    assert _new_badges(w.client.get(f"/posts/{w.post.id}").get_data(as_text=True)) == [
        w.nested.id]


def test_a_reply_held_while_i_read_is_new_once_published(world, make, login_as):
    client = login_as(world.student)
    held = make.reply(world.post, world.classmate, body="Words the moderators held back.")
    moderation.moderate(world.instructor, held, "hide", "Off topic")
    page = client.get(f"/posts/{world.post.id}").get_data(as_text=True)
    assert "Words the moderators held back." not in page
    assert _course_unread(client, world.course) == 0  # never counts what she cannot see
    moderation.moderate(world.instructor, held, "restore")
    assert _course_unread(client, world.course) == 1
    assert held.id in _new_badges(client.get(f"/posts/{world.post.id}").get_data(as_text=True))


def test_classmates_writing_revealed_later_is_new(world, make, login_as):
    late = make.reply(world.post, world.classmate, body="Seen only after the due date.")
    world.discussion.reveal = Reveal.AFTER_DUE
    db.session.commit()
    client = login_as(world.student)
    page = client.get(f"/posts/{world.post.id}").get_data(as_text=True)
    assert "Seen only after the due date." not in page
    world.discussion.due_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert _course_unread(client, world.course) == 2  # both of the classmate's replies
    assert _new_badges(client.get(f"/posts/{world.post.id}").get_data(as_text=True)) == [
        world.reply.id, late.id]
    assert _course_unread(client, world.course) == 0


def test_mark_all_read_per_discussion_and_per_course(returning, make):
    w = returning
    other = make.discussion(w.course, title="Week two")
    make.post(other, w.classmate, title="In week two")
    assert _course_unread(w.client, w.course) == 3
    w.client.post(f"/discussions/{w.discussion.id}/read")
    assert _course_unread(w.client, w.course) == 1
    w.client.post(f"/courses/{w.course.id}/read")
    assert _course_unread(w.client, w.course) == 0
    assert _new_badges(w.client.get(f"/posts/{w.post.id}").get_data(as_text=True)) == []


def test_the_kept_thread_is_shared_and_the_marks_are_each_readers_own(returning, login_as):
    """Two students get the same kept copy; each sees their own New marks."""
    w = returning
    theirs = _new_badges(login_as(w.classmate).get(f"/posts/{w.post.id}").get_data(
        as_text=True))
    assert w.first.id not in theirs and w.own.id in theirs  # never their own reply
    mine = _new_badges(login_as(w.student).get(f"/posts/{w.post.id}").get_data(as_text=True))
    assert mine == [w.nested.id, w.first.id]


def test_the_api_counts_unread_and_marks_read(returning, api):
    w = returning
    student = w.student
    course = api.get(student, f"/api/v1/courses/{w.course.id}").get_json()
    assert course["unread"] == 2
    listed = api.get(student, f"/api/v1/courses/{w.course.id}/discussions").get_json()
    assert listed[0]["unread"] == 2
    posts = api.get(student, f"/api/v1/discussions/{w.discussion.id}/posts").get_json()
    assert (posts[0]["unread"], posts[0]["unread_replies"]) == (False, 2)
    thread = api.get(student, f"/api/v1/posts/{w.post.id}/thread").get_json()
    flat = _flatten(thread["replies"])
    assert sorted(r["id"] for r in flat if r["unread"]) == sorted([w.first.id, w.nested.id])
    assert thread["unread_replies"] == 2
    # Reading through the API changes nothing; marking does.
    assert api.get(student, f"/api/v1/courses/{w.course.id}").get_json()["unread"] == 2
    assert api.post(student, f"/api/v1/discussions/{w.discussion.id}/read").status_code == 204
    assert api.get(student, f"/api/v1/courses/{w.course.id}").get_json()["unread"] == 0
    classmate_posts = api.get(w.classmate, f"/api/v1/discussions/{w.discussion.id}/posts")
    assert classmate_posts.get_json()[0]["unread"] is True
    assert api.post(w.classmate, f"/api/v1/posts/{w.post.id}/read").status_code == 204
    assert api.get(w.classmate, f"/api/v1/posts/{w.post.id}").get_json()["unread"] is False


def test_visitors_have_no_unread_counts(blog, api, client, login_as):
    course = api.get(None, f"/api/v1/courses/{blog.course.id}").get_json()
    assert course["unread"] is None
    assert ">Unread</th>" not in client.get(f"/courses/{blog.course.id}").get_data(as_text=True)
    member = login_as(blog.student).get(f"/courses/{blog.course.id}")
    assert ">Unread</th>" in member.get_data(as_text=True)
    assert api.post(None, f"/api/v1/discussions/{blog.discussion.id}/read").status_code == 401


def test_no_one_marks_what_they_may_not_see(world, api):
    answer = api.post(world.outsider, f"/api/v1/discussions/{world.discussion.id}/read")
    assert answer.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(ReadMark)) == 0


def _flatten(nodes: list[dict]) -> list[dict]:
    out = []
    for node in nodes:
        out.append(node)
        out += _flatten(node["replies"])
    return out
