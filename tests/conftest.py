"""Fixtures: an app on a fresh database per test, a client, factories, login_as,
and a counter of SQL statements.

Tests run on SQLite by default; with FORUM_TEST_DATABASE_URL set (a PostgreSQL URL),
on that database: its schema is made once per session and emptied between tests.
"""

from __future__ import annotations

import contextvars
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from sqlalchemy import event, text

from forum import create_app
from forum.extensions import db
from tests.factories import Factory

TEST_DATABASE_URL = os.environ.get("FORUM_TEST_DATABASE_URL")


def redis_test_url(number: int) -> str:
    """One of the tests' Redis databases; a PostgreSQL run takes others, so that CI's two
    runs may share one Redis at the same time."""
    return f"redis://127.0.0.1:6379/{number - 2 if TEST_DATABASE_URL else number}"


class FreshContextClient(FlaskClient):
    """Runs each request in its own application context, as a real server would.

    The test keeps its own context and session; a request must not share them (nor
    `g`, where Flask-Login caches the user). The test's transaction is ended first so
    that each side sees what the other committed.
    """

    def open(self, *args, **kwargs):
        if has_app_context():  # not so while following a redirect
            db.session.commit()
        return contextvars.Context().run(super().open, *args, **kwargs)


def _test_config(database_url: str, **extra) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": None,
        # Members' replies are scored by the spam filter only in the tests of that rule
        # (tests/test_moderation.py), so that other tests' texts never wait for review.
        "FORUM_SCORE_FIRST_REPLIES": 0,
        "FORUM_NEW_ACCOUNT_HOURS": 0,
        # Events are written but queue nothing: tests of the worker run a real consumer
        # on a queue of their own (tests/test_worker.py).
        "FORUM_QUEUE_URL": "none",
        **extra,
    }


@pytest.fixture(scope="session")
def _postgres_schema() -> Iterator[None]:
    """Create the schema once per session on the test PostgreSQL database."""
    if not TEST_DATABASE_URL:
        yield
        return
    app = create_app(_test_config(TEST_DATABASE_URL))
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        db.create_all()
        db.engine.dispose()
    yield


def _empty_tables() -> None:
    names = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
    with db.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="session")
def _sqlite_schema(tmp_path_factory) -> Path | None:
    """A SQLite file with the schema, made once per session: each test starts from a
    copy of it (quicker than creating every table, index and trigger again)."""
    if TEST_DATABASE_URL:
        return None
    path = tmp_path_factory.mktemp("schema") / "schema.db"
    app = create_app(_test_config(f"sqlite:///{path}"))
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    return path


@pytest.fixture
def database_url(tmp_path, _postgres_schema, _sqlite_schema) -> str:
    if TEST_DATABASE_URL:
        return TEST_DATABASE_URL
    shutil.copyfile(_sqlite_schema, tmp_path / "test.db")
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def app_config() -> dict:
    """Override in a test module to change settings of the app under test."""
    return {}


@pytest.fixture
def app(database_url, app_config):
    app = create_app(_test_config(database_url, **app_config))
    app.test_client_class = FreshContextClient
    with app.app_context():
        if TEST_DATABASE_URL:
            _empty_tables()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app) -> FreshContextClient:
    return app.test_client()


@pytest.fixture
def make(app) -> Factory:
    return Factory()


@pytest.fixture
def login_as(client):
    """Sign the test client in as a user (None signs out)."""

    def login(user) -> FreshContextClient:
        with client.session_transaction() as session:
            session.clear()
            if user is not None:
                session["_user_id"] = user.get_id()
                session["_fresh"] = True
        return client

    return login


class QueryCounter:
    def __init__(self):
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app):
    """`with count_queries() as counter:` counts SQL statements sent in the block."""

    @contextmanager
    def counting() -> Iterator[QueryCounter]:
        counter = QueryCounter()

        def record(_conn, _cursor, statement, *_args):
            counter.statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            yield counter
        finally:
            event.remove(db.engine, "before_cursor_execute", record)

    return counting


@pytest.fixture
def world(make):
    """One course seen from every seat: staff, the post's author, a classmate, a student
    of another course, a site admin; a discussion with a post, a reply and a prompt."""
    from types import SimpleNamespace

    from forum.models import Role

    course = make.course(title="Europe between the Wars")
    other_course = make.course(title="The Cold War")
    w = SimpleNamespace(course=course, other_course=other_course)
    w.admin = make.user("Site Admin", admin=True)
    w.instructor = make.member(course, Role.INSTRUCTOR, "Dr. Okafor")
    w.ta = make.member(course, Role.TA, "Tomás Reyes")
    w.student = make.member(course, Role.STUDENT, "Ana Lindqvist")
    w.classmate = make.member(course, Role.STUDENT, "Ben Carter")
    w.outsider = make.member(other_course, Role.STUDENT, "Olga Outsider")
    w.discussion = make.discussion(course, created_by_id=w.instructor.id)
    w.post = make.post(w.discussion, w.student, title="Harsh in tone",
                       body="The treaty was harsh in tone. Its terms were moderate.")
    w.reply = make.reply(w.post, w.classmate, body="Moderate for whom?")
    w.prompt = make.prompt(w.post, w.instructor, body="Which terms do you mean?",
                           quote="Its terms were moderate.")
    w.actors = {
        "admin": w.admin, "instructor": w.instructor, "ta": w.ta, "student": w.student,
        "classmate": w.classmate, "outsider": w.outsider, "anonymous": None,
    }
    return w


@pytest.fixture
def blog(world):
    """The world's course as a public blog whose guest comments wait for staff."""
    from forum.models import GuestComments, Visibility

    world.course.visibility = Visibility.PUBLIC
    world.course.guest_comments = GuestComments.MODERATED
    db.session.commit()
    return world


class ApiClient:
    """Calls the JSON API as a given user (None: without a token)."""

    def __init__(self, client, tokens: dict):
        self.client = client
        self.tokens = tokens

    def token_for(self, user) -> str:
        from forum.services.tokens import create_token

        if user.id not in self.tokens:
            self.tokens[user.id] = create_token(user, "tests")[1]
        return self.tokens[user.id]

    def call(self, user, method: str, url: str, json=None, headers=None, token=None):
        headers = dict(headers or {})
        secret = token or (self.token_for(user) if user is not None else None)
        if secret:
            headers["Authorization"] = f"Bearer {secret}"
        return self.client.open(url, method=method, json=json, headers=headers)

    def get(self, user, url, **kwargs):
        return self.call(user, "GET", url, **kwargs)

    def post(self, user, url, json=None, **kwargs):
        return self.call(user, "POST", url, json=json if json is not None else {}, **kwargs)

    def patch(self, user, url, json, etag: str | None = None, **kwargs):
        if etag is None:
            etag = self.get(user, url).headers.get("ETag", '"none"')
        headers = {"If-Match": etag, **kwargs.pop("headers", {})}
        return self.call(user, "PATCH", url, json=json, headers=headers, **kwargs)

    def delete(self, user, url, **kwargs):
        return self.call(user, "DELETE", url, **kwargs)


@pytest.fixture
def api(client) -> ApiClient:
    return ApiClient(client, {})


@pytest.fixture
def seated(world, make):
    """The world, plus what some operations need: a deleted post and reply, tokens,
    a released grade and a passage comment."""
    from forum.extensions import db
    from forum.models import Enrollment
    from forum.services import annotations, grading
    from forum.services import posts as post_service
    from forum.services import replies as reply_service
    from forum.services.tokens import create_token, revoke_token

    world.deleted_post = make.post(world.discussion, world.classmate, title="Withdrawn")
    make.reply(world.deleted_post, world.student, body="Still worth reading.")
    post_service.delete_post(world.classmate, world.deleted_post)
    world.deleted_reply = make.reply(world.post, world.classmate, body="Said in haste.")
    reply_service.delete_reply(world.classmate, world.deleted_reply)
    world.student_token = create_token(world.student, "phone")[0]
    revoked, world.revoked_secret = create_token(world.student, "old laptop")
    revoke_token(world.student, revoked.id)
    grading.save_grade(world.instructor, world.discussion, world.student.id, version=None,
                       score=7, feedback="Good use of Keynes.")
    grading.release_grades(world.instructor, world.discussion)
    world.annotation = annotations.annotate(world.ta, world.post, quote="harsh in tone",
                                            body="Whose tone?")
    world.membership = db.session.scalar(
        db.select(Enrollment).where(Enrollment.user_id == world.classmate.id))
    return world


@pytest.fixture
def served(app):
    """The app on a loopback port, for peers that call it back over HTTP (the tests' LMS
    fetches the tool's key set from it)."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def platform(app, served):
    """The tests' LMS (tests/lti_platform.py) on loopback, registered with the tool, and
    checking the tool's signatures against its served /lti/jwks."""
    from forum.cli_lti import Console
    from forum.services import lti
    from tests.lti_platform import Platform

    lms = Platform().start()
    lms.tool_jwks_url = f"{served}/lti/jwks"
    lti.register_platform(Console(), name="Test LMS", issuer=lms.issuer,
                          client_id=lms.client_id, deployment_ids=[lms.deployment_id],
                          keyset_url=lms.keyset_url, auth_url=lms.auth_url,
                          token_url=lms.token_url)
    yield lms
    lms.stop()
