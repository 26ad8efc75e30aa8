"""The OpenAPI document states the rules the server keeps: each rule a schema can express
is in the document, and the server answers 422 (naming the field) just outside it and
accepts just inside it. Edits say where their If-Match comes from, in the right shape."""

from __future__ import annotations

import re

import pytest

from forum.extensions import db
from forum.models.limits import POINTS_MAX
from forum.services.validation import LINK_PATTERN

CONDITIONAL = {  # operationId → its URL in the world fixture, and a valid edit
    "updateMe": ("/api/v1/me", {"display_name": "Dr. Okafor"}),
    "updateCourse": ("/api/v1/courses/{course}", {"title": "Weimar"}),
    "updateMember": ("/api/v1/courses/{course}/members/{member}", {"role": "instructor"}),
    "updateDiscussion": ("/api/v1/discussions/{discussion}", {"title": "Reparations"}),
    "updatePost": ("/api/v1/posts/{post}", {"title": "Moderate terms"}),  # its author's
    "updateReply": ("/api/v1/replies/{reply}", {"body": "Moderate for whom, then?"}),
    "updateRubric": ("/api/v1/discussions/{discussion}/rubric", {"points_possible": 5}),
    "updateGrade": ("/api/v1/discussions/{discussion}/grades/{student}", {"score": 5}),
}


@pytest.fixture
def document(client) -> dict:
    return client.get("/api/v1/openapi.json").get_json()


def _resolve(document: dict, item: dict) -> dict:
    while "$ref" in item:
        *_, kind, name = item["$ref"].split("/")
        item = document["components"][kind][name]
    return item


def _operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in ("get", "put", "patch", "delete", "post"):
                yield path, method, operation


def _shape(tag: str) -> str:
    """What kind of tag: a quoted SHA-1 of the state, or a quoted name and version."""
    if re.fullmatch(r'"[0-9a-f]{40}"', tag):
        return "sha1"
    return re.sub(r"\d+", "N", tag)


def _urls(world, api) -> dict[str, str]:
    members = api.get(world.instructor, f"/api/v1/courses/{world.course.id}/members").json
    member = next(m["id"] for m in members if m["user"]["id"] == world.ta.id)
    ids = {"course": world.course.id, "member": member, "discussion": world.discussion.id,
           "post": world.post.id, "reply": world.reply.id, "student": world.student.id}
    return {operation_id: url.format(**ids) for operation_id, (url, _) in CONDITIONAL.items()}


def _if_match(document: dict, operation: dict) -> dict:
    found = [_resolve(document, p) for p in operation.get("parameters", [])]
    return next(p for p in found if p["in"] == "header" and p["name"] == "If-Match")


def test_every_conditional_operation_says_its_if_match_is_the_etag_of_its_get(document):
    conditional = {}
    for path, method, operation in _operations(document):
        if "412" in operation["responses"]:
            conditional[operation["operationId"]] = (path, method, operation)
    assert set(conditional) == set(CONDITIONAL)
    for operation_id, (path, _method, operation) in conditional.items():
        parameter = _if_match(document, operation)
        assert parameter["required"] is True
        assert "ETag header" in parameter["description"]
        assert "GET of this same URL" in parameter["description"]
        assert "428" in parameter["description"] and "412" in parameter["description"]
        read = document["paths"][path]["get"]["responses"]["200"]
        assert "ETag" in read["headers"]
        link = read["links"][operation_id]
        assert link["operationId"] == operation_id
        assert link["parameters"]["header.If-Match"] == "$response.header.ETag"
        for name in re.findall(r"{(\w+)}", path):
            assert link["parameters"][name] == f"$request.path.{name}"


def test_the_if_match_example_has_the_shape_of_the_real_etag(document, world, api):
    """The example is in the format the server makes (so a client knows what to keep),
    yet only the tag a GET gives is ever matched."""
    urls = _urls(world, api)
    by_id = {operation["operationId"]: (method, operation)
             for _path, method, operation in _operations(document)}
    authors = {"updatePost": world.student, "updateReply": world.classmate}
    for operation_id, url in urls.items():
        actor = authors.get(operation_id, world.instructor)
        method, operation = by_id[operation_id]
        example = _if_match(document, operation)["schema"]["example"]
        etag = api.get(actor, url).headers["ETag"]
        assert _shape(example) == _shape(etag), operation_id
        edit = CONDITIONAL[operation_id][1]
        stale = api.call(actor, method.upper(), url, json=edit, headers={"If-Match": example})
        assert stale.status_code == 412, (operation_id, stale.json)
        done = api.call(actor, method.upper(), url, json=edit, headers={"If-Match": etag})
        assert done.status_code == 200, (operation_id, done.json)


@pytest.mark.parametrize("if_match", ["etag", "*"])
def test_an_edit_with_the_etag_of_its_get_or_a_star_is_done(world, api, if_match):
    url = f"/api/v1/posts/{world.post.id}"
    etag = api.get(world.student, url).headers["ETag"] if if_match == "etag" else "*"
    response = api.patch(world.student, url, {"title": "Moderate terms"}, etag=etag)
    assert response.status_code == 200


# Rules moved into the document: each names its schema property and the bounds.

def _property(document: dict, schema: str, *names: str) -> dict:
    found = document["components"]["schemas"][schema]
    for name in names:
        found = _resolve(document, found)
        found = found["items"] if name == "[]" else found["properties"][name]
    return _resolve(document, found)


@pytest.mark.parametrize(("schema", "names"), [
    ("DiscussionInput", ("points_possible",)),
    ("DiscussionUpdate", ("points_possible",)),
    ("GradingSettings", ("points_possible",)),
    ("Level", ("points",)),
    ("GradeInput", ("score",)),
])
def test_points_ranges_are_in_the_document(document, schema, names):
    found = _property(document, schema, *names)
    assert (found["type"], found["minimum"], found["maximum"]) == ("number", 0, POINTS_MAX)


@pytest.mark.parametrize(("schema", "name"), [
    ("Source", "url"), ("GuestCommentInput", "website"), ("PostImageInput", "credit_url"),
])
def test_links_are_one_pattern_in_the_document(document, schema, name):
    found = _property(document, schema, name)
    assert found["pattern"] == LINK_PATTERN
    assert "port" in found["description"]


def _errors(response, field: str) -> list[str]:
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    body = response.json
    assert body["code"] == 422 and body["status"] == "Unprocessable Entity"
    assert body["errors"].get(field), body
    return body["errors"][field]


def _new_discussion(api, world, **fields):
    return api.post(world.instructor, f"/api/v1/courses/{world.course.id}/discussions",
                    {"title": "Reparations", **fields})


@pytest.mark.parametrize("points", [-0.01, POINTS_MAX + 0.01])
def test_points_possible_just_outside_is_a_422(world, api, points):
    _errors(_new_discussion(api, world, points_possible=points), "points_possible")


@pytest.mark.parametrize("points", [0, POINTS_MAX])
def test_points_possible_just_inside_is_taken(world, api, points):
    assert _new_discussion(api, world, points_possible=points).status_code == 201


def _put(api, user, url, body):
    etag = api.get(user, url).headers["ETag"]
    return api.call(user, "PUT", url, json=body, headers={"If-Match": etag})


def _rubric(level_points: float) -> dict:
    return {"points_possible": POINTS_MAX,
            "rubric": [{"title": "Evidence", "levels": [{"points": level_points}]}]}


@pytest.mark.parametrize(("points", "status"), [
    (-0.01, 422), (0, 200), (POINTS_MAX, 200), (POINTS_MAX + 0.01, 422)])
def test_rubric_level_points_are_kept_in_range(world, api, points, status):
    url = f"/api/v1/discussions/{world.discussion.id}/rubric"
    response = _put(api, world.instructor, url, _rubric(points))
    if status == 422:
        assert "points" in " ".join(_errors(response, "rubric"))
    else:
        assert response.status_code == status, response.json


@pytest.mark.parametrize(("score", "status"), [
    (-0.01, 422), (0, 200), (POINTS_MAX, 200), (POINTS_MAX + 0.01, 422)])
def test_grade_scores_are_kept_in_range(world, api, score, status):
    world.discussion.points_possible = POINTS_MAX  # the stored ceiling is the schema's
    db.session.commit()
    url = f"/api/v1/discussions/{world.discussion.id}/grades/{world.student.id}"
    response = _put(api, world.instructor, url, {"score": score})
    if status == 422:
        _errors(response, "score")
    else:
        assert response.status_code == status, response.json


def _post_with_source(api, world, url):
    return api.post(world.student, f"/api/v1/discussions/{world.discussion.id}/posts",
                    {"title": "Sources", "body": "See below.",
                     "sources": [{"citation": "Keynes, 1919", "url": url}]})


@pytest.mark.parametrize("url", ["http://", "ftp://example.org/", "http://exa mple.org/",
                                 "javascript:alert(1)", "https://example.org/\n"])
def test_a_link_just_outside_the_pattern_is_a_422_by_api_and_web(world, api, login_as, url):
    assert not re.fullmatch(LINK_PATTERN, url)
    assert "URL must start with http" in " ".join(_errors(_post_with_source(api, world, url),
                                                          "sources"))
    if url != url.strip():
        return  # a form's fields lose their surrounding space; JSON is taken as sent
    page = login_as(world.student).post(
        f"/discussions/{world.discussion.id}/posts/new",
        data={"title": "T", "body": "B", "sources-0-citation": "Keynes",
              "sources-0-url": url, "publish": "Publish"})
    assert page.status_code == 422


@pytest.mark.parametrize("url", ["http://e", "HTTPS://EXAMPLE.ORG/a?b#c",
                                 "https://example.org:65535/ü"])
def test_a_link_just_inside_the_pattern_is_taken_by_api_and_web(world, api, login_as, url):
    assert re.fullmatch(LINK_PATTERN, url)
    assert _post_with_source(api, world, url).status_code == 201
    page = login_as(world.student).post(
        f"/discussions/{world.discussion.id}/posts/new",
        data={"title": "T", "body": "B", "sources-0-citation": "Keynes",
              "sources-0-url": url, "publish": "Publish"})
    assert page.status_code == 302


def test_time_zones_are_the_servers_list_in_the_document(document):
    from forum.services.courses import TIMEZONES

    for schema in ("CourseInput", "CourseUpdate"):
        assert set(_property(document, schema, "timezone")["enum"]) == TIMEZONES


@pytest.mark.parametrize(("timezone", "status"), [
    ("Europe/Paris", 201), ("europe/paris", 422), ("Mars/Olympus_Mons", 422)])
def test_a_time_zone_off_the_list_is_a_422(world, api, timezone, status):
    response = api.post(world.admin, "/api/v1/courses",
                        {"code": f"HIST-{status}", "title": "Weimar", "timezone": timezone})
    if status == 422:
        _errors(response, "timezone")
    else:
        assert response.status_code == status, response.json


def test_the_document_says_a_prompt_is_asked_by_name_about_the_post(document):
    reply_input = document["components"]["schemas"]["ReplyInput"]
    reply, prompt = reply_input["anyOf"]
    assert reply["properties"]["kind"]["enum"] == ["reply"]
    assert prompt["properties"]["kind"]["enum"] == ["prompt"]
    assert prompt["properties"]["anonymous"]["enum"] == [False]
    assert prompt["not"]["required"] == ["quote", "quoted_reply_id"]


@pytest.mark.parametrize(("fields", "field", "status"), [
    ({"anonymous": True}, "anonymous", 422),
    ({"anonymous": False}, None, 201),
    ({"quote": "Its terms were moderate.", "quoted_reply_id": "reply"}, "quoted_reply_id", 422),
    ({"quote": "Its terms were moderate.", "quoted_reply_id": None}, None, 201),
    ({"quote": "", "quoted_reply_id": "reply"}, None, 201),
])
def test_a_prompt_is_asked_by_name_about_the_post(world, api, fields, field, status):
    fields = {name: world.reply.id if value == "reply" else value
              for name, value in fields.items()}
    response = api.post(world.instructor, f"/api/v1/posts/{world.post.id}/replies",
                        {"body": "Which terms?", "kind": "prompt", **fields})
    if field:
        _errors(response, field)
    else:
        assert response.status_code == status, response.json


# Kept as cross-field rules (JSON Schema compares no two values): said in the
# descriptions, answered 422 by the service, naming the field.

def test_the_order_of_a_discussions_dates_is_described_and_kept(document, world, api):
    schema = document["components"]["schemas"]["DiscussionInput"]["properties"]
    assert "opens_at" in schema["due_at"]["description"]
    assert "due_at" in schema["locks_at"]["description"]
    _errors(_new_discussion(api, world, opens_at="2027-03-02T09:00:00Z",
                            due_at="2027-03-01T09:00:00Z"), "due_at")
    _errors(_new_discussion(api, world, due_at="2027-03-02T09:00:00Z",
                            locks_at="2027-03-01T09:00:00Z"), "locks_at")
