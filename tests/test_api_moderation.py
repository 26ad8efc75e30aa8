"""Moderation through the JSON API: the queue and staff actions by seat, bulk actions,
members' flags, locks and pins, restoring revisions, guests' comments and the erasure of
their data, and that nothing of a guest's (email, website, address) or of a held text
reaches anyone it is not meant for."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import (
    Flag,
    Guest,
    GuestComments,
    Moderation,
    Reply,
    Revision,
    Role,
    Visibility,
)
from forum.services import moderation
from forum.services.moderation import FLAG_HIDE_REASON
from forum.services.replies import LOCKED_MESSAGE, update_reply
from tests.factories import Factory

SEATS = ["admin", "instructor", "ta", "student", "outsider", "anonymous"]
STAFF_SEATS = {"admin", "instructor", "ta"}


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _user(world, seat):
    return None if seat == "anonymous" else world.actors[seat]


def guest_comment(post, body: str, *, ip: str = "198.51.100.23", **fields) -> Reply:
    return Factory().guest_comment(post, body, ip=ip, **fields)


@pytest.fixture
def blog(blog):
    """The blog with the spam threshold out of reach, so that held comments are pending
    whatever the filter makes of them."""
    blog.course.spam_threshold = 1.0
    db.session.commit()
    return blog


# The queue and the actions, seat by seat

QUEUE_STATUS = {"admin": 200, "instructor": 200, "ta": 200, "student": 403,
                "outsider": 404, "anonymous": 401}


@pytest.mark.parametrize("seat", SEATS)
def test_the_queue_by_seat_in_a_private_course(world, api, seat):
    response = api.get(_user(world, seat), f"/api/v1/courses/{world.course.id}/moderation")
    assert response.status_code == QUEUE_STATUS[seat], response.json
    assert response.is_json and (response.status_code == 200) == (seat in STAFF_SEATS)


@pytest.mark.parametrize("seat", SEATS)
def test_the_queue_by_seat_in_a_public_course(blog, api, seat):
    """Whoever reads a public course and is not its staff is refused, not shown a 404."""
    guest_comment(blog.post, "Held for the staff to read first.")
    response = api.get(_user(blog, seat), f"/api/v1/courses/{blog.course.id}/moderation")
    expected = {**QUEUE_STATUS, "outsider": 403}[seat]
    assert response.status_code == expected
    if expected == 200:
        assert [item["body"] for item in response.json] == ["Held for the staff to read first."]
    else:
        assert "Held for the staff" not in response.get_data(as_text=True)


ACTION_STATE = {"approve": "published", "spam": "spam", "hide": "hidden",
                "restore": "published"}


@pytest.mark.parametrize("action", list(ACTION_STATE))
@pytest.mark.parametrize("seat", SEATS)
def test_moderating_a_reply_by_seat(world, api, seat, action):
    url = f"/api/v1/replies/{world.reply.id}/moderation"
    response = api.post(_user(world, seat), url, {"action": action})
    expected = 200 if seat in STAFF_SEATS else QUEUE_STATUS[seat]
    assert response.status_code == expected, response.json
    db.session.refresh(world.reply)
    if expected == 200:
        assert response.json["moderation"] == ACTION_STATE[action]
        assert world.reply.moderation == Moderation(ACTION_STATE[action])
        if action == "hide":
            assert response.json["moderation_reason"] == moderation.DEFAULT_HIDE_REASON
    else:
        assert world.reply.moderation is Moderation.PUBLISHED


@pytest.mark.parametrize("action", list(ACTION_STATE))
@pytest.mark.parametrize("seat", [*SEATS, "classmate"])
def test_moderating_a_post_by_seat(world, api, seat, action):
    url = f"/api/v1/posts/{world.post.id}/moderation"
    response = api.post(_user(world, seat), url, {"action": action, "reason": "Not on topic"})
    expected = 200 if seat in STAFF_SEATS else {**QUEUE_STATUS, "classmate": 403}[seat]
    assert response.status_code == expected, response.json
    db.session.refresh(world.post)
    if expected == 200:
        assert response.json["moderation"] == ACTION_STATE[action]
        assert response.json["moderation_reason"] == ("Not on topic" if action == "hide"
                                                      else None)
    else:
        assert world.post.moderation is Moderation.PUBLISHED  # the author cannot either


def test_a_hidden_post_tells_its_author_why_and_nobody_else_sees_it(world, api):
    api.post(world.ta, f"/api/v1/posts/{world.post.id}/moderation",
             {"action": "hide", "reason": "Please cite your sources."})
    url = f"/api/v1/posts/{world.post.id}"
    mine = api.get(world.student, url).json
    assert mine["moderation"] == "hidden"
    assert mine["moderation_reason"] == "Please cite your sources."
    assert api.get(world.classmate, url).status_code == 404
    listing = api.get(world.classmate, f"/api/v1/discussions/{world.discussion.id}/posts")
    assert world.post.id not in [post["id"] for post in listing.json]
    assert api.get(world.instructor, url).json["moderation_reason"] == \
        "Please cite your sources."


def test_a_published_post_shows_its_state_but_no_reason_to_readers(world, api):
    seen = api.get(world.classmate, f"/api/v1/posts/{world.post.id}").json
    assert seen["moderation"] == "published" and seen["locked"] is False
    assert seen["pinned"] is False and "moderation_reason" not in seen
    assert api.get(world.student, f"/api/v1/posts/{world.post.id}").json[
        "moderation_reason"] is None


@pytest.mark.parametrize("body", [
    {"action": "delete"}, {"action": "hide", "reason": "x\x00"}, {"action": "hide", "why": "x"},
    {"action": "hide", "reason": "x" * 501}, {}, {"action": True},
])
def test_moderation_input_is_strict(world, api, body):
    response = api.post(world.ta, f"/api/v1/replies/{world.reply.id}/moderation", body)
    assert response.status_code == 422 and response.json["errors"]
    db.session.refresh(world.reply)
    assert world.reply.moderation is Moderation.PUBLISHED


# The queue's contents and filters


@pytest.fixture
def queue(blog, make):
    """One of each: a pending guest comment, a reply marked spam, a hidden post, a flagged
    reply."""
    q = blog
    q.pending = guest_comment(q.post, "Lovely post, I learned a lot.", name="Ines Guest",
                              email="ines@example.org", website="https://ines.example",
                              ip="203.0.113.5")
    q.spam = make.reply(q.post, q.classmate, body="Cheap essays at a low price")
    moderation.moderate(q.ta, q.spam, "spam")
    q.hidden_post = make.post(q.discussion, q.classmate, title="Off topic",
                              body="Nothing to do with the treaty.")
    moderation.moderate(q.instructor, q.hidden_post, "hide", "Off topic")
    q.flagged = make.reply(q.post, q.classmate, body="You clearly did not read it.")
    moderation.flag(q.student, q.flagged, "Unkind")
    return q


def _queue(api, user, world, query: str = "") -> list[dict]:
    response = api.get(user, f"/api/v1/courses/{world.course.id}/moderation{query}")
    assert response.status_code == 200, response.json
    return response.json


@pytest.mark.parametrize(("state", "expected"), [
    ("pending", {("reply", "pending")}), ("spam", {("reply", "spam")}),
    ("hidden", {("post", "hidden")}), ("flagged", {("reply", "flagged")}),
    ("", {("reply", "pending"), ("reply", "spam"), ("post", "hidden"), ("reply", "flagged")}),
])
def test_the_queue_filters_by_state(queue, api, state, expected):
    names = {queue.pending.id: "pending", queue.spam.id: "spam",
             queue.hidden_post.id: "hidden", queue.flagged.id: "flagged"}
    items = _queue(api, queue.ta, queue, f"?state={state}" if state else "")
    assert {(item["kind"], names[item["id"]]) for item in items} == expected


def test_a_queue_item_holds_what_staff_need(queue, api):
    items = {(i["kind"], i["id"]): i for i in _queue(api, queue.instructor, queue)}
    guest = items[("reply", queue.pending.id)]
    assert guest["author"] == {"id": None, "display_name": "Ines Guest", "guest": True,
                               "email": "ines@example.org", "website": "https://ines.example",
                               "ip_address": "203.0.113.5"}
    assert guest["state"] == "pending" and guest["post_id"] == queue.post.id
    assert guest["post_title"] == "Harsh in tone" and "title" not in guest
    assert 0 <= guest["spam"]["score"] <= 1 and isinstance(guest["spam"]["reasons"], list)
    flagged = items[("reply", queue.flagged.id)]
    assert flagged["state"] == "published" and flagged["spam"] is None
    assert [(f["user"]["display_name"], f["reason"]) for f in flagged["flags"]] == [
        ("Ana Lindqvist", "Unkind")]
    assert flagged["author"]["guest"] is False and flagged["author"]["email"] is None
    post = items[("post", queue.hidden_post.id)]
    assert post["title"] == "Off topic" and post["post_id"] == queue.hidden_post.id
    assert post["moderation_reason"] == "Off topic"


def test_the_queue_pages_with_the_usual_headers(queue, api):
    response = api.get(queue.ta, f"/api/v1/courses/{queue.course.id}/moderation"
                                 "?page=2&page_size=3")
    meta = json.loads(response.headers["X-Pagination"])
    assert meta["total"] == 4 and meta["page"] == 2 and len(response.json) == 1
    assert 'rel="first"' in response.headers["Link"]


def test_an_unknown_queue_state_is_422(queue, api):
    url = f"/api/v1/courses/{queue.course.id}/moderation?state=deleted"
    response = api.get(queue.ta, url)
    assert response.status_code == 422 and "state" in response.json["errors"]


# Bulk


def _bulk(api, user, world, body):
    return api.post(user, f"/api/v1/courses/{world.course.id}/moderation", body)


def test_bulk_approves_a_selection(queue, api):
    response = _bulk(api, queue.ta, queue, {"action": "approve", "ids": [
        {"kind": "reply", "id": queue.pending.id}, {"kind": "post", "id": queue.hidden_post.id},
        {"kind": "reply", "id": queue.flagged.id}]})
    assert response.status_code == 200
    assert {(r["kind"], r["id"], r["state"]) for r in response.json} == {
        ("reply", queue.pending.id, "published"), ("post", queue.hidden_post.id, "published"),
        ("reply", queue.flagged.id, "published")}
    assert {i["id"] for i in _queue(api, queue.ta, queue)} == {queue.spam.id}
    thread = api.get(None, f"/api/v1/posts/{queue.post.id}/thread").get_data(as_text=True)
    assert "Lovely post, I learned a lot." in thread


def test_bulk_is_all_or_nothing(queue, make, api):
    elsewhere = make.reply(make.post(make.discussion(queue.other_course)), queue.outsider)
    response = _bulk(api, queue.ta, queue, {"action": "approve", "ids": [
        {"kind": "reply", "id": queue.pending.id}, {"kind": "reply", "id": elsewhere.id}]})
    assert response.status_code == 404
    db.session.refresh(queue.pending)
    assert queue.pending.moderation is Moderation.PENDING


@pytest.mark.parametrize("ids", [
    [], [{"kind": "reply", "id": 1}] * 101, [{"kind": "comment", "id": 1}],
    [{"kind": "reply", "id": "1"}], [{"kind": "reply"}], [{"kind": "reply", "id": 1, "x": 2}],
])
def test_bulk_input_is_strict(queue, api, ids):
    response = _bulk(api, queue.ta, queue, {"action": "approve", "ids": ids})
    assert response.status_code == 422 and "ids" in response.json["errors"]


@pytest.mark.parametrize("seat", ["student", "outsider", "anonymous"])
def test_bulk_is_for_staff(queue, api, seat):
    response = _bulk(api, _user(queue, seat), queue, {"action": "approve", "ids": [
        {"kind": "reply", "id": queue.pending.id}]})
    assert response.status_code == {"student": 403, "outsider": 403, "anonymous": 401}[seat]
    db.session.refresh(queue.pending)
    assert queue.pending.moderation is Moderation.PENDING


# Flags


def test_three_members_flagging_hide_a_reply_and_staff_see_who(world, make, api):
    flaggers = [world.student, make.member(world.course, Role.STUDENT, "Carla Diaz"),
                make.member(world.course, Role.STUDENT, "Dev Patel")]
    url = f"/api/v1/replies/{world.reply.id}/flags"
    for n, member in enumerate(flaggers):
        response = api.post(member, url, {"reason": f"Reason {n}"})
        assert response.status_code == 201 and response.json["reason"] == f"Reason {n}"
        assert response.headers["Location"].endswith(url)
        db.session.refresh(world.reply)
        assert world.reply.moderation is (Moderation.HIDDEN if n == 2 else Moderation.PUBLISHED)
    assert api.get(world.student, f"/api/v1/replies/{world.reply.id}").status_code == 404
    thread = api.get(world.student, f"/api/v1/posts/{world.post.id}/thread")
    assert "Moderate for whom?" not in thread.get_data(as_text=True)
    mine = api.get(world.classmate, f"/api/v1/replies/{world.reply.id}").json
    assert mine["moderation"] == "hidden" and mine["moderation_reason"] == FLAG_HIDE_REASON
    seen = api.get(world.ta, url)
    assert seen.status_code == 200
    assert [(f["user"]["display_name"], f["reason"]) for f in seen.json] == [
        ("Ana Lindqvist", "Reason 0"), ("Carla Diaz", "Reason 1"), ("Dev Patel", "Reason 2")]
    assert api.get(world.student, url).status_code == 404  # hidden from them now
    assert api.get(world.classmate, url).status_code == 403  # its author sees it, not who


def test_a_flag_twice_is_409_and_staff_and_authors_do_not_flag(world, api):
    url = f"/api/v1/posts/{world.post.id}/flags"
    assert api.post(world.classmate, url, {"reason": "Copied"}).status_code == 201
    assert api.post(world.classmate, url, {"reason": "Copied"}).status_code == 409
    assert api.post(world.student, url, {"reason": "Mine"}).status_code == 403
    assert api.post(world.ta, url, {"reason": "Staff"}).status_code == 403
    assert api.post(world.outsider, url, {"reason": "Who?"}).status_code == 404
    for body in ({}, {"reason": "  "}, {"reason": "x\x00"}, {"reason": "ok", "user_id": 1}):
        assert api.post(world.classmate, f"/api/v1/replies/{world.prompt.id}/flags",
                        body).status_code == 422
    assert _count(Flag) == 1


def test_acting_on_an_item_answers_its_flags(world, api):
    api.post(world.student, f"/api/v1/replies/{world.reply.id}/flags", {"reason": "Rude"})
    assert [i["id"] for i in _queue(api, world.ta, world, "?state=flagged")] == [world.reply.id]
    api.post(world.ta, f"/api/v1/replies/{world.reply.id}/moderation", {"action": "approve"})
    assert _queue(api, world.ta, world, "?state=flagged") == []
    flags = api.get(world.ta, f"/api/v1/replies/{world.reply.id}/flags").json
    assert flags[0]["resolved_at"] is not None


# Thread controls


def test_a_locked_thread_refuses_a_students_reply_with_a_clear_message(world, api):
    locked = api.post(world.ta, f"/api/v1/posts/{world.post.id}/lock")
    assert locked.status_code == 200 and locked.json["locked"] is True
    replies = f"/api/v1/posts/{world.post.id}/replies"
    refused = api.post(world.classmate, replies, {"body": "Still want to say this."})
    assert refused.status_code == 403 and refused.json["message"] == LOCKED_MESSAGE
    assert api.post(world.instructor, replies, {"body": "Staff may still add."}).status_code \
        == 201
    assert api.post(world.student, f"/api/v1/posts/{world.post.id}/lock").status_code == 403
    opened = api.post(world.instructor, f"/api/v1/posts/{world.post.id}/unlock")
    assert opened.json["locked"] is False
    assert api.post(world.classmate, replies, {"body": "Now I may."}).status_code == 201


def test_a_pinned_post_heads_the_list(world, make, api):
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    later = [make.post(world.discussion, world.classmate, title=f"Later {n}",
                       published_at=start + timedelta(hours=n)) for n in range(3)]
    world.post.published_at = start - timedelta(hours=1)
    db.session.commit()
    url = f"/api/v1/discussions/{world.discussion.id}/posts"
    in_order = [world.post.id, *(p.id for p in later)]
    assert [p["id"] for p in api.get(world.student, url).json] == in_order
    pinned = api.post(world.ta, f"/api/v1/posts/{later[2].id}/pin")
    assert pinned.status_code == 200 and pinned.json["pinned"] is True
    listing = api.get(world.student, url).json
    assert [p["id"] for p in listing] == [later[2].id, *in_order[:-1]]
    assert [p["pinned"] for p in listing] == [True, False, False, False]
    assert api.post(world.classmate, f"/api/v1/posts/{later[2].id}/unpin").status_code == 403
    api.post(world.ta, f"/api/v1/posts/{later[2].id}/unpin")
    assert [p["id"] for p in api.get(world.student, url).json] == in_order


def test_restoring_a_revision_keeps_the_replaced_text(world, api):
    update_reply(world.classmate, world.reply, version=world.reply.version,
                 body="Something I regret writing.")
    revision = db.session.scalar(select(Revision).where(Revision.reply_id == world.reply.id))
    url = f"/api/v1/revisions/{revision.id}/restore"
    assert api.post(world.classmate, url).status_code == 403
    assert api.post(world.outsider, url).status_code == 404
    response = api.post(world.ta, url)
    assert response.status_code == 200 and response.json["kind"] == "reply"
    assert response.json["reply"]["body"] == "Moderate for whom?"
    assert "post" not in response.json
    texts = [r["body"] for r in api.get(
        world.ta, f"/api/v1/replies/{world.reply.id}/revisions").json]
    assert texts == ["Something I regret writing.", "Moderate for whom?"]


def test_restoring_a_posts_revision(world, api):
    api.patch(world.student, f"/api/v1/posts/{world.post.id}", {"title": "Retitled"})
    revision = db.session.scalar(select(Revision).where(Revision.post_id == world.post.id))
    response = api.post(world.instructor, f"/api/v1/revisions/{revision.id}/restore")
    assert response.status_code == 200 and response.json["kind"] == "post"
    assert response.json["post"]["title"] == "Harsh in tone"
    assert _count(Revision, Revision.post_id == world.post.id) == 2


# Guests' comments through the API


def _comment(api, post, body="A thoughtful comment from outside.", **fields):
    return api.post(None, f"/api/v1/posts/{post.id}/comments",
                    {"name": "Walt Walker", "email": "walt@example.org", "body": body,
                     **fields})


def test_a_guest_comment_waits_for_staff_on_a_moderated_course(blog, api):
    response = _comment(api, blog.post, website="https://walt.example")
    assert response.status_code == 201
    assert response.json["state"] == "pending"
    assert response.json["message"] == "Your comment is held for review."
    assert set(response.json) == {"id", "state", "message"}
    comment_id = response.json["id"]
    assert response.headers["Location"].endswith(f"/api/v1/replies/{comment_id}")
    url = f"/api/v1/posts/{blog.post.id}/thread"
    for user in (None, blog.student, blog.outsider):
        seen = api.get(user, url).get_data(as_text=True)
        assert "A thoughtful comment" not in seen and "Walt Walker" not in seen
        assert api.get(user, f"/api/v1/replies/{comment_id}").status_code == 404
    staff = api.get(blog.ta, url).json
    node = next(r for r in staff["replies"] if r["id"] == comment_id)
    assert node["moderation"] == "pending" and node["body"] == \
        "A thoughtful comment from outside."
    assert node["author"] == {"id": None, "display_name": "Walt Walker", "guest": True,
                              "anonymous": False}
    assert node["author_role"] is None
    assert "walt@example.org" not in json.dumps(staff)
    assert "walt.example" not in json.dumps(staff)
    guest = db.session.scalar(select(Guest).where(Guest.email == "walt@example.org"))
    assert guest.ip_address == "127.0.0.1" and guest.website == "https://walt.example"


def test_an_approved_guest_comment_shows_to_everyone_without_contact_details(blog, api):
    comment_id = _comment(api, blog.post).json["id"]
    api.post(blog.instructor, f"/api/v1/replies/{comment_id}/moderation", {"action": "approve"})
    seen = api.get(None, f"/api/v1/replies/{comment_id}").json
    assert seen["author"] == {"id": None, "display_name": "Walt Walker", "guest": True,
                              "anonymous": False}
    assert seen["author_role"] is None and seen["moderation"] == "published"
    assert seen["moderation_reason"] is None


def test_a_guest_answers_a_reply_and_is_published_on_an_auto_course(blog, api):
    blog.course.guest_comments = GuestComments.AUTO
    blog.course.hold_threshold = 1.0
    db.session.commit()
    response = _comment(api, blog.post, body="I agree with the classmate here.",
                        parent_id=blog.reply.id)
    assert response.status_code == 201 and response.json["state"] == "published"
    assert response.json["message"] == "Your comment is published."
    flat = api.get(None, f"/api/v1/posts/{blog.post.id}/replies").json
    mine = next(r for r in flat if r["id"] == response.json["id"])
    assert mine["parent_id"] == blog.reply.id and mine["depth"] == 1


def test_spam_is_reported_to_its_sender_as_pending(blog, api):
    blog.course.spam_threshold = blog.course.hold_threshold = 0.0  # every score is spam
    db.session.commit()
    response = _comment(api, blog.post)
    assert response.status_code == 201 and response.json["state"] == "pending"
    assert response.json["message"] == "Your comment is held for review."
    assert db.session.get(Reply, response.json["id"]).moderation is Moderation.SPAM


def test_members_reply_with_their_token_not_as_guests(blog, api):
    response = api.post(blog.student, f"/api/v1/posts/{blog.post.id}/comments",
                        {"name": "Ana", "email": "ana@example.org", "body": "Hi"})
    assert response.status_code == 403 and "/replies" in response.json["message"]
    assert _count(Guest) == 0


def test_no_guest_comments_where_the_course_does_not_take_them(blog, api):
    blog.course.guest_comments = GuestComments.OFF
    db.session.commit()
    response = _comment(api, blog.post)
    assert response.status_code == 403 and response.json["errors"] == {}
    assert "WWW-Authenticate" not in response.headers
    blog.course.guest_comments = GuestComments.MODERATED
    blog.course.visibility = Visibility.PRIVATE
    db.session.commit()
    assert _comment(api, blog.post).status_code == 404
    assert _count(Guest) == 0


@pytest.mark.parametrize(("fields", "field"), [
    ({"body": "ok\x00"}, "body"), ({"body": "   "}, "body"), ({"name": ""}, "name"),
    ({"email": "not an email"}, "email"), ({"website": "javascript:alert(1)"}, "website"),
    ({"author_id": 1}, "author_id"), ({"moderation": "published"}, "moderation"),
    ({"name": "\ud800"}, "name"), ({"parent_id": "3"}, "parent_id"),
])
def test_guest_input_is_strict(blog, api, fields, field):
    response = _comment(api, blog.post, **fields)
    assert response.status_code == 422 and field in response.json["errors"]
    assert _count(Guest) == 0


def test_the_same_guest_comment_twice_is_409(blog, api):
    assert _comment(api, blog.post).status_code == 201
    again = _comment(api, blog.post)
    assert again.status_code == 409 and "body" in again.json["errors"]


class TestGuestLimit:
    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True, "FORUM_LIMIT_GUEST": "2/minute"}

    def test_guests_are_limited_per_address(self, blog, api):
        statuses = [_comment(api, blog.post, body=f"Comment number {n}").status_code
                    for n in range(3)]
        assert statuses == [201, 201, 429]
        response = _comment(api, blog.post, body="One more")
        assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
        assert set(response.json) == {"code", "status", "message", "errors"}
        assert "the limit is 2/minute" in response.json["message"]
        assert _count(Guest) == 2


# Erasing a guest's data


def test_erasing_a_guest_keeps_or_removes_their_texts(blog, api):
    first = guest_comment(blog.post, "First words of mine.", email="erase-me@example.org")
    second = guest_comment(blog.post, "Second words of mine.", email="erase-me@example.org")
    other = guest_comment(blog.post, "Someone else entirely.", email="keep@example.org")
    url = f"/api/v1/replies/{first.id}/guest-erasure"
    assert api.post(blog.student, url, {"remove_text": False}).status_code == 404  # held
    moderation.moderate(blog.ta, other, "approve")
    assert api.post(blog.student, f"/api/v1/replies/{other.id}/guest-erasure",
                    {"remove_text": False}).status_code == 403
    assert api.post(None, url, {"remove_text": False}).status_code == 401
    response = api.post(blog.ta, url, {"remove_text": False})
    assert response.status_code == 200 and response.json == {"erased": 2}
    items = {i["id"]: i for i in _queue(api, blog.ta, blog)}
    assert items[first.id]["author"]["display_name"] == "Erased guest"
    assert items[second.id]["body"] == "Second words of mine."
    assert "erase-me@example.org" not in json.dumps(list(items.values()))
    db.session.refresh(other)
    assert other.guest.email == "keep@example.org" and not other.guest.is_erased
    again = api.post(blog.ta, url, {"remove_text": True})
    assert again.status_code == 409
    gone = api.post(blog.instructor, f"/api/v1/replies/{other.id}/guest-erasure",
                    {"remove_text": True})
    assert gone.json == {"erased": 1}
    db.session.refresh(other)
    assert other.body == "" and other.is_deleted


def test_a_members_reply_has_no_guest_data_to_erase(world, api):
    response = api.post(world.ta, f"/api/v1/replies/{world.reply.id}/guest-erasure",
                        {"remove_text": True})
    assert response.status_code == 409 and "reply" in response.json["errors"]
    assert api.post(world.ta, f"/api/v1/replies/{world.reply.id}/guest-erasure",
                    {"remove_text": 1}).status_code == 422


# Courses and discussions: the settings


def test_course_settings_for_guests_and_the_filter(world, api):
    url = f"/api/v1/courses/{world.course.id}"
    staff = api.get(world.ta, url).json
    assert staff["guest_comments"] == "off"
    assert staff["spam_threshold"] == 0.9 and staff["hold_threshold"] == 0.5
    student = api.get(world.student, url).json
    assert student["guest_comments"] == "off" and "spam_threshold" not in student
    changed = api.patch(world.instructor, url, {"visibility": "public",
                                                "guest_comments": "auto",
                                                "spam_threshold": 0.8, "hold_threshold": 0.3})
    assert changed.status_code == 200
    assert (changed.json["guest_comments"], changed.json["spam_threshold"],
            changed.json["hold_threshold"]) == ("auto", 0.8, 0.3)
    assert api.get(None, url).json["guest_comments"] == "auto"
    assert "hold_threshold" not in api.get(None, url).json
    for body, field in (({"hold_threshold": 0.95}, "hold_threshold"),
                        ({"spam_threshold": 1.5}, "spam_threshold"),
                        ({"spam_threshold": "0.5"}, "spam_threshold"),
                        ({"guest_comments": "sometimes"}, "guest_comments")):
        refused = api.patch(world.instructor, url, body)
        assert refused.status_code == 422 and field in refused.json["errors"], body
    assert api.patch(world.ta, url, {"guest_comments": "off"}).status_code == 403


def test_a_new_course_takes_the_settings(world, api):
    response = api.post(world.admin, "/api/v1/courses", {
        "code": "BLOG-1", "title": "A blog", "visibility": "public",
        "guest_comments": "moderated", "hold_threshold": 0.4})
    assert response.status_code == 201
    assert response.json["guest_comments"] == "moderated"
    assert response.json["hold_threshold"] == 0.4 and response.json["spam_threshold"] == 0.9


def test_discussion_overrides_follow_the_course_unless_set(blog, api):
    url = f"/api/v1/discussions/{blog.discussion.id}"
    seen = api.get(None, url).json
    assert (seen["visibility"], seen["guest_comments"]) == ("course", "course")
    changed = api.patch(blog.instructor, url, {"visibility": "private", "guest_comments": "off"})
    assert changed.status_code == 200
    assert (changed.json["visibility"], changed.json["guest_comments"]) == ("private", "off")
    assert api.get(None, url).status_code == 404
    assert _comment(api, blog.post).status_code == 404
    back = api.patch(blog.instructor, url, {"visibility": "course", "guest_comments": None})
    assert (back.json["visibility"], back.json["guest_comments"]) == ("course", "course")
    assert api.patch(blog.instructor, url, {"visibility": "hidden"}).status_code == 422
    created = api.post(blog.instructor, f"/api/v1/courses/{blog.course.id}/discussions",
                       {"title": "Members only", "visibility": "private"})
    assert created.status_code == 201 and created.json["visibility"] == "private"


def test_only_a_public_courses_discussion_is_public(world, api):
    """It clashes with the course as stored: 409, as for other clashes with stored data."""
    response = api.patch(world.instructor, f"/api/v1/discussions/{world.discussion.id}",
                         {"visibility": "public"})
    assert response.status_code == 409 and "visibility" in response.json["errors"]
    created = api.post(world.instructor, f"/api/v1/courses/{world.course.id}/discussions",
                       {"title": "Open to all", "visibility": "public"})
    assert created.status_code == 409 and "visibility" in created.json["errors"]
    refused = api.post(world.student, f"/api/v1/courses/{world.course.id}/discussions",
                       {"title": "Open to all", "visibility": "public"})
    assert refused.status_code == 403


# Nothing leaks


LEAK_EMAIL = "leak-check-guest@example.org"
LEAK_SITE = "https://leak-check-site.example"
LEAK_IP = "203.0.113.199"
HELD_TEXT = "HELD-TEXT-waiting-for-the-moderators"
SHOWN_TEXT = "SHOWN-TEXT-approved-guest-comment"


@pytest.fixture
def leaky(blog, make):
    """A published and a held guest comment by the same visitor, a held member's reply,
    a hidden post and a reply to the held comment (so that it shows as a placeholder)."""
    w = blog
    w.shown = guest_comment(w.post, SHOWN_TEXT, name="Lea Leak", email=LEAK_EMAIL,
                            website=LEAK_SITE, ip=LEAK_IP)
    moderation.moderate(w.ta, w.shown, "approve")
    w.held = guest_comment(w.post, HELD_TEXT + " one", name="Lea Leak", email=LEAK_EMAIL,
                           website=LEAK_SITE, ip=LEAK_IP)
    w.under_held = make.reply(w.post, w.ta, parent=w.held, body="Answering the held one.")
    w.held_member = make.reply(w.post, w.classmate, body=HELD_TEXT + " two")
    moderation.moderate(w.ta, w.held_member, "hide", HELD_TEXT + " reason")
    w.hidden_post = make.post(w.discussion, w.classmate, title=HELD_TEXT + " title",
                              body=HELD_TEXT + " body")
    moderation.moderate(w.ta, w.hidden_post, "hide", "Off topic")
    return w


def _every_get(api, user, w) -> str:
    reply_ids = [w.reply.id, w.prompt.id, w.shown.id, w.held.id, w.under_held.id,
                 w.held_member.id]
    urls = [f"/api/v1/courses/{w.course.id}", f"/api/v1/courses/{w.course.id}/discussions",
            f"/api/v1/discussions/{w.discussion.id}",
            f"/api/v1/discussions/{w.discussion.id}/posts",
            f"/api/v1/posts/{w.post.id}", f"/api/v1/posts/{w.post.id}/thread",
            f"/api/v1/posts/{w.post.id}/replies", f"/api/v1/posts/{w.hidden_post.id}",
            *(f"/api/v1/replies/{reply_id}" for reply_id in reply_ids)]
    if user is not None:
        urls += ["/api/v1/me/prompts", f"/api/v1/discussions/{w.discussion.id}/prompts",
                 f"/api/v1/posts/{w.post.id}/annotations"]
    seen = []
    for url in urls:
        response = api.get(user, url)
        assert response.status_code in (200, 403, 404), (url, response.status_code)
        seen.append(response.get_data(as_text=True))
    return "\n".join(seen)


@pytest.mark.parametrize("seat", ["student", "outsider", "anonymous"])
def test_no_guest_details_or_held_texts_reach_readers(leaky, api, seat):
    seen = _every_get(api, _user(leaky, seat), leaky)
    assert SHOWN_TEXT in seen and "Lea Leak" in seen  # the approved comment is there
    for secret in (LEAK_EMAIL, "leak-check-site", LEAK_IP, HELD_TEXT):
        assert secret not in seen, secret


@pytest.mark.parametrize("seat", ["admin", "instructor", "ta"])
def test_staff_see_held_texts_but_guest_details_only_in_the_queue(leaky, api, seat):
    user = _user(leaky, seat)
    seen = _every_get(api, user, leaky)
    assert HELD_TEXT in seen
    for secret in (LEAK_EMAIL, "leak-check-site", LEAK_IP):
        assert secret not in seen, secret
    queue = json.dumps(_queue(api, user, leaky, "?state=pending"))
    assert LEAK_EMAIL in queue and LEAK_SITE in queue and LEAK_IP in queue


def test_the_held_comment_is_a_bare_placeholder_above_a_visible_answer(leaky, api):
    thread = api.get(None, f"/api/v1/posts/{leaky.post.id}/thread").json
    placeholder = next(r for r in thread["replies"] if r["id"] == leaky.held.id)
    assert set(placeholder) == {"id", "post_id", "parent_id", "depth", "deleted", "replies"}
    assert placeholder["replies"][0]["body"] == "Answering the held one."
