"""The worker for real: `flask --app forum worker` in its own process, on a SQLite queue
(and on Redis, with two consumers), mailing through a real SMTP server on loopback
(aiosmtpd). A reply tells its post's author in the app and by mail; mail survives the
SMTP server going away; a thread's news is gathered; digests come at the chosen hour;
each notification is mailed once however many workers there are."""

from __future__ import annotations

import email
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from forum.config import mail_config
from forum.extensions import db
from forum.models import Delivery, MailMessage, MailState, Notification, Preference, User
from forum.services import subscriptions
from tests.conftest import redis_test_url

SECRET = "test-secret"
WAIT = 20  # seconds: a worker polls its queue at least twice a second


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """What the SMTP server received."""

    def __init__(self):
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m["To"] == address]


class SmtpSink:
    def __init__(self):
        self.inbox = Inbox()
        self.port = free_port()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def queue_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'queue.db'}"


@pytest.fixture
def app_config(smtp, queue_url) -> dict:
    return {"FORUM_QUEUE_URL": queue_url, "SECRET_KEY": SECRET,
            **mail_config(f"smtp://127.0.0.1:{smtp.port}"),
            "FORUM_MAIL_THREAD_GAP_SECONDS": 3, "FORUM_MAIL_RETRY_SECONDS": 1}


def start_worker(database_url: str, queue_url: str, smtp_port: int, tmp_path) -> subprocess.Popen:
    env = {**os.environ, "FORUM_DATABASE_URL": database_url, "FORUM_QUEUE_URL": queue_url,
           "FORUM_MAIL_URL": f"smtp://127.0.0.1:{smtp_port}", "FORUM_SECRET_KEY": SECRET,
           "FORUM_MAIL_THREAD_GAP_SECONDS": "3", "FORUM_MAIL_RETRY_SECONDS": "1",
           "FORUM_BASE_URL": "http://forum.test"}
    log = open(tmp_path / f"worker-{time.monotonic_ns()}.log", "w")  # noqa: SIM115
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "forum", "worker"],
                               env=env, stdout=log, stderr=subprocess.STDOUT)
    process.log = log  # type: ignore[attr-defined]
    return process


def stop_worker(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    process.log.close()  # type: ignore[attr-defined]


@pytest.fixture
def worker(app, database_url, queue_url, smtp, tmp_path) -> Iterator[subprocess.Popen]:
    process = start_worker(database_url, queue_url, smtp.port, tmp_path)
    yield process
    stop_worker(process)


def eventually(check, timeout: float = WAIT):
    """Poll until `check()` is truthy; its value, or the failure after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()  # see what the worker committed
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def mails_to(smtp: SmtpSink, user: User) -> list[Message]:
    return smtp.inbox.to(user.email)


def parts(message: Message) -> dict[str, str]:
    return {part.get_content_type(): part.get_payload(decode=True).decode()
            for part in message.walk() if not part.is_multipart()}


def test_a_reply_reaches_the_bell_at_once_and_the_inbox_within_seconds(
        world, worker, smtp, api, client):
    api.post(world.classmate, f"/api/v1/posts/{world.post.id}/replies",
             json={"body": "Was it harsh for Germany alone?"})
    listed = eventually(lambda: [n for n in api.get(
        world.student, "/api/v1/notifications").get_json() if "harsh" in n["excerpt"]])
    assert listed and listed[0]["text"].startswith(world.classmate.display_name)
    mails = eventually(lambda: [m for m in mails_to(smtp, world.student)
                                if "Germany alone" in parts(m)["text/plain"]])
    assert len(mails) == 1
    mail = mails[0]
    body = parts(mail)
    assert "text/html" in body and "Was it harsh for Germany alone?" in body["text/html"]
    assert f"http://forum.test/posts/{world.post.id}#reply-" in body["text/plain"]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = "".join(mail["List-Unsubscribe"].split()).strip("<>")  # unfolded
    assert link.startswith("http://forum.test/unsubscribe/")
    # One click, no login: no more mail of this kind.
    assert client.post(link.removeprefix("http://forum.test"),
                       data={"List-Unsubscribe": "One-Click"}).status_code == 200
    choice = db.session.get(Preference, (world.student.id, "reply_created"))
    assert choice.delivery is Delivery.NEVER
    assert world.classmate.email not in [m["To"] for m in smtp.inbox.messages]


def test_mail_waits_while_smtp_is_down_and_goes_once_when_it_is_back(
        world, worker, smtp, make):
    smtp.stop()
    make.reply(world.post, world.classmate, body="Sent while the mail server was down.")
    failed = eventually(lambda: db.session.scalar(select(MailMessage).where(
        MailMessage.user_id == world.student.id, MailMessage.attempts >= 2)))
    assert failed is not None and failed.state in (MailState.QUEUED, MailState.SENDING)
    assert failed.last_error
    smtp.start()
    sent = eventually(lambda: [m for m in mails_to(smtp, world.student)
                               if "mail server was down" in parts(m)["text/plain"]])
    assert len(sent) == 1
    time.sleep(3)  # any second sending would have come by now
    assert len([m for m in mails_to(smtp, world.student)
                if "mail server was down" in parts(m)["text/plain"]]) == 1


def test_a_busy_thread_gathers_its_news_into_few_mails(world, worker, smtp, make):
    for number in range(4):
        make.reply(world.post, world.classmate, body=f"Thought number {number}.")
    eventually(lambda: db.session.scalar(select(db.func.count()).select_from(Notification).where(
        Notification.user_id == world.student.id, Notification.kind == "reply_created")) == 5)
    texts = eventually(lambda: (lambda got: got if "Thought number 3" in got else None)(
        "".join(parts(m)["text/plain"] for m in mails_to(smtp, world.student))), timeout=30)
    assert texts, "every reply is mailed in the end"
    assert len(mails_to(smtp, world.student)) <= 2  # the first at once, the rest together


def test_the_digest_comes_at_the_chosen_hour_with_the_days_news(world, worker, smtp, make,
                                                               app):
    from forum.models import utcnow
    from forum.worker import tasks, use_queue

    subscriptions.set_choices(world.student, deliveries={"reply_created": "digest",
                                                         "prompt_asked": "digest"},
                              timezone="Asia/Tokyo",
                              digest_hour=(utcnow().hour + 9) % 24)  # this hour, in Tokyo
    make.reply(world.post, world.classmate, body="For the digest.")
    eventually(lambda: db.session.scalar(select(Notification).where(
        Notification.user_id == world.student.id, Notification.delivery == Delivery.DIGEST)))
    use_queue(app.config["FORUM_QUEUE_URL"])
    tasks.sweep()  # what the worker does every minute, queued now
    digest = eventually(lambda: [m for m in mails_to(smtp, world.student)
                                 if "digest" in m["Subject"].lower()])
    assert len(digest) == 1
    text = parts(digest[0])["text/plain"]
    assert "== Europe between the Wars ==" in text and "For the digest." in text
    tasks.sweep()  # a second sweep that day sends nothing more
    time.sleep(2)
    assert len([m for m in mails_to(smtp, world.student)
                if "digest" in m["Subject"].lower()]) == 1


REDIS_UP = True
try:
    socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
except OSError:
    REDIS_UP = False


@pytest.mark.skipif(not REDIS_UP, reason="no Redis on 127.0.0.1:6379")
class TestOnRedis:
    URL = redis_test_url(11)

    @pytest.fixture
    def queue_url(self) -> str:
        import redis

        with redis.Redis.from_url(self.URL) as connection:
            connection.flushdb()
        return self.URL

    def test_two_consumers_mail_each_notification_once(self, world, make, smtp, app,
                                                       database_url, tmp_path):
        from forum.services import notifying

        app.config["FORUM_MAIL_ENABLED"] = False  # the world's own news: told, not mailed
        notifying.process_events()
        app.config["FORUM_MAIL_ENABLED"] = True
        workers = [start_worker(database_url, self.URL, smtp.port, tmp_path) for _ in range(2)]
        try:
            readers = [make.member(world.course, "student", f"Reader {n}") for n in range(6)]
            for reader in readers:
                subscriptions.set_subscription(reader, world.discussion, "follow")
            make.reply(world.post, world.classmate, body="One reply, seven people told.")
            expected = {world.student.email, *(r.email for r in readers)}
            got = eventually(lambda: expected <= {m["To"] for m in smtp.inbox.messages})
            assert got
            time.sleep(2)
            addressed = [m["To"] for m in smtp.inbox.messages]
            assert sorted(addressed) == sorted(expected)  # once each
        finally:
            for process in workers:
                stop_worker(process)


def test_without_mail_the_app_still_tells_and_plans_no_mail(world, make, app):
    """Without FORUM_MAIL_URL the worker still notifies in the app and plans no mail."""
    from forum.services import notifying

    app.config["FORUM_MAIL_ENABLED"] = False
    make.reply(world.post, world.classmate)
    notifying.process_events()
    assert db.session.scalar(select(db.func.count()).select_from(MailMessage)) == 0
    assert db.session.scalar(select(Notification).where(
        Notification.user_id == world.student.id)) is not None

