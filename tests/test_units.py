"""Units of work begin the same way for a request and for a script: a use case that
writes says so, and its transaction is chosen by that, not by HTTP."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil

import pytest
from sqlalchemy import func, select

from forum import services
from forum.extensions import db
from forum.models import Reply
from forum.services import replies
from forum.transactions import READ, unit_of_work
from tests.conftest import TEST_DATABASE_URL

sqlite_only = pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="SQLite's write lock")

# Writes that are not use cases of their own.
NOT_DECLARED = {
    "mark_post_read": "the read mark a page view leaves: one statement, inside a read",
    "commit_versioned": "the commit step of the use cases that call it",
    "commit_token_use": "a token's last use, after a request that wrote nothing else",
    "deliver": "a mail's sending: a claim and a record, each a use case, SMTP between",
    "sync_roster": "reads, lets its transaction go while the LMS answers, then "
                   "apply_roster (a use case) writes",
    "import_course": "reads and checks the archive outside any unit, then writes the "
                     "course in one write unit of its own (_write_course)",
    "run_job": "the worker's run of an archive job: its claim, its outcome and the "
               "import are each a write unit of their own; its progress is kept beside",
}


def _commits(node, bodies: dict, seen: tuple) -> bool:
    """Whether a function's body commits, itself or through a helper of its module."""
    for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
        name = getattr(call.func, "attr", None) or getattr(call.func, "id", None)
        if name in {"commit", "commit_versioned"}:
            return True
        if name in bodies and name not in seen and _commits(bodies[name], bodies,
                                                            (*seen, name)):
            return True
    return False


def _writing_functions():
    """Every public service function that commits, directly or through a helper."""
    for info in pkgutil.iter_modules(services.__path__):
        module = importlib.import_module(f"forum.services.{info.name}")
        tree = ast.parse(inspect.getsource(module))
        bodies = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
        for name, node in bodies.items():
            if not name.startswith("_") and _commits(node, bodies, (name,)):
                yield name, getattr(module, name)


def test_every_use_case_that_writes_says_so():
    found = dict(_writing_functions())
    assert {"reply_to", "save_grade", "create_course", "annotate"} <= set(found)
    undeclared = {name for name, fn in found.items()
                  if not getattr(fn, "writes", False) and name not in NOT_DECLARED}
    assert undeclared == set()


@sqlite_only
def test_a_script_takes_the_write_lock_before_its_use_case_reads(world, count_queries):
    with count_queries() as counter:
        replies.reply_to(world.classmate, world.post, None, "Written from a script.")
    statements = [s.split()[0].upper() + (" " + s.split()[1].upper() if s.startswith("BEGIN")
                                          else "") for s in counter.statements]
    assert statements[0] == "BEGIN IMMEDIATE"
    assert "INSERT" in statements


@sqlite_only
def test_a_request_that_writes_takes_the_same_lock_and_one_that_reads_does_not(
        world, login_as, count_queries):
    client, page = login_as(world.classmate), f"/posts/{world.post.id}"
    db.session.commit()  # the client would, and reload the test's objects in the count
    with count_queries() as writing:
        client.post(f"{page}/replies", data={"body": "From a browser."})
    with count_queries() as reading:
        client.get(page)
    assert writing.statements[0].upper() == "BEGIN IMMEDIATE"
    assert not any(s.upper().startswith("BEGIN") for s in reading.statements)


def test_a_write_inside_a_read_is_refused_and_changes_nothing(world):
    before = db.session.scalar(select(func.count()).select_from(Reply))
    with unit_of_work(READ), pytest.raises(RuntimeError, match="writes"):
        replies.reply_to(world.classmate, world.post, None, "Sneaked into a read.")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Reply)) == before
