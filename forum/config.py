"""Configuration: defaults, overridden by FORUM_* environment variables."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_SECRET_KEY = "dev-only-secret-change-me"  # noqa: S105 - refused in production
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _flag(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def cache_settings(url: str | None, max_bytes: str | None = None) -> dict:
    """Where rendered fragments are kept: in each worker's memory by default, at most
    FORUM_CACHE_MAX_BYTES of them (least recently used go first), in Redis with a
    redis:// URL (shared by every worker), nowhere with `none`."""
    if not url:
        return {"CACHE_TYPE": "forum.memory_cache.MemoryCache",
                "CACHE_MAX_BYTES": int(max_bytes or 16 * 1024 * 1024)}
    if url.strip().lower() == "none":
        return {"CACHE_TYPE": "NullCache"}
    return {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": url, "CACHE_KEY_PREFIX": "forum:"}


def engine_options(config: dict) -> dict:
    """How the app talks to its database.

    Every statement has a deadline well below the web worker's timeout (gunicorn.conf.py):
    a statement running past FORUM_DB_STATEMENT_TIMEOUT seconds, or waiting past
    FORUM_DB_LOCK_TIMEOUT for a lock (a migration, a long admin transaction), is
    cancelled and the request answered 503 with Retry-After, instead of every worker
    waiting until gunicorn kills them all. On SQLite the lock wait is the busy timeout.

    A server's connection can drop between requests: it is checked before each use. A
    SQLite file's cannot, and the check would cost every request a statement.
    PostgreSQL's JIT compiler is off: it compiles any statement the planner thinks
    costly (a search at a million replies, the dashboard), which costs a request some
    200 ms to save a few.

    Behind PgBouncer in transaction pooling (FORUM_DB_POOLER=pgbouncer) a server
    connection serves many clients in turn: no prepared statements, and no settings sent
    when connecting (PgBouncer refuses them); set them on the database's role instead
    (docs/deployment.md)."""
    url = config["SQLALCHEMY_DATABASE_URI"]
    lock_seconds = config["FORUM_DB_LOCK_TIMEOUT"]
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": lock_seconds}}
    if config["FORUM_DB_POOLER"] == "pgbouncer":
        return {"pool_pre_ping": True, "connect_args": {"prepare_threshold": None}}
    settings = {"jit": "off",
                "statement_timeout": int(config["FORUM_DB_STATEMENT_TIMEOUT"] * 1000),
                "lock_timeout": int(lock_seconds * 1000)}
    options = " ".join(f"-c {name}={value}" for name, value in settings.items())
    return {"pool_pre_ping": True, "connect_args": {"options": options}}


def from_environment(environ: os._Environ[str] | dict[str, str] = os.environ) -> dict:
    """Build the configuration mapping from defaults and FORUM_* variables."""
    instance = PROJECT_ROOT / "instance"
    env = environ.get("FORUM_ENV", "development")
    return {
        **cache_settings(environ.get("FORUM_CACHE_URL"), environ.get("FORUM_CACHE_MAX_BYTES")),
        # How long a proxy or browser may keep a public page shown to visitors without a
        # session before asking again (with If-None-Match): forum/web/conditional.py.
        "FORUM_PUBLIC_MAX_AGE": int(environ.get("FORUM_PUBLIC_MAX_AGE", "30")),
        "ENV_NAME": env,
        "SECRET_KEY": environ.get("FORUM_SECRET_KEY", DEFAULT_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": environ.get(
            "FORUM_DATABASE_URL", f"sqlite:///{instance / 'forum.db'}"
        ),
        "SQLALCHEMY_ECHO": _flag(environ.get("FORUM_SQL_ECHO"), False),
        # Deadlines for one statement and for one wait on a lock, in seconds; see
        # engine_options. PgBouncer (transaction pooling) in front: `pgbouncer`.
        "FORUM_DB_STATEMENT_TIMEOUT": float(environ.get("FORUM_DB_STATEMENT_TIMEOUT", "10")),
        "FORUM_DB_LOCK_TIMEOUT": float(environ.get("FORUM_DB_LOCK_TIMEOUT", "5")),
        "FORUM_DB_POOLER": environ.get("FORUM_DB_POOLER", "").strip().lower(),
        "SESSION_COOKIE_SECURE": _flag(environ.get("FORUM_SECURE_COOKIES"), env == "production"),
        "REMEMBER_COOKIE_SECURE": _flag(environ.get("FORUM_SECURE_COOKIES"), env == "production"),
        "MAX_CONTENT_LENGTH": int(environ.get("FORUM_MAX_CONTENT_LENGTH", 1024 * 1024)),
        "PREFERRED_URL_SCHEME": "https" if env == "production" else "http",
        "RATELIMIT_ENABLED": _flag(environ.get("FORUM_RATELIMIT_ENABLED"), True),
        "RATELIMIT_STORAGE_URI": environ.get("FORUM_RATELIMIT_STORAGE_URI", "memory://"),
        "FORUM_LIMIT_WRITES": environ.get("FORUM_LIMIT_WRITES", "20/minute;300/hour"),
        "FORUM_LIMIT_WRITES_PER_IP": environ.get("FORUM_LIMIT_WRITES_PER_IP", "120/minute"),
        "FORUM_LIMIT_LOGIN": environ.get("FORUM_LIMIT_LOGIN", "10/minute;50/hour"),
        "FORUM_LIMIT_LOGIN_PER_ACCOUNT": environ.get("FORUM_LIMIT_LOGIN_PER_ACCOUNT",
                                                     "10/minute;50/hour"),
        "FORUM_LIMIT_REGISTER": environ.get("FORUM_LIMIT_REGISTER", "10/hour"),
        "FORUM_LIMIT_LTI": environ.get("FORUM_LIMIT_LTI", "120/minute;2000/hour"),
        "FORUM_TRUSTED_PROXIES": int(environ.get("FORUM_TRUSTED_PROXIES", "0")),
        # Images on posts: where their files live (default instance/uploads), how large
        # a file and how many pixels (all frames together) an upload may have.
        "FORUM_UPLOADS_DIR": environ.get("FORUM_UPLOADS_DIR") or None,
        "FORUM_UPLOAD_MAX_BYTES": int(environ.get("FORUM_UPLOAD_MAX_BYTES", 4 * 1024 * 1024)),
        # A course archive sent to be imported (pages and API).
        "FORUM_ARCHIVE_MAX_BYTES": int(environ.get("FORUM_ARCHIVE_MAX_BYTES",
                                                   512 * 1024 * 1024)),
        "FORUM_UPLOAD_MAX_PIXELS": int(environ.get("FORUM_UPLOAD_MAX_PIXELS", 40_000_000)),
        # `import-wordpress --fetch-images` may fetch from private and loopback addresses
        # (an intranet blog; the tests' server): off, so no import reaches inside.
        "FORUM_IMPORT_FETCH_PRIVATE": _flag(environ.get("FORUM_IMPORT_FETCH_PRIVATE"), False),
        **moderation_settings(environ),
        **mail_config(environ.get("FORUM_MAIL_URL")),
        "FORUM_MAIL_FROM": environ.get("FORUM_MAIL_FROM", "Course Forum <forum@localhost>"),
        # Links in mail point here (the address people open the forum at).
        "FORUM_BASE_URL": environ.get("FORUM_BASE_URL", "http://127.0.0.1:5000"),
        # At most one immediate mail per person and thread this often; the rest join it.
        "FORUM_MAIL_THREAD_GAP_SECONDS": float(
            environ.get("FORUM_MAIL_THREAD_GAP_SECONDS", "300")),
        # A mail that fails is tried again after 1, 2, 4 … times this, then is dead.
        "FORUM_MAIL_RETRY_SECONDS": float(environ.get("FORUM_MAIL_RETRY_SECONDS", "60")),
        "FORUM_MAIL_ATTEMPTS": int(environ.get("FORUM_MAIL_ATTEMPTS", "8")),
        # The task queue: a SQLite file under instance/ by default, redis://… to share
        # one among hosts, `none` for no queue (events wait for a worker's sweep).
        "FORUM_QUEUE_URL": environ.get("FORUM_QUEUE_URL") or f"sqlite:///{instance / 'queue.db'}",
    }


def mail_config(url: str | None) -> dict:
    """Flask-Mailman's settings from FORUM_MAIL_URL: smtp://user:pass@host:port (STARTTLS
    on port 587, or with ?starttls=yes), smtps://… (TLS from the start); unset: no mail."""
    if not url:
        return {"FORUM_MAIL_ENABLED": False, "MAIL_BACKEND": "smtp"}
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise RuntimeError("FORUM_MAIL_URL must look like smtp://user:password@host:587")
    query = parse_qs(parts.query)
    implicit = parts.scheme == "smtps"
    port = parts.port or (465 if implicit else 587)
    starttls = not implicit and _flag((query.get("starttls") or [None])[0], port == 587)
    return {
        "FORUM_MAIL_ENABLED": True,
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": parts.hostname,
        "MAIL_PORT": port,
        "MAIL_USERNAME": unquote(parts.username) if parts.username else None,
        "MAIL_PASSWORD": unquote(parts.password) if parts.password else None,
        "MAIL_USE_TLS": starttls,
        "MAIL_USE_SSL": implicit,
        "MAIL_TIMEOUT": 10,
    }


def moderation_settings(environ: os._Environ[str] | dict[str, str] = os.environ) -> dict:
    """Guest comments and the spam filter: limits per address, the form's minimum time,
    links per comment, how long a repeated text is refused, how many of a member's
    first replies are scored and for how long a new account's are, and how many
    members' flags hide an item."""
    return {
        "FORUM_LIMIT_GUEST": environ.get("FORUM_LIMIT_GUEST", "1 per 5 seconds;30 per day"),
        # Previews render and save nothing; one caller's presses are bounded all the same.
        "FORUM_LIMIT_PREVIEW": environ.get("FORUM_LIMIT_PREVIEW", "30/minute;600/hour"),
        "FORUM_GUEST_MIN_SECONDS": float(environ.get("FORUM_GUEST_MIN_SECONDS", "3")),
        "FORUM_GUEST_MAX_LINKS": int(environ.get("FORUM_GUEST_MAX_LINKS", "2")),
        "FORUM_GUEST_REPEAT_MINUTES": int(environ.get("FORUM_GUEST_REPEAT_MINUTES", "10")),
        "FORUM_SCORE_FIRST_REPLIES": int(environ.get("FORUM_SCORE_FIRST_REPLIES", "3")),
        "FORUM_NEW_ACCOUNT_HOURS": float(environ.get("FORUM_NEW_ACCOUNT_HOURS", "24")),
        "FORUM_FLAGS_TO_HIDE": int(environ.get("FORUM_FLAGS_TO_HIDE", "3")),
    }


BASE = {
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,
    "TEMPLATES_AUTO_RELOAD": False,
    "CACHE_DEFAULT_TIMEOUT": 3600,
    "RATELIMIT_HEADERS_ENABLED": True,
    "API_TITLE": "Course Forum API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "API_SPEC_OPTIONS": {
        "info": {"description": "Everything the forum's pages do, for JSON clients. "
                                "Authenticate with `Authorization: Bearer <token>`; create a "
                                "token with POST /api/v1/tokens or on the Tokens page."},
        "components": {"securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearerAuth": []}, {}],
    },
}


def check_production(config: dict) -> None:
    """Refuse to run in production with the development secret key."""
    if config.get("ENV_NAME") == "production" and config["SECRET_KEY"] == DEFAULT_SECRET_KEY:
        raise RuntimeError(
            "FORUM_SECRET_KEY must be set to a long random value when FORUM_ENV=production"
        )
