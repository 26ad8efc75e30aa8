"""The API's conventions as a client meets them: one presentation of a reply, the rubric
for readers, one token expiry default, one commit per write, the error shape, Location
on 201, an operationId on every operation."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event

from forum.extensions import db
from forum.models import ApiToken, Role
from forum.services.tokens import EXPIRY_DAYS_DEFAULT, create_token
from tests.factories import PASSWORD

# Item 13: a prompt looks the same in every list

def test_a_prompt_carries_its_authors_role_everywhere(world, api):
    thread = api.get(world.instructor, f"/api/v1/posts/{world.post.id}/thread").json
    in_thread = next(r for r in thread["replies"] if r["id"] == world.prompt.id)
    single = api.get(world.instructor, f"/api/v1/replies/{world.prompt.id}").json
    mine = api.get(world.student, "/api/v1/me/prompts").json
    staff_list = api.get(world.instructor,
                         f"/api/v1/discussions/{world.discussion.id}/prompts").json
    assert in_thread["author_role"] == single["author_role"] == Role.INSTRUCTOR.value
    for listed in (mine, staff_list):
        prompt = next(p for p in listed if p["id"] == world.prompt.id)
        assert prompt["author_role"] == Role.INSTRUCTOR.value
        assert {k: v for k, v in prompt.items() if k not in ("post_title", "addressed_to")} \
            == {k: v for k, v in single.items()}


# Item 15: the rubric for anyone who reads the discussion

def test_anyone_who_reads_a_public_discussion_reads_its_rubric(make, api):
    course = make.course(public=True)
    discussion = make.discussion(course, points_possible=12)
    response = api.get(None, f"/api/v1/discussions/{discussion.id}/rubric")
    assert response.status_code == 200 and response.json["points_possible"] == 12
    assert api.get(None, f"/api/v1/discussions/{discussion.id}").status_code == 200


def test_a_private_rubric_stays_private(world, api):
    url = f"/api/v1/discussions/{world.discussion.id}/rubric"
    assert api.get(None, url).status_code == 404
    assert api.get(world.outsider, url).status_code == 404
    assert api.get(world.student, url).status_code == 200


def test_the_rubric_operation_says_who_may_read_it(api):
    spec = api.get(None, "/api/v1/openapi.json").json
    operation = spec["paths"]["/api/v1/discussions/{discussion_id}/rubric"]["get"]
    assert "public course" in operation["description"]


# Item 19: one expiry default

def test_api_tokens_expire_by_default_like_web_tokens(world, api, login_as):
    response = api.post(None, "/api/v1/tokens",
                        json={"email": world.student.email, "password": PASSWORD})
    assert response.status_code == 201
    token = db.session.get(ApiToken, response.json["id"])
    assert token.expires_at - token.created_at == timedelta(days=EXPIRY_DAYS_DEFAULT)
    page = login_as(world.student).get("/account/tokens").get_data(as_text=True)
    assert f'<option selected value="{EXPIRY_DAYS_DEFAULT}">' in page \
        or f'value="{EXPIRY_DAYS_DEFAULT}" selected' in page


def test_a_token_that_never_expires_is_asked_for_with_null(world, api):
    response = api.post(None, "/api/v1/tokens", json={
        "email": world.student.email, "password": PASSWORD, "expires_in_days": None})
    assert response.status_code == 201 and response.json["expires_at"] is None


def test_the_document_states_the_default(api):
    spec = api.get(None, "/api/v1/openapi.json").json
    field = spec["components"]["schemas"]["TokenRequest"]["properties"]["expires_in_days"]
    assert field["default"] == EXPIRY_DAYS_DEFAULT
    assert str(EXPIRY_DAYS_DEFAULT) in field["description"]


# Item 20: one commit per use case

@contextmanager
def counting_commits():
    commits = []
    listener = lambda _connection: commits.append(1)  # noqa: E731
    db.session.commit()  # the test's own transaction ends before counting
    event.listen(db.engine, "commit", listener)
    try:
        yield commits
    finally:
        event.remove(db.engine, "commit", listener)


def test_an_api_write_with_a_fresh_token_commits_once(world, api):
    secret = create_token(world.classmate, "fresh")[1]  # never used: its use is marked
    url = f"/api/v1/posts/{world.post.id}/replies"
    with counting_commits() as commits:
        response = api.post(None, url, json={"body": "One transaction, please."},
                            token=secret)
    assert response.status_code == 201
    assert len(commits) == 1
    db.session.expire_all()
    token = db.session.scalar(db.select(ApiToken).where(ApiToken.name == "fresh"))
    assert token.last_used_at is not None


def test_a_read_records_the_tokens_use(world, api):
    secret = create_token(world.classmate, "reader")[1]
    with counting_commits() as commits:
        assert api.get(None, "/api/v1/me", token=secret).status_code == 200
        assert api.get(None, "/api/v1/me", token=secret).status_code == 200
    assert len(commits) <= 1  # the first marks the use; PostgreSQL autocommits it
    db.session.expire_all()
    token = db.session.scalar(db.select(ApiToken).where(ApiToken.name == "reader"))
    assert token.last_used_at is not None


def test_a_refused_write_records_nothing_of_it(world, api):
    secret = create_token(world.classmate, "refused")[1]
    url = f"/api/v1/posts/{world.post.id}/replies"
    with counting_commits() as commits:
        response = api.post(None, url, json={"body": "   "}, token=secret)
    assert response.status_code == 422 and commits == []


# Item 21: every error carries `errors`

@pytest.mark.parametrize(("method", "url", "status"), [
    ("GET", "/api/v1/posts/999999", 404), ("GET", "/api/v1/nowhere", 404),
    ("GET", "/api/v1/me", 401), ("PUT", "/api/v1/me", 405),
    ("DELETE", "/api/v1/tokens/1", 401),
])
def test_every_error_carries_errors(api, method, url, status):
    response = api.call(None, method, url, json={} if method != "GET" else None)
    assert response.status_code == status
    assert response.json["errors"] == {}
    assert set(response.json) == {"code", "status", "message", "errors"}


def test_the_error_schema_requires_errors(api):
    spec = api.get(None, "/api/v1/openapi.json").json
    assert "errors" in spec["components"]["schemas"]["Error"]["required"]


# Item 22: 201 carries Location

def test_every_created_resource_has_a_location(world, api, make):
    staff = world.instructor
    created = [
        (None, "/api/v1/tokens", {"email": world.student.email, "password": PASSWORD}),
        (world.admin, "/api/v1/courses", {"code": "LOC-1", "title": "Located"}),
        (staff, f"/api/v1/courses/{world.course.id}/members",
         {"email": make.user().email, "role": "student"}),
        (staff, f"/api/v1/courses/{world.course.id}/discussions", {"title": "Week 9"}),
        (world.student, f"/api/v1/discussions/{world.discussion.id}/posts",
         {"title": "T", "body": "B"}),
        (world.student, f"/api/v1/posts/{world.post.id}/replies", {"body": "Yes."}),
        (staff, f"/api/v1/posts/{world.post.id}/annotations",
         {"quote": "harsh in tone", "body": "Whose tone?"}),
    ]
    spec = api.get(None, "/api/v1/openapi.json").json
    for operation in (o for path in spec["paths"].values() for m, o in path.items()
                      if m != "parameters"):
        if "201" in operation["responses"]:
            assert "Location" in operation["responses"]["201"]["headers"]
    for user, url, body in created:
        response = api.post(user, url, json=body)
        assert response.status_code == 201, url
        location = response.headers["Location"]
        assert location.startswith("http://") and location.endswith(f"/{response.json['id']}")
        if "/tokens/" not in location and "/annotations/" not in location:
            assert api.get(staff if user is None else user, location).json["id"] \
                == response.json["id"]


# Item 23: operationIds

def test_every_operation_has_a_unique_operation_id(api):
    spec = api.get(None, "/api/v1/openapi.json").json
    ids = [operation.get("operationId") for path in spec["paths"].values()
           for method, operation in path.items() if method != "parameters"]
    assert None not in ids
    assert len(ids) == len(set(ids))
    assert {"listCourses", "getPost", "createReply", "updateGrade"} <= set(ids)
