"""Build the benchmark database and the scenarios to drive, in-process."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import event, func, select

HERE = Path(__file__).resolve().parent


@dataclass
class Scenario:
    name: str
    path: str
    headers: dict = field(default_factory=dict)
    script: Path | None = None
    size: int = 0
    statements: int | None = None


@dataclass
class Plan:
    scenarios: list[Scenario]
    baseline_size: int
    check_writes: object


def prepare(url: str, secret: str, args, workdir: Path) -> Plan:
    import flask_migrate

    from forum import create_app
    from forum.benchdata import PASSWORD, generate
    from forum.extensions import db
    from forum.models import Reply, User
    from forum.services.tokens import create_token

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret,
                      "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        flask_migrate.upgrade()
        made = generate(args.students, args.discussions, args.posts_per_discussion,
                        args.replies)
        student = db.session.scalar(select(User).where(User.email == made.student_email))
        bearer = {"Authorization": f"Bearer {create_token(student, 'bench')[1]}"}
        hot50, hot500 = made.hot_posts[50], made.hot_posts[500]
        before = db.session.scalar(select(func.count()).where(Reply.post_id == hot50))

    def cookie_for(email: str) -> dict:
        client = app.test_client()
        client.post("/login", data={"email": email, "password": PASSWORD})
        return {"Cookie": f"session={client.get_cookie('session').value}"}

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

    return Plan(scenarios, len(page), check_writes)


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
