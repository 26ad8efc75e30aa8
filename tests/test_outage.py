"""When the database is away, people get a calm 503 with Retry-After, never a trace."""

from __future__ import annotations

import time

import pytest
from flask import has_request_context
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from forum import create_app, outages
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
    assert int(response.headers["Retry-After"]) >= outages.RETRY_MIN
    assert "Traceback" not in response.get_data(as_text=True)


def test_the_api_answers_503_in_json(orphan_app):
    response = orphan_app.test_client().get(
        "/api/v1/courses", headers={"Authorization": "Bearer fat_whatever"})
    assert response.status_code == 503 and response.is_json
    assert response.json["code"] == 503
    assert int(response.headers["Retry-After"]) >= outages.RETRY_MIN


def test_an_outage_logs_one_traceback_a_minute_and_a_line_for_each_other_failure(
        orphan_app, caplog):
    client = orphan_app.test_client()
    for _ in range(5):
        assert client.get("/api/v1/courses",
                          headers={"Authorization": "Bearer fat_x"}).status_code == 503
    failures = [r for r in caplog.records if r.getMessage().startswith("database unavailable")]
    assert len(failures) == 5
    assert sum(1 for r in failures if r.exc_info) <= 1  # one, unless an earlier test's
    assert all("\n" not in r.getMessage() for r in failures)


def test_retry_after_follows_how_long_the_database_has_been_away():
    now = [1000.0]
    outage = outages._Outage(clock=lambda: now[0])
    down_for, with_traceback = outage.failed()
    assert (down_for, with_traceback) == (0.0, True)
    assert outages.retry_after(down_for) == outages.RETRY_MIN
    for _ in range(12):  # a failure every five seconds for a minute
        now[0] += 5
        down_for, with_traceback = outage.failed()
    assert down_for == 60 and outages.retry_after(down_for) == outages.RETRY_MAX
    assert with_traceback  # the second traceback, a minute after the first
    now[0] += outages.OUTAGE_GAP + 1  # quiet long enough: the next failure is a new outage
    assert outage.failed() == (0.0, True)


class TestALockHeldPastTheDeadline:
    """A table locked by someone else (a migration, an admin's long transaction) makes a
    write wait FORUM_DB_LOCK_TIMEOUT, then answers 503 with Retry-After; nothing is
    written, and the same request succeeds once the lock is gone."""

    @pytest.fixture
    def app_config(self):
        return {"FORUM_DB_LOCK_TIMEOUT": 0.5}

    @pytest.fixture
    def lock(self, app):
        """Takes the lock in a connection of its own; returns what releases it."""
        from sqlalchemy import create_engine

        engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
        connection = engine.connect()

        def take():
            if engine.dialect.name == "sqlite":
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                connection.exec_driver_sql("BEGIN")
                connection.exec_driver_sql("LOCK TABLE replies IN ACCESS EXCLUSIVE MODE")
            return release

        def release():
            connection.rollback()
            connection.close()

        yield take
        if not connection.closed:
            release()
        engine.dispose()

    def test_a_write_waits_then_answers_503_and_writes_nothing(self, world, api, lock):
        from forum.models import Reply

        url = f"/api/v1/posts/{world.post.id}/replies"
        token = api.token_for(world.classmate)
        release = lock()
        started = time.monotonic()
        refused = api.post(world.classmate, url, {"body": "Under the lock."}, token=token)
        waited = time.monotonic() - started
        assert refused.status_code == 503 and refused.is_json
        assert outages.RETRY_MIN <= int(refused.headers["Retry-After"]) <= outages.RETRY_MAX
        assert waited < 5  # the deadline, not gunicorn's 30 s
        release()
        assert db.session.scalar(select(func.count()).where(
            Reply.body == "Under the lock.")) == 0
        assert api.post(world.classmate, url, {"body": "After the lock."},
                        token=token).status_code == 201


class TestAConnectionDroppedAfterTheCommit:
    """The reply is stored; the connection drops as its answer is read back. The client
    is told 201 with the reply (read again on a new connection), never 503 for a write
    that stands."""

    @pytest.fixture
    def drop_after_commit(self, app):
        from sqlalchemy import create_engine
        from sqlalchemy import event as sa_event

        killer = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
        dropped = []

        def drop(_session):
            if dropped or not has_request_context():  # the request's commit only
                return
            dropped.append(True)
            if killer.dialect.name == "postgresql":  # a real drop: the server ends it
                with killer.connect() as connection:
                    connection.exec_driver_sql(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()")
            else:  # a file cannot drop: its next read fails as on a dropped connection
                sa_event.listen(db.engine, "before_cursor_execute", fail_once)

        def fail_once(_conn, _cursor, statement, *_args):
            if not statement.lstrip().upper().startswith("SELECT"):
                return
            sa_event.remove(db.engine, "before_cursor_execute", fail_once)
            raise OperationalError("SELECT", {}, Exception("server closed the connection"))

        def arm():
            sa_event.listen(db.session, "after_commit", drop)

        yield arm
        sa_event.remove(db.session, "after_commit", drop)
        killer.dispose()

    def test_the_reply_is_answered_201(self, world, api, drop_after_commit):
        from forum.models import Reply

        token = api.token_for(world.classmate)
        drop_after_commit()
        answer = api.post(world.classmate, f"/api/v1/posts/{world.post.id}/replies",
                          {"body": "Stored before the drop."}, token=token)
        assert answer.status_code == 201, answer.get_data(as_text=True)
        assert answer.json["body"] == "Stored before the drop."
        assert answer.headers["Location"].endswith(f"/replies/{answer.json['id']}")
        db.session.rollback()
        assert db.session.scalar(select(func.count()).where(
            Reply.body == "Stored before the drop.")) == 1
