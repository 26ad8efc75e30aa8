"""schemathesis explores every operation of the OpenAPI document against the app:
no server errors, and every answer (status, headers, body) as the document says."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    positive_data_acceptance,
)
from sqlalchemy import text

from forum import create_app
from forum.extensions import db
from tests.conftest import TEST_DATABASE_URL

DATABASE_URL = TEST_DATABASE_URL or f"sqlite:///{Path(tempfile.mkdtemp()) / 'schema.db'}"
APP = create_app({"TESTING": True, "SECRET_KEY": "schema-tests",
                  "SQLALCHEMY_DATABASE_URI": DATABASE_URL, "RATELIMIT_ENABLED": False,
                  "FORUM_QUEUE_URL": "none"})
# Edits are conditional: a missing If-Match is answered 428; the If-Match sent is the
# ETag of a GET of the same URL (_read_etag), so a valid edit is not answered 412.
CONFIG = schemathesis.config.SchemathesisConfig.from_dict({
    "checks": {
        "missing_required_header": {
            "expected-statuses": ["400", "401", "403", "406", "415", "422", "428"]},
        "positive_data_acceptance": {
            "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "429"]},
        "negative_data_rejection": {
            "expected-statuses": ["400", "401", "403", "404", "405", "406", "409", "412",
                                  "415", "422", "428", "429"]},
    },
})
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP, config=CONFIG)


@pytest.fixture
def instructor_token(_postgres_schema) -> str:
    """A fresh demo course on the schema app's database, and an instructor's token."""
    from forum.demo import seed_demo
    from forum.services.accounts import find_user_by_email
    from forum.services.tokens import create_token

    with APP.app_context():
        if TEST_DATABASE_URL:
            names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as connection:
                connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            db.drop_all()
            db.create_all()
        seed_demo()
        secret = create_token(find_user_by_email("okafor@example.edu"), "schemathesis")[1]
        db.session.remove()
    yield secret
    with APP.app_context():
        db.session.remove()
        db.engine.dispose()


# Rules that join several fields, or a field and stored data, which JSON Schema cannot
# state (it compares no two values): a request can match the document and still break
# them. The document states each in its fields' descriptions. Due before opening, locks
# before due; a quote of words its source does not hold, or with no passage, and a
# quoted reply not in the thread; anonymity where the discussion does not take it; a
# hold threshold above the spam threshold; a public discussion in a private course, or
# a course code another course has (alone, each a 409); a rubric whose best levels add
# up past the points possible; a score past the discussion's points possible, or other
# than the rubric's sum without an override reason; an Idempotency-Key sent before with
# another request.
CROSS_FIELD_RULES = {"due_at", "locks_at", "quote", "quoted_reply_id", "anonymous",
                     "hold_threshold", "visibility", "code", "rubric", "score",
                     "override_reason", "Idempotency-Key"}
# An upload's content (an image, by its bytes and pixels) and a post's images (the
# caller's own uploads, by id): `file`, and `images-<n>-<field>`.
CONTENT_RULES = {"file"}


def _cross_field(name: str) -> bool:
    return name in CROSS_FIELD_RULES or name in CONTENT_RULES or name.startswith("images-")


def _untyped_body(case) -> bool:
    """A multipart form carries text only: a null or a number schemathesis means as
    invalid arrives as the text "null" or "3", which is valid text."""
    return (case.media_type or "").startswith("multipart/")


def _read_etag(case, headers: dict) -> None:
    """An edit's If-Match, as the document says a client gets it: the ETag of a GET of
    the same URL (its links say so). Any tag made up instead is answered 412."""
    if "If-Match" not in (case.headers or {}):
        return
    with APP.test_client() as client:
        read = client.get(case.formatted_path, headers=headers)
    # Nothing to read (a 404): `*`, which only a current version matches, lets the edit
    # be answered for what it is, not for a tag.
    case.headers["If-Match"] = read.headers.get("ETag", "*") if read.status_code == 200 else "*"


@schema.parametrize()
@settings(max_examples=20, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_document(case, instructor_token):
    headers = {"Authorization": f"Bearer {instructor_token}"}
    _read_etag(case, headers)
    response = case.call(headers=headers)
    field_errors = response.json().get("errors", {}) if response.status_code == 422 else {}
    cross_field = bool(field_errors) and all(_cross_field(name) for name in field_errors)
    excluded = [positive_data_acceptance] if cross_field else []
    if _untyped_body(case):
        excluded.append(negative_data_rejection)
    case.validate_response(response, excluded_checks=excluded)
