"""Two app hosts behave as one: two gunicorns (the repository's gunicorn.conf.py, on two
ports, standing for two machines) share one database, one Redis (rate limits, rendered
threads, the task queue), one uploads directory and one secret key, and one
`flask --app forum worker` consumes the queue for both. Checked over real HTTP: a login
made on one host is signed in on the other (and a password changed on one ends the
other sessions on both), a rate limit counts requests to both, a write on one shows at
once in the page the other serves, an image uploaded through one is served by the
other, and the event of a write through one becomes a notification.

On the PostgreSQL run (FORUM_TEST_DATABASE_URL) the hosts share that database; on the
SQLite run, one SQLite file (both "hosts" are on this machine)."""

from __future__ import annotations

import io
import shutil
import socket
import time
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from PIL import Image

from forum import create_app
from forum.extensions import db
from forum.models import Role
from forum.services.tokens import create_token
from tests.conftest import TEST_DATABASE_URL, _empty_tables, _test_config, redis_test_url
from tests.factories import PASSWORD, Factory
from tests.servers import (
    Browser,
    csrf_token,
    forum_environment,
    free_port,
    start_gunicorn,
    start_worker,
    wait_until_serving,
)

SECRET = "two-hosts-secret"
WRITES_PER_MINUTE = 4  # FORUM_LIMIT_WRITES for the hosts: small, so a test can pass it
WAIT = 20  # seconds for the worker; it polls its queue at least twice a second


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


pytestmark = pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    import redis

    url = redis_test_url(10)
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


@pytest.fixture(scope="module")
def shared_database(tmp_path_factory, _postgres_schema, _sqlite_schema) -> str:
    """The one database both hosts use: the PostgreSQL test database, or a SQLite file."""
    if TEST_DATABASE_URL:
        return TEST_DATABASE_URL
    path = tmp_path_factory.mktemp("two-hosts-db") / "forum.db"
    shutil.copyfile(_sqlite_schema, path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="module")
def people(shared_database) -> SimpleNamespace:
    """A private course: its instructor, a student with a post, two classmates who
    answer it, a student whose writes meet the rate limit, one who changes their
    password; tokens (each test writes with its own: the write limit is per token)."""
    app = create_app(_test_config(shared_database))
    with app.app_context():
        if TEST_DATABASE_URL:
            _empty_tables()
        make = Factory()
        course = make.course(title="Two hosts, one forum")
        instructor = make.member(course, Role.INSTRUCTOR, "Dr. Okafor")
        author = make.member(course, Role.STUDENT, "Ana Lindqvist")
        classmate = make.member(course, Role.STUDENT, "Ben Carter")
        hurried = make.member(course, Role.STUDENT, "Hasty Harper")
        mover = make.member(course, Role.STUDENT, "Pat Moreau")
        neighbour = make.member(course, Role.STUDENT, "Chloe Dubois")
        discussion = make.discussion(course, created_by_id=instructor.id)
        post = make.post(discussion, author, title="Harsh in tone",
                         body="The treaty was harsh in tone. Its terms were moderate.")
        world = SimpleNamespace(
            post_id=post.id, author_email=author.email, author_name=author.display_name,
            author_token=create_token(author, "two hosts")[1],
            classmate_token=create_token(classmate, "two hosts")[1],
            hurried_token=create_token(hurried, "two hosts")[1], mover_email=mover.email,
            neighbour_token=create_token(neighbour, "two hosts")[1],
            neighbour_name=neighbour.display_name)
        db.session.remove()
        db.engine.dispose()
    return world


@pytest.fixture(scope="module")
def hosts(people, shared_database, redis_url, tmp_path_factory) -> Iterator[SimpleNamespace]:
    """Two gunicorns (2 workers each) and one worker, everything shared; each started
    in a process group of its own and stopped with it, whatever the tests did."""
    logs = tmp_path_factory.mktemp("two-hosts-logs")
    uploads = tmp_path_factory.mktemp("two-hosts-uploads")
    env = forum_environment(
        FORUM_DATABASE_URL=shared_database, FORUM_SECRET_KEY=SECRET,
        FORUM_RATELIMIT_ENABLED="1", FORUM_RATELIMIT_STORAGE_URI=redis_url,
        FORUM_CACHE_URL=redis_url, FORUM_QUEUE_URL=redis_url,
        FORUM_UPLOADS_DIR=str(uploads), FORUM_LIMIT_WRITES=f"{WRITES_PER_MINUTE}/minute",
        # Replies are not held for the spam filter's review here: they must show at once.
        FORUM_SCORE_FIRST_REPLIES="0", FORUM_NEW_ACCOUNT_HOURS="0")
    ports = free_port(), free_port()
    started = []
    try:
        for name, port in zip(("host-a", "host-b"), ports, strict=True):
            started.append(start_gunicorn(name, port, env, logs))
        started.append(start_worker("worker", env, logs))
        for server, port in zip(started[:2], ports, strict=True):  # the gunicorns
            wait_until_serving(server, port)
        yield SimpleNamespace(a=f"http://127.0.0.1:{ports[0]}",
                              b=f"http://127.0.0.1:{ports[1]}", uploads=uploads,
                              processes=started)
    finally:
        for process in started:
            process.stop()


@pytest.fixture
def logs_on_failure(hosts):
    """Each process's last lines, printed after the test (pytest shows them when it
    failed)."""
    yield
    for process in hosts.processes:
        print(f"--- {process.name}\n{process.log_tail()}")


def eventually(check, timeout: float = WAIT):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (48, 32), (20, 120, 130)).save(out, format="PNG")
    return out.getvalue()


def test_a_login_on_one_host_is_signed_in_on_the_other(hosts, people, logs_on_failure):
    browser = Browser()
    login = browser.log_in(hosts.a, people.author_email, PASSWORD)
    assert login.status == 302, login.text
    assert not login.headers["Location"].endswith("/login")
    dashboard = browser.get(f"{hosts.b}/")
    assert dashboard.status == 200
    assert people.author_name in dashboard.text and "Log out" in dashboard.text
    # A form shown by one host is taken by the other: the CSRF token is the session's.
    page = browser.get(f"{hosts.a}/posts/{people.post_id}")
    sent = browser.post_form(f"{hosts.b}/posts/{people.post_id}/replies",
                             {"csrf_token": csrf_token(page.text),
                              "body": "Answered through host B."})
    assert sent.status == 302, sent.text
    assert "Answered through host B." in browser.get(f"{hosts.a}/posts/{people.post_id}").text


def test_a_password_changed_on_one_host_ends_the_other_sessions_on_both(hosts, people,
                                                                        logs_on_failure):
    laptop, phone = Browser(), Browser()
    assert laptop.log_in(hosts.a, people.mover_email, PASSWORD).status == 302
    assert phone.log_in(hosts.b, people.mover_email, PASSWORD).status == 302
    form = phone.get(f"{hosts.b}/account/password")
    changed = phone.post_form(f"{hosts.b}/account/password", {
        "csrf_token": csrf_token(form.text), "current_password": PASSWORD,
        "new_password": "a brand new passphrase"})
    assert changed.status == 302, changed.text
    for host in (hosts.a, hosts.b):
        assert laptop.get(f"{host}/posts/{people.post_id}").status == 302  # to the login
        assert phone.get(f"{host}/posts/{people.post_id}").status == 200


def test_a_rate_limit_counts_requests_to_both_hosts(hosts, people, logs_on_failure):
    browser = Browser()
    statuses = []
    for number in range(WRITES_PER_MINUTE + 1):
        host = (hosts.a, hosts.b)[number % 2]
        answer = browser.post_json(f"{host}/api/v1/posts/{people.post_id}/replies",
                                   {"body": f"In a hurry, number {number}."},
                                   token=people.hurried_token)
        statuses.append(answer.status)
    # Counted per host, each would have let all of them through.
    assert statuses == [201] * WRITES_PER_MINUTE + [429]
    assert int(answer.headers["Retry-After"]) > 0
    assert answer.json()["code"] == 429


def test_a_write_on_one_host_shows_at_once_on_the_others_page(hosts, people, redis_url,
                                                              logs_on_failure):
    import redis

    reader = Browser()
    assert reader.log_in(hosts.b, people.author_email, PASSWORD).status == 302
    before = reader.get(f"{hosts.b}/posts/{people.post_id}")
    assert before.status == 200 and "Harsh in tone" in before.text
    # The thread was rendered into the shared cache, not into one worker's memory.
    with redis.Redis.from_url(redis_url) as shared:
        assert shared.keys("forum:*")
    for round_ in range(3):  # each time, whichever worker of B answers shows it
        body = f"Written through host A, round {round_}."
        created = Browser().post_json(f"{hosts.a}/api/v1/posts/{people.post_id}/replies",
                                      {"body": body}, token=people.classmate_token)
        assert created.status == 201, created.text
        for _ in range(2):
            page = reader.get(f"{hosts.b}/posts/{people.post_id}")
            assert page.status == 200 and body in page.text
        thread = Browser().get(f"{hosts.b}/api/v1/posts/{people.post_id}/thread",
                               headers={"Authorization": f"Bearer {people.author_token}"})
        assert body in thread.text


def test_an_image_uploaded_through_one_host_is_served_by_the_other(hosts, people,
                                                                   logs_on_failure):
    uploaded = Browser().post_file(f"{hosts.a}/api/v1/images", "file", "photo.png", png(),
                                   "image/png", token=people.author_token,
                                   fields={"alt": "A teal square"})
    assert uploaded.status == 201, uploaded.text
    path = uploaded.json()["url"].removeprefix(hosts.a)
    assert path.startswith("/images/")
    owner = Browser()  # until a post takes it, the upload is its uploader's alone
    assert owner.log_in(hosts.b, people.author_email, PASSWORD).status == 302
    from_b = owner.get(f"{hosts.b}{path}")
    assert from_b.status == 200 and from_b.headers["Content-Type"] == "image/png"
    assert from_b.body == owner.get(f"{hosts.a}{path}").body
    assert Image.open(io.BytesIO(from_b.body)).size == (48, 32)
    assert Browser().get(f"{hosts.b}{path}").status == 404  # and nobody else's


def test_a_write_through_one_host_is_notified_by_the_one_worker(hosts, people,
                                                                logs_on_failure):
    body = "Did host A tell the worker about this?"
    created = Browser().post_json(f"{hosts.a}/api/v1/posts/{people.post_id}/replies",
                                  {"body": body}, token=people.neighbour_token)
    assert created.status == 201, created.text

    def told():
        answer = Browser().get(f"{hosts.b}/api/v1/notifications?page_size=100",
                               headers={"Authorization": f"Bearer {people.author_token}"})
        assert answer.status == 200, answer.text
        return [n for n in answer.json() if "host A tell the worker" in n["excerpt"]]

    notified = eventually(told)
    assert len(notified) == 1, "the post's author is told, once"
    assert notified[0]["text"].startswith(people.neighbour_name)
    assert notified[0]["reply_id"] == created.json()["id"]
