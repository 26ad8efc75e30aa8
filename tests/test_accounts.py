"""Accounts: registering, logging in and out, passwords, sessions."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import ApiToken, User
from tests.factories import PASSWORD


def _users() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def test_register_creates_an_account_and_logs_in(client):
    response = client.post("/register", data={
        "display_name": "Chloé Martin", "email": "Chloe@Example.edu",
        "password": "a long enough passphrase"}, follow_redirects=True)
    assert response.status_code == 200
    assert "Welcome, Chloé Martin" in response.get_data(as_text=True)
    user = db.session.scalar(select(User))
    assert user.email == "chloe@example.edu"
    assert user.password_hash != "a long enough passphrase"
    assert user.check_password("a long enough passphrase")


@pytest.mark.parametrize(("field", "value", "message"), [
    ("password", "short", "at least 8 characters"),
    ("password", "x" * 129, "at most 128 characters"),
    ("password", "password123", "too common"),
    ("email", "not-an-email", "valid email"),
    ("display_name", "", "Display name is required"),
    ("display_name", "x" * 81, "at most 80 characters"),
])
def test_register_refuses_bad_input_and_writes_nothing(client, field, value, message):
    data = {"display_name": "Dev Patel", "email": "dev@example.edu",
            "password": "a long enough passphrase", field: value}
    response = client.post("/register", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _users() == 0


def test_a_64_character_password_is_accepted(client):
    response = client.post("/register", data={
        "display_name": "Emre", "email": "emre@example.edu", "password": "p" * 63 + "!"})
    assert response.status_code == 302


def test_email_already_taken(make, client):
    make.user(email="taken@example.edu")
    response = client.post("/register", data={
        "display_name": "X", "email": "TAKEN@example.edu", "password": "a long passphrase"})
    assert response.status_code == 422
    assert _users() == 1


def test_login_with_right_password(make, client):
    user = make.user("Fatima Haddad", email="fatima@example.edu")
    response = client.post("/login", data={"email": "fatima@example.edu", "password": PASSWORD})
    assert response.status_code == 302
    assert "Fatima Haddad" in client.get("/").get_data(as_text=True)
    assert user.is_authenticated


def test_wrong_password_and_unknown_account_get_the_same_answer(make, client):
    make.user(email="known@example.edu")
    wrong = client.post("/login", data={"email": "known@example.edu", "password": "nope nope"})
    unknown = client.post("/login", data={"email": "nobody@example.edu", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 422
    assert "Email or password is not correct." in wrong.get_data(as_text=True)
    assert "Email or password is not correct." in unknown.get_data(as_text=True)


def test_disabled_account_cannot_log_in_and_loses_its_session(make, client, login_as):
    user = make.user(email="gone@example.edu")
    login_as(user)
    assert client.get("/courses").status_code == 200
    user.is_disabled = True
    db.session.commit()
    assert client.get("/courses").status_code == 302
    response = client.post("/login", data={"email": "gone@example.edu", "password": PASSWORD})
    assert response.status_code == 422


@pytest.mark.parametrize(("target", "lands_on"), [
    ("/courses", "/courses"),
    ("https://evil.example/phish", "/"),
    ("//evil.example/phish", "/"),
    ("/\\evil.example", "/"),
    ("javascript:alert(1)", "/"),
])
def test_next_accepts_only_local_paths(make, client, target, lands_on):
    make.user(email="n@example.edu")
    response = client.post("/login", data={"email": "n@example.edu", "password": PASSWORD,
                                           "next": target})
    assert response.headers["Location"] == lands_on


def test_login_starts_a_new_session(make, client):
    make.user(email="s@example.edu")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    client.post("/login", data={"email": "s@example.edu", "password": PASSWORD})
    with client.session_transaction() as session:
        assert "planted" not in session


def test_logout_is_a_post_and_ends_the_session(make, client, login_as):
    login_as(make.user())
    assert client.get("/logout").status_code == 405
    client.post("/logout")
    assert client.get("/courses").status_code == 302


def test_change_password_needs_the_current_one_and_ends_other_sessions(make, app, login_as):
    user = make.user()
    other_device = app.test_client()
    with other_device.session_transaction() as session:
        session["_user_id"] = user.get_id()
    client = login_as(user)
    refused = client.post("/account/password", data={
        "current_password": "wrong one", "new_password": "brand new passphrase"})
    assert refused.status_code == 422
    db.session.refresh(user)
    assert user.check_password(PASSWORD)
    accepted = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "brand new passphrase"})
    assert accepted.status_code == 302
    db.session.refresh(user)
    assert user.check_password("brand new passphrase")
    assert client.get("/courses").status_code == 200
    assert other_device.get("/courses").status_code == 302


def test_session_cookie_is_httponly_and_samesite_lax(make, client):
    make.user(email="c@example.edu")
    response = client.post("/login", data={"email": "c@example.edu", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_profile_shows_the_display_name_but_never_the_email(world, login_as):
    page = login_as(world.classmate).get(f"/users/{world.student.id}").get_data(as_text=True)
    assert "Ana Lindqvist" in page
    assert world.student.email not in page


def test_profiles_are_for_people_who_share_a_course(world, login_as, client):
    url = f"/users/{world.student.id}"
    assert login_as(world.outsider).get(url).status_code == 404
    assert login_as(world.admin).get(url).status_code == 200
    assert login_as(None).get(url).status_code == 302


def test_tokens_page_shows_a_new_secret_once_and_revokes(make, login_as, api):
    user = make.user()
    client = login_as(user)
    response = client.post("/account/tokens", data={"name": "grading script",
                                                    "expires_in_days": "30"})
    page = response.get_data(as_text=True)
    secret = page.split('id="new-token" type="text" readonly value="')[1].split('"')[0]
    assert secret.startswith("fat_")
    assert api.get(None, "/api/v1/me", token=secret).status_code == 200
    with client.session_transaction() as session:
        assert secret not in str(dict(session))
    listing = client.get("/account/tokens").get_data(as_text=True)
    assert "grading script" in listing and secret not in listing
    token_id = db.session.scalar(select(ApiToken.id))
    assert login_as(make.user()).post(f"/account/tokens/{token_id}/revoke").status_code == 404
    login_as(user).post(f"/account/tokens/{token_id}/revoke")
    assert api.get(None, "/api/v1/me", token=secret).status_code == 401
