"""Configuration: defaults, overridden by FORUM_* environment variables."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_SECRET_KEY = "dev-only-secret-change-me"  # noqa: S105 - refused in production
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _flag(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def from_environment(environ: os._Environ[str] | dict[str, str] = os.environ) -> dict:
    """Build the configuration mapping from defaults and FORUM_* variables."""
    instance = PROJECT_ROOT / "instance"
    env = environ.get("FORUM_ENV", "development")
    return {
        "ENV_NAME": env,
        "SECRET_KEY": environ.get("FORUM_SECRET_KEY", DEFAULT_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": environ.get(
            "FORUM_DATABASE_URL", f"sqlite:///{instance / 'forum.db'}"
        ),
        "SQLALCHEMY_ECHO": _flag(environ.get("FORUM_SQL_ECHO"), False),
        "SESSION_COOKIE_SECURE": _flag(environ.get("FORUM_SECURE_COOKIES"), env == "production"),
        "REMEMBER_COOKIE_SECURE": _flag(environ.get("FORUM_SECURE_COOKIES"), env == "production"),
        "MAX_CONTENT_LENGTH": int(environ.get("FORUM_MAX_CONTENT_LENGTH", 1024 * 1024)),
        "PREFERRED_URL_SCHEME": "https" if env == "production" else "http",
    }


BASE = {
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "TEMPLATES_AUTO_RELOAD": False,
}


def check_production(config: dict) -> None:
    """Refuse to run in production with the development secret key."""
    if config.get("ENV_NAME") == "production" and config["SECRET_KEY"] == DEFAULT_SECRET_KEY:
        raise RuntimeError(
            "FORUM_SECRET_KEY must be set to a long random value when FORUM_ENV=production"
        )
