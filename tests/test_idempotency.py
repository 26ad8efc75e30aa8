"""A client that lost an answer sends the creating request again with the same
Idempotency-Key and gets the first answer, never a second reply."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from forum.extensions import db
from forum.models import IdempotencyKey, Reply, utcnow


def _count(body: str) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).where(Reply.body == body))


def _send(api, world, body: str, key: str | None, user=None):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return api.post(user or world.classmate, f"/api/v1/posts/{world.post.id}/replies",
                    {"body": body}, headers=headers)


def test_the_same_request_again_gets_the_first_answer_and_creates_nothing(world, api):
    key = str(uuid.uuid4())
    first = _send(api, world, "Sent twice, stored once.", key)
    again = _send(api, world, "Sent twice, stored once.", key)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert _count("Sent twice, stored once.") == 1


def test_the_same_key_with_another_body_is_refused(world, api):
    key = str(uuid.uuid4())
    assert _send(api, world, "The first text.", key).status_code == 201
    refused = _send(api, world, "Another text.", key)
    assert refused.status_code == 422
    assert "Idempotency-Key" in refused.json["errors"]
    assert _count("Another text.") == 0


def test_keys_are_each_callers_own(world, api):
    key = str(uuid.uuid4())
    assert _send(api, world, "Mine.", key).status_code == 201
    theirs = _send(api, world, "Mine.", key, user=world.student)
    assert theirs.status_code == 201 and "Idempotent-Replayed" not in theirs.headers
    assert _count("Mine.") == 2


def test_a_failed_request_keeps_no_key_so_its_retry_runs_again(world, api):
    key = str(uuid.uuid4())
    refused = api.post(world.classmate, f"/api/v1/posts/{world.post.id}/replies",
                       {"body": "Answers nothing.", "parent_id": 2_000_000},
                       headers={"Idempotency-Key": key})
    assert refused.status_code in (404, 409, 422), refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0
    assert _send(api, world, "Answers nothing.", key).status_code == 201


def test_a_key_is_kept_for_a_day(world, api):
    key = str(uuid.uuid4())
    assert _send(api, world, "Yesterday's.", key).status_code == 201
    db.session.execute(update(IdempotencyKey).values(
        created_at=utcnow() - timedelta(days=1, minutes=1)))
    db.session.commit()
    assert _send(api, world, "Yesterday's.", key).status_code == 409  # the same reply
    assert _count("Yesterday's.") == 1


def _lose_the_answers() -> None:
    """What a process killed after its commit and before keeping its answer leaves."""
    db.session.execute(update(IdempotencyKey).values(status=None, body=None))
    db.session.commit()


def test_a_retry_whose_answer_was_lost_is_sent_to_what_was_created(world, api):
    key = str(uuid.uuid4())
    first = _send(api, world, "Stored, then the worker died.", key)
    assert first.status_code == 201
    _lose_the_answers()
    again = _send(api, world, "Stored, then the worker died.", key)
    assert again.status_code == 303, again.get_data(as_text=True)
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "answer was lost" in again.json["message"]
    seen = api.get(world.classmate, again.headers["Location"])
    assert seen.status_code == 200 and seen.json["id"] == first.json["id"]
    assert _count("Stored, then the worker died.") == 1


@pytest.mark.parametrize("what", ["flag", "member", "post"])
def test_every_kind_of_creation_notes_where_it_is_found_in_its_own_commit(
        world, api, what):
    if what == "flag":
        user, url, body = (world.classmate, f"/api/v1/posts/{world.post.id}/flags",
                           {"reason": "Copied from a website."})
    elif what == "member":
        user, url, body = (world.instructor, f"/api/v1/courses/{world.course.id}/members",
                           {"email": world.outsider.email, "role": "student"})
    else:
        user, url, body = (world.classmate, f"/api/v1/discussions/{world.discussion.id}/posts",
                           {"title": "Keyed", "body": "A post sent with a key."})
    key = str(uuid.uuid4())
    first = api.post(user, url, body, headers={"Idempotency-Key": key})
    assert first.status_code == 201, first.get_data(as_text=True)
    _lose_the_answers()
    again = api.post(user, url, body, headers={"Idempotency-Key": key})
    assert again.status_code == 303
    assert again.headers["Location"] == first.headers["Location"]


@pytest.mark.parametrize("key", ["", "x" * 256, "naïve", "with space"])
def test_a_malformed_key_is_refused(world, api, key):
    refused = _send(api, world, "Keyed badly.", key)
    assert refused.status_code == 422 and "Idempotency-Key" in refused.json["errors"]
    assert _count("Keyed badly.") == 0


def test_every_creating_operation_documents_the_header(app):
    from forum.api import HTTP_METHODS
    from forum.extensions import api as forum_api

    document = forum_api.spec.to_dict()
    keyed = {(path, method) for path, item in document["paths"].items()
             for method, operation in item.items() if method in HTTP_METHODS
             if {"$ref": "#/components/parameters/IDEMPOTENCY_KEY"}
             in operation.get("parameters", [])}
    # What a POST creates: answered 201, or 202 for a job (a course archive's).
    creating = {(path, "post") for path, item in document["paths"].items()
                if {"201", "202"} & set(item.get("post", {}).get("responses", {}))}
    assert creating and keyed == creating
    assert ("/api/v1/archive-imports", "post") in creating
    for path, method in creating:
        assert document["paths"][path][method]["responses"]["303"] == {
            "$ref": "#/components/responses/LOST_ANSWER"}
    assert ("/api/v1/posts/{post_id}/replies", "post") in keyed


@pytest.mark.parametrize("method, url", [
    ("PATCH", "/api/v1/replies/{reply}"), ("PUT", "/api/v1/posts/{post}/subscription")])
def test_an_edit_with_no_body_is_refused_400_before_its_if_match_is_weighed(
        world, api, method, url):
    answer = api.call(world.classmate, method,
                      url.format(reply=world.reply.id, post=world.post.id),
                      headers={"If-Match": '"stale"'})
    assert answer.status_code == 400 and "JSON body" in answer.json["message"]


def test_a_put_that_reads_no_body_still_needs_none(world, api):
    assert api.call(world.classmate, "PUT",
                    f"/api/v1/posts/{world.post.id}/like").status_code in (200, 204)
