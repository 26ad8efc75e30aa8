"""Drill: PostgreSQL stopped for 10 s under the mixed load. Only 503 with Retry-After
while it is away (JSON under /api), no 500, the first 2xx within 5 s of its return,
nothing acknowledged lost."""

from __future__ import annotations

import time
from collections import Counter

from bench.drills.helpers import (
    Load,
    Result,
    check_answers,
    check_writes,
    report_log,
    serve_on_postgres,
    statuses,
)

NAME = "outage"
TITLE = "PostgreSQL stopped for 10 s under load"
BEFORE, DOWN, AFTER = 5, 10, 10  # seconds
RECOVERY_TARGET = 5.0


def run(ctx, result: Result) -> None:
    cluster = ctx.cluster()
    with serve_on_postgres(ctx, "drill_outage") as app:
        tokens = app.tokens(range(2, 8))
        with Load(app.base, app.data.hot50, tokens) as load:
            time.sleep(BEFORE)
            down = time.monotonic()
            cluster.stop("fast")
            stopped = time.monotonic()
            time.sleep(DOWN)
            restarting = time.monotonic()
            cluster.start()
            back = time.monotonic()
            time.sleep(AFTER)
        load.retry_unacknowledged(app.url)
        outcomes = load.outcomes
        result.figure(f"database stopped in {stopped - down:.1f} s, away "
                      f"{back - stopped:.1f} s; {len(outcomes)} requests: "
                      f"{statuses(outcomes)}")
        during = [o for o in outcomes if o.started >= stopped and o.ended <= restarting]
        result.figure(f"during the outage: {statuses(during) or 'no request'}; Retry-After "
                      f"values: {dict(Counter(o.retry_after for o in during if o.retry_after))}")
        result.expect(bool(during) and all(o.status == 503 for o in during),
                      "during the outage some answers were not 503: " + statuses(during))
        check_answers(result, outcomes, allow_503=True)
        report_log(result, app.server, outcomes)
        # pg_ctl returns a moment after the server accepts connections: a 2xx may come
        # before it does (a negative delay).
        first = min((o.ended for o in outcomes if o.acknowledged and o.ended > restarting),
                    default=None)
        if first is None:
            result.problem("no 2xx after the database came back")
        else:
            result.figure(f"first 2xx {first - back:.2f} s after the database was back "
                          f"(target {RECOVERY_TARGET:.0f} s)")
            result.expect(first - back <= RECOVERY_TARGET,
                          f"first 2xx only {first - back:.1f} s after the database's return")
        log_text = app.server.errors()
        result.figure(f"gunicorn error log: {log_text.count('Traceback')} tracebacks, "
                      f"{log_text.count('database unavailable')} 'database unavailable' "
                      "lines")
        check_writes(result, app.url, outcomes)
