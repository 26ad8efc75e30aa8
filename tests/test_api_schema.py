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
# Edits are conditional: a missing If-Match is answered 428, and a well-formed one that
# is not the current ETag (schemathesis cannot know it) 412, as the document says.
CONFIG = schemathesis.config.SchemathesisConfig.from_dict({
    "checks": {
        "missing_required_header": {
            "expected-statuses": ["400", "401", "403", "406", "415", "422", "428"]},
        "positive_data_acceptance": {
            "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "412", "429"]},
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
# state: a request can match the document and still break them (due before opening; a
# quote of words its source does not hold, or with no passage; anonymity where the
# discussion does not take it; a hold threshold above the spam threshold; a public
# discussion in a private course, which alone is a 409; an Idempotency-Key sent before
# with another request).
CROSS_FIELD_RULES = {"due_at", "locks_at", "quote", "quoted_reply_id", "anonymous",
                     "hold_threshold", "visibility", "Idempotency-Key"}
# An upload's content (an image, by its bytes and pixels) and a post's images (the
# caller's own uploads, by id): `file`, and `images-<n>-<field>`.
CONTENT_RULES = {"file"}


def _cross_field(name: str) -> bool:
    return name in CROSS_FIELD_RULES or name in CONTENT_RULES or name.startswith("images-")


def _untyped_body(case) -> bool:
    """A multipart form carries text only: a null or a number schemathesis means as
    invalid arrives as the text "null" or "3", which is valid text."""
    return (case.media_type or "").startswith("multipart/")


@schema.parametrize()
@settings(max_examples=20, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_document(case, instructor_token):
    response = case.call(headers={"Authorization": f"Bearer {instructor_token}"})
    field_errors = response.json().get("errors", {}) if response.status_code == 422 else {}
    cross_field = bool(field_errors) and all(_cross_field(name) for name in field_errors)
    excluded = [positive_data_acceptance] if cross_field else []
    if _untyped_body(case):
        excluded.append(negative_data_rejection)
    case.validate_response(response, excluded_checks=excluded)
