"""Drill: `flask --app forum backup FILE` while the mixed load runs, restored with
`flask --app forum restore FILE` into an empty database: every reply acknowledged before
the backup began is there. Then a backup of the quiet database, restored the same way,
has every table's row count of the original, and serves the same pages and API answers."""

from __future__ import annotations

import re
import subprocess
import time

import requests
from sqlalchemy import func, select, table, text

from bench.drills.helpers import (
    NONCE,
    PYTHON,
    ROOT,
    Gunicorn,
    Load,
    Result,
    app_env,
    check_answers,
    engine,
    flask,
    report_log,
    serve_on_postgres,
    statuses,
)

NAME = "backup"
TITLE = "backup under load, restore into an empty database, compare"


def available(env: dict) -> bool:
    done = subprocess.run([PYTHON, "-m", "flask", "--app", "forum", "backup", "--help"],
                          cwd=ROOT, env=env, capture_output=True)
    return done.returncode == 0


def table_counts(url: str) -> dict[str, int]:
    with engine(url).connect() as connection:
        tables = connection.scalars(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).all()
        return {t: connection.scalar(select(func.count()).select_from(table(t)))
                for t in tables}


def nonces(url: str) -> set[str]:
    with engine(url).connect() as connection:
        bodies = connection.scalars(text(
            "SELECT body FROM replies WHERE body LIKE 'Drill reply%' UNION ALL "
            "SELECT body FROM revisions WHERE body LIKE 'Drill reply%'")).all()
    return {found for body in bodies for found in NONCE.findall(body)}


# What differs between two renderings of the same page: per-request nonces and tokens.
VARYING = re.compile(r'(nonce="|name="csrf_token" value="|csrf-token" content=")[^"]*"')


def page(base: str, path: str, headers: dict) -> tuple[int, str]:
    answer = requests.get(base + path, headers=headers, timeout=30)
    return answer.status_code, VARYING.sub(r'\1…"', answer.text)


def run(ctx, result: Result) -> None:
    cluster = ctx.cluster()
    with serve_on_postgres(ctx, "drill_backup") as app:
        if not available(app.env):
            result.skipped = "no `flask --app forum backup` command in this checkout"
            return
        tokens = app.tokens(range(2, 8))
        under_load = app.workdir / "under-load.tar.gz"
        with Load(app.base, app.data.hot50, tokens) as load:
            time.sleep(5)
            began = time.monotonic()
            said = flask(app.env, "backup", str(under_load)).strip().splitlines()[-1]
            took = time.monotonic() - began
            time.sleep(3)
        outcomes = load.outcomes
        said = re.sub(r" to \S+ ", " ", said)
        result.figure(f"backup under load ({took:.1f} s with flask's start): {said[:150]}")
        result.figure(f"{len(outcomes)} requests meanwhile: {statuses(outcomes)}")
        check_answers(result, outcomes, allow_503=False)
        report_log(result, app.server, outcomes)

        cluster.execute("CREATE DATABASE drill_restored_load")
        restored = cluster.url("drill_restored_load")
        said = flask(app_env(restored, ctx.workdir("drill_restored_load")), "restore",
                     str(under_load)).strip().splitlines()
        result.figure(f"restored into an empty database: {said[0][:160]}")
        present = nonces(restored)
        before = [o for o in outcomes if o.kind == "create" and o.acknowledged
                  and o.ended < began]
        missing = [o for o in before if NONCE.search(o.text).group(1) not in present]
        result.figure(f"replies acknowledged before the backup began: {len(before)}, "
                      f"missing from the restore: {len(missing)}; the restore holds "
                      f"{len(present)} drill replies of "
                      f"{sum(1 for o in outcomes if o.kind == 'create' and o.acknowledged)} "
                      "acknowledged in all")
        result.expect(not missing, f"{len(missing)} acknowledged replies missing from the "
                                   f"restored backup, e.g. {missing[:1]}")

        quiet = app.workdir / "quiet.tar.gz"
        flask(app.env, "backup", str(quiet))
        cluster.execute("CREATE DATABASE drill_restored")
        copy_url = cluster.url("drill_restored")
        copy_dir = ctx.workdir("drill_restored")
        copy_env = app_env(copy_url, copy_dir)
        flask(copy_env, "restore", str(quiet))
        original, copied = table_counts(app.url), table_counts(copy_url)
        differing = {t: (original.get(t), copied.get(t)) for t in original.keys() | copied
                     if original.get(t) != copied.get(t)}
        result.figure(f"quiet backup restored: {len(copied)} tables, "
                      f"{sum(copied.values()):,} rows; tables whose count differs: "
                      f"{differing or 'none'}")
        result.expect(not differing, f"row counts differ after restore: {differing}")
        copy_server = Gunicorn(copy_env, copy_dir, name="restored")
        try:
            bearer = {"Authorization": f"Bearer {tokens[0]}"}
            post, course = app.data.hot50, app.data.course_id
            with engine(app.url).connect() as connection:
                discussion = connection.scalar(text(
                    "SELECT discussion_id FROM posts WHERE id = :p"), {"p": post})
            paths = [(f"/posts/{post}", {}), (f"/posts/{app.data.hot500}", {}),
                     (f"/discussions/{discussion}", {}),
                     (f"/api/v1/posts/{post}/thread", bearer),
                     (f"/api/v1/courses/{course}/discussions", bearer),
                     ("/api/v1/me/grades", bearer)]
            same = 0
            for path, headers in paths:
                first, second = page(app.base, path, headers), page(copy_server.base, path,
                                                                    headers)
                if first == second and first[0] == 200:
                    same += 1
                else:
                    result.problem(f"{path}: {first[0]} ({len(first[1])} chars) on the "
                                   f"original, {second[0]} ({len(second[1])} chars) restored")
            result.figure(f"pages and API answers the same on the original and the "
                          f"restored copy: {same} of {len(paths)}")
        finally:
            copy_server.stop()
