"""The drills' checks (bench/drills/helpers.py) catch what they are there to catch: a lost
or doubled create, a lost edit, a 500, a 503 without Retry-After, a refused retry."""

from __future__ import annotations

import sqlite3

import pytest

from bench.drills.helpers import Outcome, Result, check_answers, check_writes, unhandled_paths

ONE, TWO, THREE = "n" + "1" * 32, "n" + "2" * 32, "n" + "3" * 32


@pytest.fixture
def database(tmp_path):
    """Only what the checks read: replies and revisions, with their bodies."""
    path = tmp_path / "drill.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE replies (id INTEGER PRIMARY KEY, body TEXT)")
        connection.execute("CREATE TABLE revisions (id INTEGER PRIMARY KEY, reply_id INTEGER, "
                           "body TEXT)")
    connection.close()
    return path


def store(path, replies: dict[int, str], revisions: tuple[tuple[int, str], ...] = ()) -> None:
    with sqlite3.connect(path) as connection:
        connection.executemany("INSERT INTO replies VALUES (?, ?)", replies.items())
        connection.executemany("INSERT INTO revisions (reply_id, body) VALUES (?, ?)",
                               revisions)
    connection.close()


def create(key: str, status: int | None, reply_id: int | None = None,
           kind: str = "create") -> Outcome:
    return Outcome(kind, "POST", "/api/v1/posts/1/replies", 0.0, 1.0, status,
                   text=f"Drill reply {key} from client 0.", reply_id=reply_id)


def edit(reply_id: int, text: str, status: int | None, at: float) -> Outcome:
    return Outcome("edit", "PATCH", f"/api/v1/replies/{reply_id}", at, at + 0.1, status,
                   text=text, reply_id=reply_id)


def checked(path, outcomes: list[Outcome]) -> Result:
    result = Result("test")
    check_writes(result, f"sqlite:///{path}", outcomes)
    return result


def test_every_acknowledged_write_stored_passes(database):
    store(database, {1: "Drill edit B of reply 1.", 2: f"Drill reply {TWO} from client 0."},
          ((1, f"Drill reply {ONE} from client 0."), (1, "Drill edit A of reply 1.")))
    result = checked(database, [
        create(ONE, 201, 1), create(TWO, 201, 2), create(THREE, None),
        edit(1, "Drill edit A of reply 1.", 200, 2.0),
        edit(1, "Drill edit B of reply 1.", 200, 3.0)])
    assert result.passed, result.problems


def test_an_acknowledged_create_missing_or_doubled_fails(database):
    store(database, {1: f"Drill reply {ONE} from client 0.",
                     2: f"Drill reply {ONE} from client 0."})
    result = checked(database, [create(ONE, 201, 1), create(TWO, 201, 3)])
    assert len(result.problems) == 2
    assert all("stored" in problem for problem in result.problems)


def test_an_unacknowledged_create_stored_twice_fails(database):
    store(database, {1: f"Drill reply {ONE} from client 0.",
                     2: f"Drill reply {ONE} from client 0."})
    assert not checked(database, [create(ONE, 503)]).passed


def test_an_acknowledged_edit_that_is_neither_text_nor_revision_fails(database):
    store(database, {1: "Drill edit A of reply 1."},
          ((1, f"Drill reply {ONE} from client 0."),))
    result = checked(database, [
        create(ONE, 201, 1), edit(1, "Drill edit A of reply 1.", 200, 2.0),
        edit(1, "Drill edit B of reply 1.", 200, 3.0)])
    assert not result.passed


def test_an_edit_of_unknown_fate_may_win_after_the_last_acknowledged(database):
    store(database, {1: "Drill edit B of reply 1."},
          ((1, f"Drill reply {ONE} from client 0."), (1, "Drill edit A of reply 1.")))
    result = checked(database, [
        create(ONE, 201, 1), edit(1, "Drill edit A of reply 1.", 200, 2.0),
        edit(1, "Drill edit B of reply 1.", None, 3.0)])
    assert result.passed, result.problems


def test_a_refused_retry_fails_and_an_accepted_one_counts(database):
    store(database, {1: f"Drill reply {ONE} from client 0.",
                     2: f"Drill reply {TWO} from client 0."})
    accepted = checked(database, [create(ONE, 503), create(ONE, 201, 1, kind="retry")])
    assert accepted.passed, accepted.problems
    refused = checked(database, [create(TWO, 500), create(TWO, 409, kind="retry")])
    assert any("answered 409" in problem for problem in refused.problems)


@pytest.mark.parametrize(("outcome", "allow_503", "fails"), [
    (Outcome("page", "GET", "/posts/1", 0, 1, 500), True, True),
    (Outcome("thread", "GET", "/api/v1/posts/1/thread", 0, 1, 503, retry_after="2",
             content_type="application/json"), True, False),
    (Outcome("thread", "GET", "/api/v1/posts/1/thread", 0, 1, 503,
             content_type="application/json"), True, True),
    (Outcome("thread", "GET", "/api/v1/posts/1/thread", 0, 1, 503, retry_after="2",
             content_type="text/html"), True, True),
    (Outcome("page", "GET", "/posts/1", 0, 1, 503, retry_after="2"), False, True),
    (Outcome("edit", "PATCH", "/api/v1/replies/1", 0, 1, 412), False, False),
    (Outcome("page", "GET", "/posts/1", 0, 1, None, error="ConnectionError"), True, True),
])
def test_answers(outcome, allow_503, fails):
    result = Result("test")
    check_answers(result, [outcome], allow_503=allow_503)
    assert (not result.passed) is fails


def test_the_frames_an_unhandled_error_escaped_through():
    log = """[2026-12-03 19:08:48 +0000] [1] [ERROR] Error handling request POST /x
Traceback (most recent call last):
  File "/v/site-packages/psycopg/connection.py", line 314, in rollback
psycopg.errors.AdminShutdown: terminating connection

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/v/site-packages/flask/app.py", line 1536, in __call__
  File "/v/site-packages/flask/ctx.py", line 436, in pop
  File "/v/site-packages/flask_sqlalchemy/extension.py", line 448, in _teardown_session
  File "/v/site-packages/sqlalchemy/orm/session.py", line 2724, in close
sqlalchemy.exc.OperationalError: (psycopg.errors.AdminShutdown) terminating connection
[2026-12-03 19:08:49 +0000] [1] [INFO] next line
"""
    assert unhandled_paths(log) == {
        "flask.app.__call__ > flask.ctx.pop > flask_sqlalchemy.extension._teardown_session": 1}
