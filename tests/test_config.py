"""Configuration comes from FORUM_* variables; production refuses unsafe defaults."""

from __future__ import annotations

import pytest

from forum import create_app
from forum.config import DEFAULT_SECRET_KEY, from_environment


def test_production_refuses_the_default_secret_key(monkeypatch):
    monkeypatch.setenv("FORUM_ENV", "production")
    monkeypatch.delenv("FORUM_SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="FORUM_SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_production_with_a_real_key_sends_secure_cookies(monkeypatch):
    monkeypatch.setenv("FORUM_ENV", "production")
    monkeypatch.setenv("FORUM_SECRET_KEY", "k" * 48)
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SECRET_KEY"] != DEFAULT_SECRET_KEY
    assert not app.debug


def test_variables_reach_the_configuration():
    config = from_environment({"FORUM_DATABASE_URL": "postgresql+psycopg://db/forum",
                               "FORUM_MAX_CONTENT_LENGTH": "2048",
                               "FORUM_LIMIT_WRITES": "5/minute"})
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://db/forum"
    assert config["MAX_CONTENT_LENGTH"] == 2048
    assert config["FORUM_LIMIT_WRITES"] == "5/minute"
    assert config["SESSION_COOKIE_SECURE"] is False
