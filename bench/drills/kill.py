"""Drill: kill -9 of a gunicorn worker under load (the master replaces it; nothing
acknowledged lost, service continues), then kill -9 of the task-queue worker (`flask
--app forum worker`): a worker started again processes every event left waiting."""

from __future__ import annotations

import os
import signal
import time

from sqlalchemy import text

from bench.drills.helpers import (
    Load,
    QueueWorker,
    Result,
    check_answers,
    check_writes,
    engine,
    report_log,
    serve_on_postgres,
    statuses,
)

NAME = "kill"
TITLE = "kill -9 of a web worker and of the queue worker under load"
QUEUE_DEADLINE = 90  # seconds: the worker's periodic sweep runs once a minute


def waiting_events(url: str) -> tuple[int, int]:
    with engine(url).connect() as connection:
        waiting = connection.scalar(text(
            "SELECT count(*) FROM events WHERE processed_at IS NULL"))
        return waiting, connection.scalar(text("SELECT count(*) FROM events"))


def run(ctx, result: Result) -> None:
    with serve_on_postgres(ctx, "drill_kill") as app:
        tokens = app.tokens(range(2, 8))
        queue = QueueWorker(app.env, app.workdir)
        _, all_before = waiting_events(app.url)
        try:
            with Load(app.base, app.data.hot50, tokens) as load:
                time.sleep(4)
                before = app.server.worker_pids()
                victim = before[0]
                os.kill(victim, signal.SIGKILL)
                killed_at = time.monotonic()
                replaced = None
                while time.monotonic() < killed_at + 15:
                    now = app.server.worker_pids()
                    if victim not in now and len(now) == len(before):
                        replaced = time.monotonic() - killed_at
                        break
                    time.sleep(0.1)
                time.sleep(3)
                os.kill(queue.process.pid, signal.SIGKILL)
                queue.process.wait()
                time.sleep(5)  # replies keep coming: their events wait for a worker
            load.retry_unacknowledged(app.url)
            outcomes = load.outcomes
            waiting, total = waiting_events(app.url)
            result.figure(f"web worker {victim} killed; "
                          + (f"replaced in {replaced:.1f} s by {sorted(set(now) - set(before))}"
                             if replaced is not None else "NOT replaced in 15 s"))
            result.expect(replaced is not None, "the master did not replace the killed worker")
            after = [o for o in outcomes if o.started > killed_at + (replaced or 0) + 1
                     and o.kind != "retry"]
            result.figure(f"{len(outcomes)} requests: {statuses(outcomes)}; after the "
                          f"replacement: {statuses(after)}")
            result.expect(bool(after) and all(o.acknowledged for o in after),
                          "service did not continue after the kill: " + statuses(after))
            check_answers(result, outcomes, allow_503=False, allow_connection_errors=True)
            lost_connections = [o for o in outcomes if o.status is None]
            result.expect(len(lost_connections) <= 2,
                          f"{len(lost_connections)} requests without an answer (one at most "
                          "per killed worker expected)")
            report_log(result, app.server, outcomes)
            check_writes(result, app.url, outcomes)
            result.figure(f"queue worker killed with {waiting} of "
                          f"{total - all_before} new events waiting")
            restarted = QueueWorker(app.env, app.workdir, name="worker-again")
            try:
                started = time.monotonic()
                while waiting and time.monotonic() < started + QUEUE_DEADLINE:
                    time.sleep(0.5)
                    waiting, total = waiting_events(app.url)
                result.figure(f"a worker started again: {waiting} events waiting after "
                              f"{time.monotonic() - started:.1f} s")
                result.expect(waiting == 0, f"{waiting} events left unprocessed after "
                                            f"{QUEUE_DEADLINE} s")
            finally:
                restarted.stop()
        finally:
            queue.stop()
