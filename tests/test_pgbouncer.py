"""The forum through PgBouncer in transaction pooling (PostgreSQL run only).

The test starts its own pgbouncer on a loopback port, in front of the test database,
for a role of its own whose statement timeout, lock timeout and jit=off are set on the
role (`ALTER ROLE … IN DATABASE … SET`), since under FORUM_DB_POOLER=pgbouncer the app
sends no startup options (PgBouncer refuses them). Through it, a real gunicorn
(gunicorn.conf.py) and a real worker serve pages and take API writes from several
clients at once: enough statements that prepared ones would have been tried and
clashed on shared server connections.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from forum import create_app
from forum.extensions import db
from forum.models import Role
from forum.services.tokens import create_token
from tests.conftest import TEST_DATABASE_URL, _empty_tables, _test_config
from tests.factories import PASSWORD, Factory
from tests.servers import (
    Browser,
    Started,
    forum_environment,
    free_port,
    start,
    start_gunicorn,
    start_worker,
    wait_until_serving,
)

pytestmark = [
    pytest.mark.skipif(not TEST_DATABASE_URL, reason="PostgreSQL run only "
                                                     "(FORUM_TEST_DATABASE_URL)"),
    pytest.mark.skipif(shutil.which("pgbouncer") is None,
                       reason="no pgbouncer (apt-get install pgbouncer)"),
]

# What the role carries in place of the app's startup options (forum/config.py).
ROLE_SETTINGS = {"statement_timeout": "10s", "lock_timeout": "1s", "jit": "off"}
CLIENTS = 6  # concurrent HTTP clients
ROUNDS = 8  # requests of each kind per client: 5 kinds → 240 requests
WAIT = 20


@pytest.fixture(scope="module")
def admin_engine(_postgres_schema) -> Iterator:
    """The test database as its owner, outside PgBouncer, for setting up and checking."""
    engine = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def people(admin_engine) -> SimpleNamespace:
    """A course with a post, its author, classmates who answer it; tokens."""
    app = create_app(_test_config(TEST_DATABASE_URL))
    with app.app_context():
        _empty_tables()
        make = Factory()
        course = make.course(title="Through the pooler")
        instructor = make.member(course, Role.INSTRUCTOR, "Dr. Okafor")
        author = make.member(course, Role.STUDENT, "Ana Lindqvist")
        discussion = make.discussion(course, created_by_id=instructor.id)
        post = make.post(discussion, author, title="Harsh in tone",
                         body="The treaty was harsh in tone. Its terms were moderate.")
        classmates = [make.member(course, Role.STUDENT, f"Classmate {n}")
                      for n in range(CLIENTS)]
        world = SimpleNamespace(
            post_id=post.id, discussion_id=discussion.id, author_email=author.email,
            author_token=create_token(author, "pooled")[1],
            tokens=[create_token(c, "pooled")[1] for c in classmates])
        db.session.remove()
        db.engine.dispose()
    return world


@pytest.fixture(scope="module")
def app_role(admin_engine, people) -> Iterator[SimpleNamespace]:
    """A login role for the app, as production would have, with the deadlines and
    jit=off set on it for this database; dropped afterwards."""
    name = f"forum_pooled_{os.getpid()}"
    password = secrets.token_hex(16)
    database = make_url(TEST_DATABASE_URL).database
    with admin_engine.connect() as connection:
        connection.execute(text(f"CREATE ROLE {name} LOGIN PASSWORD '{password}'"))
        for setting, value in ROLE_SETTINGS.items():
            connection.execute(text(
                f'ALTER ROLE {name} IN DATABASE "{database}" SET {setting} = \'{value}\''))
        connection.execute(text(f"GRANT USAGE ON SCHEMA public TO {name}"))
        connection.execute(text(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {name}"))
        connection.execute(text(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {name}"))
    try:
        yield SimpleNamespace(name=name, password=password, database=database)
    finally:
        with admin_engine.connect() as connection:
            connection.execute(text(f"DROP OWNED BY {name}"))  # its grants here
            connection.execute(text(f"DROP ROLE {name}"))


def _postgres_user() -> tuple[int, int] | None:
    """pgbouncer refuses to run as root: run it as the postgres user when we are root."""
    if os.geteuid() != 0:
        return None
    entry = pwd.getpwnam("postgres")
    return entry.pw_uid, entry.pw_gid


@pytest.fixture(scope="module")
def bouncer(app_role) -> Iterator[SimpleNamespace]:
    """pgbouncer in transaction pooling on a free loopback port, two server connections
    for every client, the app's role authenticated from a file of its own."""
    server = make_url(TEST_DATABASE_URL)
    port = free_port()
    folder = Path(tempfile.mkdtemp(prefix="forum-pgbouncer-"))
    (folder / "userlist.txt").write_text(f'"{app_role.name}" "{app_role.password}"\n')
    (folder / "pgbouncer.ini").write_text(f"""\
[databases]
forum = host={server.host or "127.0.0.1"} port={server.port or 5432} dbname={app_role.database}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = scram-sha-256
auth_file = {folder / "userlist.txt"}
pool_mode = transaction
default_pool_size = 2
max_client_conn = 100
query_wait_timeout = 15
pidfile =
logfile =
""")
    command = ["pgbouncer", str(folder / "pgbouncer.ini")]
    owner = _postgres_user()
    if owner is not None:
        for path in (folder, *folder.iterdir()):
            os.chown(path, *owner)
        command = ["runuser", "-u", "postgres", "--", *command]
    (folder / "userlist.txt").chmod(0o600)
    process = start("pgbouncer", command, forum_environment(), folder)
    try:
        _wait_for_port(process, port)
        yield SimpleNamespace(
            port=port, process=process,
            url=f"postgresql+psycopg://{app_role.name}:{app_role.password}"
                f"@127.0.0.1:{port}/forum")
    finally:
        process.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _wait_for_port(process: Started, port: int, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.process.poll() is not None:
            raise RuntimeError(f"pgbouncer exited:\n{process.log_tail()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"pgbouncer did not listen:\n{process.log_tail()}") from None
            time.sleep(0.05)


def pooled_app(bouncer, **settings):
    return create_app(_test_config(bouncer.url, FORUM_DB_POOLER="pgbouncer", **settings))


def test_without_the_pooler_setting_pgbouncer_refuses_the_apps_connections(bouncer):
    """Why FORUM_DB_POOLER=pgbouncer exists: the deadlines sent as startup options."""
    app = create_app(_test_config(bouncer.url))
    with app.app_context(), pytest.raises(OperationalError, match="unsupported startup"):
        try:
            db.session.execute(text("SELECT 1"))
        finally:
            db.session.remove()
            db.engine.dispose()


def test_the_roles_settings_stand_in_for_the_startup_options(bouncer):
    app = pooled_app(bouncer)
    with app.app_context():
        try:
            shown = {name: db.session.execute(text(f"SHOW {name}")).scalar_one()
                     for name in ROLE_SETTINGS}
        finally:
            db.session.remove()
            db.engine.dispose()
    assert shown == ROLE_SETTINGS


def test_prepared_statements_would_clash_on_shared_server_connections(bouncer):
    """The control for the load below: psycopg's prepared statements (after 5 runs of a
    statement; here at once) clash behind transaction pooling when two clients take
    turns on one server connection. It shows in autocommit, the way the app's reads run
    (forum/transactions.py); FORUM_DB_POOLER=pgbouncer turns preparing off."""
    engines = [create_engine(bouncer.url, isolation_level="AUTOCOMMIT",
                             connect_args={"prepare_threshold": 0}) for _ in range(2)]
    failures = []
    try:
        for n in range(6):
            try:
                with engines[n % 2].connect() as connection:
                    connection.execute(text("SELECT count(*) FROM posts WHERE id > :n"),
                                       {"n": n})
            except ProgrammingError as error:
                failures.append(str(error.orig))
    finally:
        for engine in engines:
            engine.dispose()
    assert failures and "prepared statement" in failures[0]


@pytest.fixture(scope="module")
def served(bouncer, tmp_path_factory) -> Iterator[SimpleNamespace]:
    """gunicorn (2 sync workers) and the worker, both through PgBouncer."""
    logs = tmp_path_factory.mktemp("pgbouncer-logs")
    env = forum_environment(
        FORUM_DATABASE_URL=bouncer.url, FORUM_DB_POOLER="pgbouncer",
        FORUM_SECRET_KEY="pooled-secret", FORUM_RATELIMIT_ENABLED="0",
        FORUM_QUEUE_URL=f"sqlite:///{logs / 'queue.db'}",
        FORUM_UPLOADS_DIR=str(logs / "uploads"),
        FORUM_SCORE_FIRST_REPLIES="0", FORUM_NEW_ACCOUNT_HOURS="0")
    port = free_port()
    started = []
    try:
        started.append(start_gunicorn("gunicorn", port, env, logs))
        started.append(start_worker("worker", env, logs))
        wait_until_serving(started[0], port)
        yield SimpleNamespace(base=f"http://127.0.0.1:{port}", processes=started)
    finally:
        for process in started:
            process.stop()
        for process in started:
            print(f"--- {process.name}\n{process.log_tail()}")


def test_pages_and_api_writes_through_pgbouncer(served, people, admin_engine):
    base, post = served.base, people.post_id
    reader = Browser()
    assert reader.log_in(base, people.author_email, PASSWORD).status == 302

    def client(number: int) -> list[tuple[str, int]]:
        token = people.tokens[number]
        bearer = {"Authorization": f"Bearer {token}"}
        seen = []
        for round_ in range(ROUNDS):
            answer = Browser().post_json(f"{base}/api/v1/posts/{post}/replies",
                                         {"body": f"Client {number}, round {round_}."},
                                         token=token)
            seen.append(("api write", answer.status))
            seen.append(("api thread", Browser().get(
                f"{base}/api/v1/posts/{post}/thread", headers=bearer).status))
            seen.append(("post page", reader.get(f"{base}/posts/{post}").status))
            seen.append(("discussion page", reader.get(
                f"{base}/discussions/{people.discussion_id}").status))
            seen.append(("dashboard", reader.get(f"{base}/").status))
        return seen

    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = [item for seen in pool.map(client, range(CLIENTS)) for item in seen]
    wanted = {"api write": 201}
    wrong = Counter((kind, status) for kind, status in answers
                    if status != wanted.get(kind, 200))
    assert not wrong, wrong
    assert len(answers) == CLIENTS * ROUNDS * 5
    with admin_engine.connect() as connection:
        stored = connection.execute(text(
            "SELECT count(*) FROM replies WHERE post_id = :post AND body LIKE 'Client %'"),
            {"post": post}).scalar_one()
    assert stored == CLIENTS * ROUNDS  # each acknowledged write once
    page = reader.get(f"{base}/posts/{post}")
    assert f"Client {CLIENTS - 1}, round {ROUNDS - 1}." in page.text

    # The worker, through the pooler too, told the post's author of those replies.
    def told() -> int:
        answer = Browser().get(f"{base}/api/v1/notifications/unread",
                               headers={"Authorization": f"Bearer {people.author_token}"})
        return answer.json()["unread"] if answer.status == 200 else 0

    deadline = time.monotonic() + WAIT
    while told() < 1 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert told() >= 1


def test_a_lock_held_past_the_roles_lock_timeout_is_answered_503(served, people,
                                                                  admin_engine):
    """The lock timeout set on the role holds through the pooler: a write waiting on a
    locked table is cancelled after a second and answered 503 with Retry-After."""
    url = f"{served.base}/api/v1/posts/{people.post_id}/replies"
    with admin_engine.connect() as locker:
        locker.execute(text("BEGIN"))
        locker.execute(text("LOCK TABLE replies IN ACCESS EXCLUSIVE MODE"))
        started = time.monotonic()
        answer = Browser().post_json(url, {"body": "Waiting on a lock."},
                                     token=people.tokens[0])
        waited = time.monotonic() - started
        locker.execute(text("ROLLBACK"))
    assert answer.status == 503, answer.text
    assert answer.headers.get("Retry-After") and answer.json()["code"] == 503
    assert 0.9 < waited < 5
    retried = Browser().post_json(url, {"body": "Waiting on a lock."}, token=people.tokens[0])
    assert retried.status == 201
