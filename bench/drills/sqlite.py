"""Drill: SQLite with ten concurrent writers: gunicorn with ten sync workers on one
SQLite file, ten clients replying and editing at once. No "database is locked", no 500,
every acknowledged write stored once."""

from __future__ import annotations

import time

from bench.drills.helpers import (
    Gunicorn,
    Load,
    Result,
    app_env,
    build_data,
    by_kind,
    check_answers,
    check_writes,
    report_log,
    statuses,
    token,
)

NAME = "sqlite"
TITLE = "SQLite with ten concurrent writers"
WRITERS = 10
SECONDS = 20


def run(ctx, result: Result) -> None:
    workdir = ctx.workdir("drill_sqlite")
    url = f"sqlite:///{workdir / 'forum.db'}"
    env = app_env(url, workdir)
    data = build_data(env, students=WRITERS + 2)
    server = Gunicorn(env, workdir, workers=WRITERS)
    try:
        tokens = [token(server.base, data.email(n)) for n in range(2, 2 + WRITERS)]
        with Load(server.base, data.hot50, tokens, pause=0.02,
                  mix=("create", "create", "edit")) as load:
            time.sleep(SECONDS)
        outcomes = load.outcomes
        elapsed = load.ended - load.started
        result.figure(f"{WRITERS} workers, {WRITERS} writers, {len(outcomes)} requests in "
                      f"{elapsed:.0f} s ({by_kind(outcomes)}): {statuses(outcomes)}")
        writes = [o for o in outcomes if o.kind in ("create", "edit") and o.acknowledged]
        result.figure(f"{len(writes) / elapsed:.0f} acknowledged writes a second")
        locked = server.errors().count("database is locked") + sum(
            "database is locked" in o.excerpt for o in outcomes)
        result.figure(f'"database is locked": {locked} times (log and answers)')
        result.expect(locked == 0, f'"database is locked" {locked} times')
        check_answers(result, outcomes, allow_503=False)
        report_log(result, server, outcomes)
    finally:
        server.stop()
    check_writes(result, url, outcomes)
