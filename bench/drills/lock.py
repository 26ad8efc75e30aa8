"""Drill: `LOCK TABLE replies IN ACCESS EXCLUSIVE MODE` held past the web worker's
timeout under load. The app's lock_timeout answers 503 + Retry-After; no 500, and no
gunicorn worker is killed (no WORKER TIMEOUT, the same worker PIDs)."""

from __future__ import annotations

import threading
import time

from bench.drills.helpers import (
    Load,
    Result,
    check_answers,
    check_writes,
    report_log,
    serve_on_postgres,
    statuses,
)

NAME = "lock"
TITLE = "a table lock longer than the web worker's timeout"
WEB_TIMEOUT = 8  # seconds (FORUM_WEB_TIMEOUT)
LOCK_TIMEOUT, STATEMENT_TIMEOUT = 3, 6  # seconds: the app's deadlines, below it
HELD = 12  # seconds the lock is held


def run(ctx, result: Result) -> None:
    cluster = ctx.cluster()
    database = "drill_lock"
    with serve_on_postgres(ctx, database, timeout=WEB_TIMEOUT,
                           FORUM_DB_LOCK_TIMEOUT=str(LOCK_TIMEOUT),
                           FORUM_DB_STATEMENT_TIMEOUT=str(STATEMENT_TIMEOUT)) as app:
        tokens = app.tokens(range(2, 8))
        before = app.server.worker_pids()
        held = {}

        def hold() -> None:
            with cluster.connect(database, autocommit=False) as connection:
                connection.execute("LOCK TABLE replies IN ACCESS EXCLUSIVE MODE")
                held["from"] = time.monotonic()
                time.sleep(HELD)
                connection.rollback()
                held["to"] = time.monotonic()

        with Load(app.base, app.data.hot50, tokens) as load:
            time.sleep(4)
            locker = threading.Thread(target=hold)
            locker.start()
            locker.join()
            time.sleep(6)
        load.retry_unacknowledged(app.url)
        outcomes = load.outcomes
        after = app.server.worker_pids()
        # Requests that were under way at some moment of the lock.
        during = [o for o in outcomes if o.started < held["to"] and o.ended > held["from"]]
        slowest = max((o.ended - o.started for o in during), default=0.0)
        result.figure(f"lock held {held['to'] - held['from']:.1f} s (web timeout "
                      f"{WEB_TIMEOUT} s, lock_timeout {LOCK_TIMEOUT} s, statement_timeout "
                      f"{STATEMENT_TIMEOUT} s); {len(outcomes)} requests: {statuses(outcomes)}")
        result.figure(f"while locked: {statuses(during) or 'no request'}; slowest answer "
                      f"{slowest:.1f} s")
        result.expect(any(o.status == 503 for o in during), "no 503 while the table was locked")
        check_answers(result, outcomes, allow_503=True)
        timeouts = app.server.errors().count("WORKER TIMEOUT")
        result.figure(f"gunicorn: {timeouts} WORKER TIMEOUT; worker PIDs "
                      f"{'unchanged' if before == after else f'{before} -> {after}'}")
        result.expect(timeouts == 0, f"gunicorn logged WORKER TIMEOUT {timeouts} times")
        result.expect(before == after, f"workers were replaced: {before} -> {after}")
        report_log(result, app.server, outcomes)
        check_writes(result, app.url, outcomes)
