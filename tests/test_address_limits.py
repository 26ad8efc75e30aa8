"""Limits per address: registrations are capped, and the address is the client's, told
by a configured number of trusted proxies and never by a header the client wrote."""

from __future__ import annotations

import pytest
from flask import request
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import User


def _users() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def _register(client, n: int, address: str = "203.0.113.5"):
    return client.post("/register", data={
        "display_name": f"Newcomer {n}", "email": f"newcomer{n}@example.edu",
        "password": f"long enough secret {n}"}, environ_base={"REMOTE_ADDR": address})


class TestRegistration:
    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True}  # the default FORUM_LIMIT_REGISTER: 10/hour

    def test_ten_accounts_an_hour_from_one_address_then_the_form_comes_back(self, client):
        statuses = [_register(client, n).status_code for n in range(10)]
        assert statuses == [302] * 10
        response = _register(client, 10)
        assert response.status_code == 429
        page = response.get_data(as_text=True)
        assert "Too many accounts were created from your address" in page
        assert 'value="Newcomer 10"' in page and 'value="newcomer10@example.edu"' in page
        assert "long enough secret" not in page
        assert int(response.headers["Retry-After"]) > 0
        assert _users() == 10
        assert _register(client, 11, address="198.51.100.20").status_code == 302

    def test_a_form_sent_back_for_corrections_does_not_count(self, client):
        for _ in range(12):
            bad = client.post("/register", data={"display_name": "Typo", "email": "nope",
                                                 "password": "x"},
                              environ_base={"REMOTE_ADDR": "203.0.113.6"})
            assert bad.status_code == 422
        assert _register(client, 1, address="203.0.113.6").status_code == 302


LOGIN_LIMITS = {"RATELIMIT_ENABLED": True, "FORUM_LIMIT_LOGIN": "3/minute",
                "FORUM_LIMIT_LOGIN_PER_ACCOUNT": "100/minute"}
PROXY = {"REMOTE_ADDR": "10.0.0.2"}


def _login(client, world, forwarded_for: str | None):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.post("/login", data={"email": world.student.email, "password": "wrong one"},
                       headers=headers, environ_base=PROXY).status_code


class TestWithoutTrustedProxies:
    @pytest.fixture
    def app_config(self):
        return LOGIN_LIMITS  # FORUM_TRUSTED_PROXIES defaults to 0

    def test_a_client_cannot_dodge_the_limit_by_varying_x_forwarded_for(self, world, client):
        statuses = [_login(client, world, f"192.0.2.{n}") for n in range(5)]
        assert statuses == [422, 422, 422, 429, 429]


class TestBehindOneProxy:
    @pytest.fixture
    def app_config(self):
        return {**LOGIN_LIMITS, "FORUM_TRUSTED_PROXIES": 1}

    def test_two_clients_behind_the_proxy_are_limited_separately(self, world, client):
        first = [_login(client, world, "198.51.100.1") for _ in range(4)]
        second = [_login(client, world, "198.51.100.2") for _ in range(3)]
        assert first == [422, 422, 422, 429]
        assert second == [422, 422, 422]

    def test_a_forged_extra_hop_is_not_trusted(self, world, client):
        # The client sends its own X-Forwarded-For; the proxy appends the real address.
        statuses = [_login(client, world, f"192.0.2.{n}, 198.51.100.3") for n in range(5)]
        assert statuses == [422, 422, 422, 429, 429]

    def test_the_scheme_is_the_proxys_but_the_host_is_not_taken_from_a_header(self, app,
                                                                              client):
        app.add_url_rule("/test-only/where", view_func=lambda: f"{request.scheme} {request.host}")
        response = client.get("/test-only/where", headers={
            "X-Forwarded-For": "198.51.100.4", "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "evil.example"}, environ_base=PROXY)
        assert response.get_data(as_text=True) == "https localhost"
