"""A forgotten password: the link goes out through the real worker and a real SMTP
server (aiosmtpd on loopback), works once within its hour, and asking never tells
whether an address has an account."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import MailMessage, User
from forum.services import password_reset
from tests.factories import PASSWORD
from tests.test_worker import (  # noqa: F401  (fixtures)
    app_config,
    eventually,
    parts,
    queue_url,
    smtp,
    worker,
)

NEW = "a brand new passphrase"
SUBJECT = "Set a new password for the course forum"


def _mails() -> int:
    return db.session.scalar(select(func.count()).select_from(MailMessage))


def _link_in(message) -> str:
    text = parts(message)["text/plain"]
    return re.search(r"http://forum\.test(/password/reset/\S+)", text).group(1)


def _logs_in(client, email: str, password: str) -> bool:
    return client.post("/login", data={"email": email, "password": password}
                       ).status_code == 302


def test_a_reset_link_arrives_by_mail_and_works_once(world, worker, smtp, client):  # noqa: F811
    student = world.student
    asked = client.post("/password/forgot", data={"email": student.email.upper()})
    assert asked.status_code == 200 and "Check your email" in asked.text
    (message,) = eventually(lambda: [m for m in smtp.inbox.to(student.email)
                                     if m["Subject"] == SUBJECT])
    link = _link_in(message)
    assert client.get(link).status_code == 200
    short = client.post(link, data={"new_password": "short"})
    assert short.status_code == 422 and "at least 8" in short.text.lower()
    done = client.post(link, data={"new_password": NEW})
    assert done.status_code == 302  # signed in, on the dashboard
    assert client.get("/").status_code == 200 and student.display_name in client.get("/").text
    fresh = client.application.test_client()
    assert _logs_in(fresh, student.email, NEW) and not _logs_in(
        client.application.test_client(), student.email, PASSWORD)
    # Spent: the same link again is refused and changes nothing.
    again = fresh.post(link, data={"new_password": "yet another passphrase"})
    assert again.status_code == 410 and "expired or was used already" in again.text
    assert _logs_in(client.application.test_client(), student.email, NEW)


def test_asking_never_tells_whether_an_address_has_an_account(world, client):
    known = client.post("/password/forgot", data={"email": world.student.email})
    unknown = client.post("/password/forgot", data={"email": "nobody@example.edu"})
    assert known.status_code == unknown.status_code == 200

    def said(response, email):
        return response.text.replace(email, "EMAIL")

    assert said(known, world.student.email) == said(unknown, "nobody@example.edu")
    assert _mails() == 1


def test_one_mail_per_account_in_five_minutes(world, client):
    for _ in range(3):
        client.post("/password/forgot", data={"email": world.student.email})
    assert _mails() == 1


def test_a_disabled_account_gets_no_link(world, client):
    world.student.is_disabled = True
    db.session.commit()
    client.post("/password/forgot", data={"email": world.student.email})
    assert _mails() == 0


@pytest.mark.parametrize("spoil", ["forged", "expired", "password changed", "disabled"])
def test_a_spoiled_link_is_refused(world, client, monkeypatch, spoil):
    student = world.student
    token = password_reset.reset_token(student)
    if spoil == "forged":
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    elif spoil == "expired":
        monkeypatch.setattr(password_reset, "TOKEN_AGE", timedelta(seconds=-1))
    elif spoil == "password changed":
        student.set_password("changed by its owner meanwhile")
        db.session.commit()
    else:
        student.is_disabled = True
        db.session.commit()
    hash_before = db.session.get(User, student.id).password_hash
    assert client.get(f"/password/reset/{token}").status_code == 410
    assert client.post(f"/password/reset/{token}",
                       data={"new_password": NEW}).status_code == 410
    db.session.expire_all()
    assert db.session.get(User, student.id).password_hash == hash_before


class TestWithoutMail:
    @pytest.fixture
    def app_config(self):
        return {}  # the tests' default: no mail server configured

    def test_the_page_says_to_ask_an_administrator(self, client):
        page = client.get("/password/forgot")
        assert page.status_code == 200 and "Ask its administrator" in page.text
        assert "<form" not in page.text.split("<main")[1].split("</main>")[0]
