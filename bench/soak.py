"""A memory soak: one gunicorn worker reads a thousand different post pages (as a
signed-in student and as an anonymous visitor, so each kind's copy of each thread is
kept) and its resident memory is reported before, along the way and after.
`python -m bench.soak --help`."""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import add_data_arguments, stop

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SECRET = "soak-secret-key-not-for-production-0123456789"
AGENT = {"User-Agent": "forum-soak"}  # sessions are bound to the agent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def build(url: str, args) -> tuple[list[int], str]:
    """The bench's database (forum.benchdata), the posts to read and a student's cookie."""
    import flask_migrate
    from sqlalchemy import select

    from forum import create_app
    from forum.benchdata import PASSWORD, generate
    from forum.extensions import db
    from forum.models import Moderation, Post, PostStatus

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET,
                      "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        flask_migrate.upgrade()
        made = generate(args.students, args.discussions, args.posts_per_discussion,
                        args.replies)
        posts = list(db.session.scalars(
            select(Post.id).where(Post.deleted_at.is_(None), Post.status == PostStatus.PUBLISHED,
                                  Post.moderation == Moderation.PUBLISHED).order_by(Post.id)
            .limit(args.posts)))
        db.engine.dispose()
    client = app.test_client()
    client.post("/login", data={"email": made.student_email, "password": PASSWORD},
                headers=AGENT)
    client.get("/", headers=AGENT)
    return posts, f"session={client.get_cookie('session').value}"


def start_gunicorn(port: int, env: dict, threads: int, app: str) -> subprocess.Popen:
    """One worker, as the bench starts them; returns once it has loaded the app."""
    ready = Path(tempfile.mkdtemp(prefix="forum-soak-ready-"))
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "1", "--threads", str(threads),
         "--no-control-socket", "--config", str(HERE / "gunicorn_ready.py"),
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning", app],
        cwd=ROOT, env={**env, "BENCH_READY_DIR": str(ready)}, start_new_session=True)
    try:
        for _ in range(600):
            if process.poll() is not None:
                break
            if any(ready.iterdir()):
                return process
            time.sleep(0.1)
    finally:
        shutil.rmtree(ready, ignore_errors=True)
    stop(process)
    raise RuntimeError("gunicorn did not start")


def worker_rss_mb(process: subprocess.Popen) -> float:
    out = subprocess.run(["ps", "-o", "rss=", "--ppid", str(process.pid)],
                         capture_output=True, text=True).stdout.split()
    return max(int(kb) for kb in out) / 1024


def read(connection: http.client.HTTPConnection, path: str, headers: dict) -> int:
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    response.read()
    if response.status != 200:
        raise RuntimeError(f"GET {path}: {response.status}")
    return response.status


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--database-url", help="PostgreSQL URL (default: a fresh SQLite file)")
    parser.add_argument("--posts", type=int, default=1000, help="different post pages read")
    add_data_arguments(parser)
    parser.add_argument("--threads", type=int, default=1, help="of the gunicorn worker")
    parser.add_argument("--cache-max-bytes", help="FORUM_CACHE_MAX_BYTES (default: the app's)")
    parser.add_argument("--app", default="wsgi:app", help="what gunicorn serves (to compare "
                        "another configuration)")
    parser.add_argument("--limit-mb", type=float, default=150, help="PASS below this")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="forum-soak-"))
    url = args.database_url or f"sqlite:///{workdir / 'soak.db'}"
    env = {**os.environ, "FORUM_DATABASE_URL": url, "FORUM_SECRET_KEY": SECRET,
           "FORUM_RATELIMIT_ENABLED": "0", "FORUM_QUEUE_URL": "none"}
    if args.cache_max_bytes:
        env["FORUM_CACHE_MAX_BYTES"] = args.cache_max_bytes
    os.environ.update(env)
    started = time.monotonic()
    posts, cookie = build(url, args)
    print(f"database built in {time.monotonic() - started:.0f} s; reading {len(posts)} "
          f"post pages as a student and as a visitor", file=sys.stderr)
    port = free_port()
    process = start_gunicorn(port, env, args.threads, args.app)
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        student, visitor = {"Cookie": cookie, **AGENT}, dict(AGENT)
        read(connection, f"/posts/{posts[0]}", student)  # the app and its templates loaded
        read(connection, f"/posts/{posts[0]}", visitor)
        before = worker_rss_mb(process)
        print(f"{'pages read':>10}  {'worker RSS MB':>13}")
        print(f"{0:>10}  {before:>13.1f}")
        started, highest = time.monotonic(), before
        for number, post_id in enumerate(posts, 1):
            read(connection, f"/posts/{post_id}", student)
            read(connection, f"/posts/{post_id}", visitor)
            if number % 100 == 0 or number == len(posts):
                rss = worker_rss_mb(process)
                highest = max(highest, rss)
                print(f"{number:>10}  {rss:>13.1f}")
        seconds = time.monotonic() - started
        after = worker_rss_mb(process)
    finally:
        stop(process)
        shutil.rmtree(workdir, ignore_errors=True)
    verdict = "PASS" if highest < args.limit_mb else "FAIL"
    print(f"\n{2 * len(posts)} requests in {seconds:.0f} s; worker RSS {before:.1f} MB before, "
          f"{after:.1f} MB after, {highest:.1f} MB at most: {verdict} (limit "
          f"{args.limit_mb:.0f} MB)")
    sys.exit(0 if verdict == "PASS" else 1)


if __name__ == "__main__":
    main()
