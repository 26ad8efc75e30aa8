"""Drill: SQLite with ten concurrent writers: gunicorn with ten sync workers on one
SQLite file, ten clients replying and editing at once. No "database is locked", no 500,
every acknowledged write stored once. Halfway, `flask --app forum backup` (SQLite's online
backup API) runs under the writers; restored into an empty file, it holds every reply
acknowledged before it began."""

from __future__ import annotations

import re
import time

from bench.drills.backup import available, nonces
from bench.drills.helpers import (
    NONCE,
    Gunicorn,
    Load,
    Result,
    app_env,
    build_data,
    by_kind,
    check_answers,
    check_writes,
    flask,
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
        backup = workdir / "backup.tar.gz"
        can_backup = available(env)
        with Load(server.base, data.hot50, tokens, pause=0.02,
                  mix=("create", "create", "edit")) as load:
            time.sleep(SECONDS / 2)
            began = time.monotonic()
            said = flask(env, "backup", str(backup)) if can_backup else ""
            took = time.monotonic() - began
            time.sleep(max(0.0, SECONDS / 2 - took))
        outcomes = load.outcomes
        elapsed = load.ended - load.started
        result.figure(f"{WRITERS} workers, {WRITERS} writers, {len(outcomes)} requests in "
                      f"{elapsed:.0f} s ({by_kind(outcomes)}): {statuses(outcomes)}")
        writes = [o for o in outcomes if o.kind in ("create", "edit") and o.acknowledged]
        result.figure(f"{len(writes) / elapsed:.0f} acknowledged writes a second")
        locked = server.errors().count("database is locked") + sum(
            "database is locked" in o.excerpt for o in outcomes)
        result.figure(f'"database is locked": {locked} times (log and answers)')
        refused = [o for o in outcomes if not o.acknowledged and o.status != 412]
        if refused:
            # When, against the backup's run (flask's start included), seconds into the load.
            result.figure("not acknowledged: " + ", ".join(
                f"{o.method} {o.status or o.error} after waiting {o.ended - o.started:.1f} s, "
                f"sent at +{o.started - load.started:.1f} s" for o in refused[:4])
                + (f"; the backup ran from +{began - load.started:.1f} to "
                   f"+{began + took - load.started:.1f} s" if can_backup else ""))
        result.expect(locked == 0, f'"database is locked" {locked} times')
        check_answers(result, outcomes, allow_503=False)
        report_log(result, server, outcomes)
    finally:
        server.stop()
    check_writes(result, url, outcomes)
    if not can_backup:
        result.figure("no `flask --app forum backup` here: the backup under the writers left out")
        return
    said = re.sub(r" to \S+ ", " ", said.strip().splitlines()[-1])
    result.figure(f"backup under the writers ({took:.1f} s with flask's start): {said[:150]}")
    restored = f"sqlite:///{workdir / 'restored.db'}"
    flask(app_env(restored, ctx.workdir("drill_sqlite_restored")), "restore", str(backup))
    present = nonces(restored)
    before = [o for o in outcomes if o.kind == "create" and o.acknowledged and o.ended < began]
    missing = [o for o in before if NONCE.search(o.text).group(1) not in present]
    result.figure(f"restored into an empty file: {len(before)} replies acknowledged before the "
                  f"backup began, {len(missing)} missing; {len(present)} drill replies in it")
    result.expect(not missing, f"{len(missing)} acknowledged replies missing from the restored "
                               "backup")
