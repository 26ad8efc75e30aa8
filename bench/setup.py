"""Build the benchmark database and the scenarios to drive, in-process."""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import click
from sqlalchemy import delete, event, func, select, text

HERE = Path(__file__).resolve().parent
AGENT = {"User-Agent": "forum-bench"}  # sent by every scenario: sessions are bound to it
# Two words a student might search for: a topic (forum.benchdata.TOPICS, in about one
# item in 80) and a word of the common vocabulary: some hundreds of hits in the course.
SEARCH_QUERY = "Locarno guarantee"
SEARCH_SCENARIO = "search, two words, student"


@dataclass
class Scenario:
    name: str
    path: str
    headers: dict = field(default_factory=dict)
    script: Path | None = None
    size: int = 0
    statements: int | None = None


@dataclass
class Grown:
    """The database after the scale check grew it, and the 50-reply page measured again."""

    replies_before: int
    replies_after: int
    seconds: float
    settle_seconds: float
    size: int
    statements: int


@dataclass
class Plan:
    scenarios: list[Scenario]
    baseline_size: int
    check_writes: Callable[[], str]
    restore: Callable[[], int]
    grow: Callable[[int], Grown]
    told_after: Callable[[float], str]


def prepare(url: str, secret: str, args, workdir: Path) -> Plan:
    import flask_migrate

    from forum import create_app
    from forum.benchdata import HOT_THREADS, PASSWORD, generate
    from forum.extensions import db
    from forum.models import Reply, User
    from forum.services.tokens import create_token

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret,
                      "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        flask_migrate.upgrade()
        made = generate(args.students, args.discussions, args.posts_per_discussion,
                        args.replies)
        _settle()  # planner statistics of the fresh data, as production would have them
        student = db.session.scalar(select(User).where(User.email == made.student_email))
        bearer = {"Authorization": f"Bearer {create_token(student, 'bench')[1]}"}
        hot50, hot500 = made.hot_posts[50], made.hot_posts[500]
        before = db.session.scalar(select(func.count()).where(Reply.post_id == hot50))
        last_reply = db.session.scalar(select(func.max(Reply.id)))

    def cookie_for(email: str) -> dict:
        """A session cookie as a browser holds it once settled after logging in: the
        welcome message shown, a CSRF token issued, signed for the agent wrk names. (The
        cookie of the login answer itself would make every request a first visit.)"""
        client = app.test_client()
        client.post("/login", data={"email": email, "password": PASSWORD}, headers=AGENT)
        client.get("/", headers=AGENT)
        return {"Cookie": f"session={client.get_cookie('session').value}", **AGENT}

    as_student, as_instructor = cookie_for(made.student_email), cookie_for(
        made.instructor_email)
    d = made.discussion_id
    scenarios = [
        Scenario("post page, 50 replies, student", f"/posts/{hot50}", as_student),
        Scenario("post page, 50 replies, anonymous", f"/posts/{hot50}"),
        Scenario("post page, 500 replies, student", f"/posts/{hot500}", as_student),
        Scenario("post page, 500 replies, anonymous", f"/posts/{hot500}"),
        Scenario(f"discussion page ({args.posts_per_discussion} posts)", f"/discussions/{d}",
                 as_student),
        Scenario("dashboard, student", "/", as_student),
        Scenario(SEARCH_SCENARIO, f"/search?q={SEARCH_QUERY.replace(' ', '+')}", as_student),
        Scenario(f"grading roster ({args.students} students)", f"/discussions/{d}/grading",
                 as_instructor),
        Scenario("API thread, 50 replies", f"/api/v1/posts/{hot50}/thread", bearer),
        Scenario("API thread, 500 replies", f"/api/v1/posts/{hot500}/thread", bearer),
        Scenario("API posts list, page 2 of 50", f"/api/v1/discussions/{d}/posts?page=2"
                 f"&page_size=50", bearer),
    ]
    # Requests run outside any app context of ours, so each gets its own (and its own g).
    client = app.test_client(use_cookies=False)  # each scenario brings its own cookie
    with app.app_context():
        engine = db.engine
    for scenario in scenarios:
        scenario.size, scenario.statements = _measure(client, engine, scenario.path,
                                                      scenario.headers)
    page = client.get(f"/posts/{hot50}", headers=as_student).get_data()
    (workdir / "page.html").write_bytes(page)
    writes = Scenario("API create reply, 16 writers, one thread",
                      f"/api/v1/posts/{hot50}/replies", {**bearer}, HERE / "reply.lua",
                      size=0, statements=None)
    scenarios.append(writes)

    def check_writes() -> str:
        with app.app_context():
            rows = db.session.execute(select(Reply.id, Reply.parent_id, Reply.path)
                                      .where(Reply.post_id == hot50)).all()
            paths = {rid: path for rid, _, path in rows}
            broken = sum(1 for rid, parent, path in rows
                         if (parent and not path.startswith(paths[parent])) or not path)
            unique = len(set(paths.values())) == len(paths)
            db.engine.dispose()
        return (f"{len(rows) - before} replies written; paths unique: {unique}; "
                f"broken paths: {broken}")

    def restore() -> int:
        """Take back what the write scenario added to the 50-reply thread and settle the
        database; returns the number of replies it holds."""
        with app.app_context():
            # Below the ORM on purpose: the app never removes replies (its guard refuses
            # that); a fresh server after this keeps no thread rendered before. The spam
            # filter's verdicts on those replies (and their log lines), their events and
            # the notifications made of them go first.
            from forum.models import Event, ModerationEntry, Notification, SpamCheck

            written = select(Reply.id).where(Reply.post_id == hot50, Reply.id > last_reply)
            told = select(Event.id).where(Event.reply_id.in_(written))
            db.session.connection().execute(delete(Notification).where(
                Notification.event_id.in_(told)))
            for model in (Event, SpamCheck, ModerationEntry):
                db.session.connection().execute(delete(model).where(
                    model.reply_id.in_(written)))
            db.session.connection().execute(delete(Reply).where(
                Reply.post_id == hot50, Reply.id > last_reply))
            db.session.commit()
            for size, post_id in made.hot_posts.items():
                count = db.session.scalar(select(func.count()).where(Reply.post_id == post_id))
                if count != size:
                    raise RuntimeError(f"post {post_id} has {count} replies, not {size}")
            replies = db.session.scalar(select(func.count()).select_from(Reply))
            _settle()
            db.engine.dispose()
        return replies

    def grow(total: int) -> Grown:
        """Add a new course with the generator until the database holds `total` replies;
        the two measured threads keep their 50 and 500 replies."""
        with app.app_context():
            current = db.session.scalar(select(func.count()).select_from(Reply))
            # The generator always writes its own two hot threads: never ask for fewer.
            needed = max(total - current, sum(HOT_THREADS))
            per_discussion = args.posts_per_discussion
            discussions = max(1, math.ceil(needed / (100 * per_discussion)))  # ~100 a post
            started = time.perf_counter()
            with click.progressbar(length=args.students + discussions * per_discussion
                                   + needed, label=f"Growing to {current + needed:,} replies",
                                   file=sys.stderr) as bar:
                generate(args.students, discussions, per_discussion, needed, seed=2,
                         progress=bar.update)
            seconds = time.perf_counter() - started
            after = db.session.scalar(select(func.count()).select_from(Reply))
            for size, post_id in made.hot_posts.items():
                count = db.session.scalar(select(func.count()).where(Reply.post_id == post_id))
                if count != size:
                    raise RuntimeError(f"post {post_id} has {count} replies, not {size}")
            started = time.perf_counter()
            _settle()
            settle_seconds = time.perf_counter() - started
        # Outside our app context, as in prepare: each request gets its own session.
        size, statements = _measure(client, engine, f"/posts/{hot50}", as_student)
        with app.app_context():
            db.engine.dispose()
        return Grown(current, after, seconds, settle_seconds, size, statements)

    def told_after(wait_seconds: float) -> str:
        """How long after each reply the write scenario made its notifications were
        there to see (the worker's work): waits for the worker to catch up first."""
        from forum.models import Event, Notification

        with app.app_context():
            deadline = time.monotonic() + wait_seconds
            while db.session.scalar(select(func.count()).select_from(Event).where(
                    Event.processed_at.is_(None))) and time.monotonic() < deadline:
                db.session.rollback()
                time.sleep(0.5)
            rows = db.session.execute(
                select(Notification.created_at, Reply.created_at)
                .join(Event, Event.id == Notification.event_id)
                .join(Reply, Reply.id == Event.reply_id)
                .where(Reply.post_id == hot50, Reply.id > last_reply)).all()
            waiting = db.session.scalar(select(func.count()).select_from(Event).where(
                Event.processed_at.is_(None)))
            db.engine.dispose()
        delays = sorted((told - written).total_seconds() * 1000 for told, written in rows)
        if not delays:
            return f"no notification made ({waiting} events waiting)"
        p50 = delays[len(delays) // 2]
        p99 = delays[min(len(delays) - 1, int(len(delays) * 0.99))]
        return (f"{len(delays)} notifications; p50 {p50:.0f} ms, p99 {p99:.0f} ms after "
                f"the reply was written; {waiting} events still waiting")

    return Plan(scenarios, len(page), check_writes, restore, grow, told_after)


def _settle() -> None:
    """After a bulk load, do now what the database would do on its own during the next
    measurement: PostgreSQL's autovacuum and planner statistics, SQLite's WAL checkpoint."""
    from forum.extensions import db

    engine = db.engine
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("VACUUM ANALYZE"))
        else:
            connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


def _measure(client, engine, path: str, headers: dict) -> tuple[int, int]:
    statements = []

    def record(*_args):
        statements.append(1)

    client.get(path, headers=headers)
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(path, headers=headers)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200, (path, response.status_code)
    return len(response.get_data()), len(statements)
