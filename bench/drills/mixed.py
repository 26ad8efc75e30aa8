"""Drill: a mixed load on PostgreSQL (pages, the API thread, replies with a nonce, edits
with If-Match); afterwards every acknowledged write is stored exactly once."""

from __future__ import annotations

import time

from bench.drills.helpers import (
    Load,
    Result,
    by_kind,
    check_answers,
    check_writes,
    report_log,
    serve_on_postgres,
    statuses,
)

NAME = "mixed"
TITLE = "mixed load, every acknowledged write stored once"
SECONDS = 20


def run(ctx, result: Result) -> None:
    with serve_on_postgres(ctx, "drill_mixed") as app:
        tokens = app.tokens(range(2, 8))
        with Load(app.base, app.data.hot50, tokens) as load:
            time.sleep(SECONDS)
        outcomes = load.outcomes
        result.figure(f"{len(outcomes)} requests in {load.ended - load.started:.0f} s "
                      f"({len(outcomes) / (load.ended - load.started):.0f}/s, "
                      f"{len(tokens)} clients): {by_kind(outcomes)}")
        result.figure(f"answers: {statuses(outcomes)}")
        check_answers(result, outcomes, allow_503=False)
        report_log(result, app.server, outcomes)
        check_writes(result, app.url, outcomes)
