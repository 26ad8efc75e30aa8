"""When the database is away, people get a calm 503 with Retry-After, never a trace."""

from __future__ import annotations

import pytest

from forum import create_app
from forum.extensions import db


@pytest.fixture
def orphan_app(tmp_path):
    """An app whose database cannot be opened at all."""
    url = f"sqlite:///{tmp_path / 'missing-folder' / 'forum.db'}"
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url,
                      "RATELIMIT_ENABLED": False})
    yield app
    with app.app_context():
        db.engine.dispose()


def test_pages_answer_503(orphan_app):
    with orphan_app.test_client() as client:
        with client.session_transaction() as session:
            session["_user_id"] = "1.0"
        response = client.get("/courses")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert "Traceback" not in response.get_data(as_text=True)


def test_the_api_answers_503_in_json(orphan_app):
    response = orphan_app.test_client().get(
        "/api/v1/courses", headers={"Authorization": "Bearer fat_whatever"})
    assert response.status_code == 503 and response.is_json
    assert response.json["code"] == 503 and response.headers["Retry-After"] == "30"
