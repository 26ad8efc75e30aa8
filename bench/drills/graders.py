"""Drill: two graders (the course's instructor and its TA) save one student's grade at
the same moment, round after round, each with If-Match of the version both read: one
winner per version, the other told 412, and one audit row per acknowledged save."""

from __future__ import annotations

import threading
import time

import requests
from sqlalchemy import text

from bench.drills.helpers import (
    Outcome,
    Result,
    call,
    engine,
    report_log,
    serve_on_postgres,
    statuses,
)

NAME = "graders"
TITLE = "two graders racing on one grade"
ROUNDS = 25


def _audit(url: str, discussion_id: int, student_id: int) -> tuple[int, int, float, int]:
    with engine(url).connect() as connection:
        grade_id, version, score = connection.execute(text(
            "SELECT id, version, score FROM grades WHERE discussion_id = :d AND "
            "student_id = :s"), {"d": discussion_id, "s": student_id}).one()
        saved = connection.scalar(text(
            "SELECT count(*) FROM grade_changes WHERE grade_id = :g AND note = 'saved'"),
            {"g": grade_id})
    return version, saved, score, grade_id


def _save(base: str, path: str, bearer: str, score: float, feedback: str,
          barrier: threading.Barrier, puts: list[Outcome]) -> None:
    """Read the grade, wait for the other grader to have read it too, save."""
    session = requests.Session()
    auth = {"Authorization": f"Bearer {bearer}"}
    _, answer = call(session, "grade-read", "GET", base, path, headers=auth)
    tag = answer.headers.get("ETag", "") if answer is not None else ""
    barrier.wait(timeout=30)
    outcome, _ = call(session, "grade", "PUT", base, path, headers={**auth, "If-Match": tag},
                      json={"score": score, "feedback": feedback, "override_reason": "drill"})
    outcome.text = f"{tag} {score:g}"
    puts.append(outcome)


def run(ctx, result: Result) -> None:
    with serve_on_postgres(ctx, "drill_graders") as app:
        instructor, ta = app.tokens(range(0, 2))
        with engine(app.url).connect() as connection:
            discussion_id, student_id = connection.execute(text(
                "SELECT g.discussion_id, u.id FROM grades g JOIN users u "
                "ON u.id = g.student_id WHERE u.email = :e"), {"e": app.data.email(2)}).one()
        path = f"/api/v1/discussions/{discussion_id}/grades/{student_id}"
        version0, saved0, _, _ = _audit(app.url, discussion_id, student_id)
        rounds: list[list[Outcome]] = []
        for number in range(ROUNDS):
            barrier = threading.Barrier(2)
            puts: list[Outcome] = []
            pair = [threading.Thread(target=_save, args=(
                        app.base, path, bearer, score, f"Round {number}.", barrier, puts))
                    for bearer, score in ((instructor, 1 + number % 5), (ta, 6 + number % 4))]
            for thread in pair:
                thread.start()
            for thread in pair:
                thread.join()
            rounds.append(puts)
            time.sleep(0.05)
        outcomes = [o for puts in rounds for o in puts]
        version, saved, score, _ = _audit(app.url, discussion_id, student_id)
        winners = [o for o in outcomes if o.acknowledged]
        by_version: dict[str, int] = {}
        for o in winners:
            tag = o.text.split()[0]
            by_version[tag] = by_version.get(tag, 0) + 1
        clean = sum(1 for puts in rounds if sorted(o.status for o in puts) == [200, 412])
        result.figure(f"{ROUNDS} rounds of two simultaneous saves: {statuses(outcomes)}; "
                      f"one 200 and one 412 in {clean} rounds")
        result.figure(f"grade version {version0} -> {version}; audit rows 'saved' "
                      f"{saved0} -> {saved} ({saved - saved0} for {len(winners)} "
                      f"acknowledged saves)")
        result.expect(all(n == 1 for n in by_version.values()),
                      f"more than one winner for a version: {by_version}")
        result.expect(clean == ROUNDS, f"only {clean} of {ROUNDS} rounds had one winner "
                      f"and one 412: {[[o.status for o in puts] for puts in rounds]}")
        result.expect(saved - saved0 == len(winners),
                      f"{saved - saved0} audit rows for {len(winners)} acknowledged saves")
        result.expect(version - version0 == len(winners),
                      f"the version rose by {version - version0} for {len(winners)} saves")
        last = max(winners, key=lambda o: o.ended, default=None)
        result.expect(last is None or float(last.text.split()[1]) == score,
                      f"stored score {score} is not the last winner's ({last and last.text})")
        for o in outcomes:
            if o.status not in (200, 412):
                result.problem(f"PUT {path} answered {o.status or o.error}: {o.excerpt[:200]}")
        report_log(result, app.server, outcomes)
