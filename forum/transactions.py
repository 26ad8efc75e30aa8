"""Units of work: how a use case's transaction begins, the same for a request, a command,
an import or a worker task.

A unit is either a read or a write. Whoever starts the work says which: a request by its
method (GET, HEAD and OPTIONS never change anything), a command or a task with
`unit_of_work(WRITE)` or `unit_of_work(READ)`. Each service function that writes is
marked `@writes`: it refuses to run inside a read unit, and when nobody declared a unit
(a shell, a test, a script) the call itself is one write unit.

- A write on SQLite takes the write lock when its transaction begins (`BEGIN
  IMMEDIATE`): a transaction that read first and wrote later could not wait for a writer
  that came in between (SQLite fails it at once, "database is locked", whatever the busy
  timeout), and what the use case checks before writing cannot change in between.
- A read on PostgreSQL sends its statements without BEGIN and ROLLBACK (autocommit): two
  round trips of three on a post page. Each statement still sees its own snapshot under
  READ COMMITTED, so reads lose nothing. The one write a page view makes, its read mark,
  is a single statement and needs no transaction.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Engine

from forum.extensions import db

READ, WRITE = "read", "write"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})  # requests that change nothing


@dataclass
class Unit:
    kind: str
    locked: bool = False  # SQLite: the write lock was taken for this unit


_current: ContextVar[Unit | None] = ContextVar("forum_unit", default=None)


def current_unit() -> Unit | None:
    return _current.get()


def start_unit(kind: str):
    """Begin a unit; returns the token `end_unit` takes. Prefer `unit_of_work`."""
    token = _current.set(Unit(kind))
    if kind == READ and db.engine.dialect.name == "postgresql" \
            and not db.session().in_transaction():  # else it reads in the open one
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    return token


def end_unit(token) -> None:
    _current.reset(token)


@contextmanager
def unit_of_work(kind: str) -> Iterator[None]:
    """Run the block as one read or write unit (commands, imports, worker tasks)."""
    token = start_unit(kind)
    try:
        yield
    finally:
        end_unit(token)


def begin_request_unit(method: str):
    """A request's unit, chosen by its method: safe methods read, the others write."""
    return start_unit(READ if method in SAFE_METHODS else WRITE)


P = ParamSpec("P")
R = TypeVar("R")


def writes(service: Callable[P, R]) -> Callable[P, R]:
    """Mark a service function that writes; see the module's docstring."""

    @functools.wraps(service)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        unit = current_unit()
        if unit is None:
            with unit_of_work(WRITE):
                _lock_for_writing()
                return service(*args, **kwargs)
        if unit.kind == READ:
            raise RuntimeError(f"{service.__name__} writes, inside a unit declared as a read")
        _lock_for_writing()
        return service(*args, **kwargs)

    run.writes = True  # type: ignore[attr-defined]
    return run


def _lock_for_writing() -> None:
    """SQLite: take the write lock now, unless this transaction already holds it."""
    if db.engine.dialect.name != "sqlite":
        return
    connection = db.session.connection()  # may begin (and lock, in _sqlite_begin)
    if not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        current_unit().locked = True


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection) -> None:
    """SQLite: the first transaction of a write unit begins by taking the write lock.
    Later ones (reads after the unit's commit) begin as the driver does, just before
    their first write."""
    unit = current_unit()
    if connection.dialect.name == "sqlite" and unit is not None and unit.kind == WRITE \
            and not unit.locked:
        unit.locked = True
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def request_units(app) -> None:
    """Every request is a unit of work, read or write by its method."""
    from flask import g, request

    @app.before_request
    def _begin() -> None:
        if request.endpoint != "static":
            g._unit_token = begin_request_unit(request.method)

    @app.teardown_request
    def _end(_error=None) -> None:
        token = g.pop("_unit_token", None)
        if token is not None:
            end_unit(token)


def request_reads_only() -> None:
    """Declare the current request a read unit whatever its method: for a POST that
    writes nothing (a preview), so that on SQLite it never takes the write lock."""
    from flask import g

    token = g.pop("_unit_token", None)
    if token is not None:
        end_unit(token)
    g._unit_token = start_unit(READ)
