"""Drill: a storm of pg_terminate_backend against the app's connections under the mixed
load: no 500, nothing acknowledged lost."""

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

NAME = "terminate"
TITLE = "pg_terminate_backend storm under load"
BEFORE, STORM, AFTER = 4, 12, 6  # seconds
EVERY = 0.2  # seconds between two rounds of the storm


def run(ctx, result: Result) -> None:
    cluster = ctx.cluster()
    database = "drill_terminate"
    with serve_on_postgres(ctx, database) as app:
        tokens = app.tokens(range(2, 8))
        killed = []
        calm = threading.Event()

        def storm() -> None:
            with cluster.connect() as connection:
                end = time.monotonic() + STORM
                while time.monotonic() < end and not calm.is_set():
                    rows = connection.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = %s AND pid <> pg_backend_pid()", (database,)
                    ).fetchall()
                    killed.append(sum(1 for (done,) in rows if done))
                    time.sleep(EVERY)

        with Load(app.base, app.data.hot50, tokens) as load:
            time.sleep(BEFORE)
            stormer = threading.Thread(target=storm)
            stormer.start()
            stormer.join()
            storm_ended = time.monotonic()
            time.sleep(AFTER)
        load.retry_unacknowledged(app.url)
        outcomes = load.outcomes
        result.figure(f"{len(killed)} rounds, {sum(killed)} connections terminated; "
                      f"{len(outcomes)} requests: {statuses(outcomes)}")
        after = [o for o in outcomes if o.started > storm_ended + 1 and o.kind != "retry"]
        result.figure(f"after the storm: {statuses(after)}")
        result.expect(sum(killed) > 0, "the storm terminated no connection")
        result.expect(bool(after) and all(o.acknowledged or o.status == 412 for o in after),
                      "service did not come back after the storm: " + statuses(after))
        check_answers(result, outcomes, allow_503=True)
        report_log(result, app.server, outcomes)
        check_writes(result, app.url, outcomes)
