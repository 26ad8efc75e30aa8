"""Someone who had a forum account before their LMS launched them joins the two: a real
login and launch with the tests' LMS, then the password of the old account."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Enrollment, LtiUser, Role, User
from tests.factories import PASSWORD
from tests.lti_platform import ANA


def _lms_account() -> User:
    db.session.expire_all()
    return db.session.scalar(select(LtiUser).where(LtiUser.sub == ANA.sub)).user


def _places(user: User) -> dict[str, Role]:
    return {e.course.code: e.role for e in db.session.scalars(
        select(Enrollment).where(Enrollment.user_id == user.id))}


@pytest.fixture
def launched(app, platform, make):
    """Ana had an account (in another course) before her LMS launched her into
    HIST-207, which made her a second one."""
    old = make.user("Ana L.", email="ana.lindqvist@example.edu")
    seminar = make.course(code="SEM-1")
    db.session.add(Enrollment(user=old, course=seminar, role=Role.STUDENT))
    db.session.commit()
    client = app.test_client()
    assert platform.launch(client, ANA).status_code == 200
    return client, old


def test_an_lms_account_joins_the_account_its_person_had(app, platform, launched):
    client, old = launched
    made = _lms_account()
    assert made.id != old.id
    page = client.get("/lti/account")
    assert page.status_code == 200 and "Use your forum account from the LMS" in page.text
    # A wrong password changes nothing.
    wrong = client.post("/lti/account", data={"email": old.email, "password": "guess"})
    assert wrong.status_code == 422 and "Email or password is not correct." in wrong.text
    assert _lms_account().id == made.id
    # The right one moves the LMS identity and the course place to the old account.
    joined = client.post("/lti/account", data={"email": old.email, "password": PASSWORD})
    assert joined.status_code == 302
    assert _lms_account().id == old.id
    assert _places(old) == {"SEM-1": Role.STUDENT, "HIST-207": Role.STUDENT}
    made = db.session.get(User, made.id)
    assert made.is_disabled and _places(made) == {}
    with client.session_transaction() as session:
        assert session["_user_id"] == old.get_id()
    # From now on the LMS signs her into her own account, and makes no other.
    again = app.test_client()
    platform.launch(again, ANA)
    with again.session_transaction() as session:
        assert session["_user_id"] == old.get_id()
    assert db.session.scalar(select(func.count()).select_from(User)) == 2


def test_the_lms_role_wins_where_both_accounts_are_in_the_course(app, platform, launched,
                                                                 make):
    client, old = launched
    hist = db.session.scalar(select(Enrollment).where(
        Enrollment.user_id == _lms_account().id)).course
    db.session.add(Enrollment(user=old, course=hist, role=Role.TA))
    db.session.commit()
    client.post("/lti/account", data={"email": old.email, "password": PASSWORD})
    assert _places(old)["HIST-207"] is Role.STUDENT


def test_an_lms_account_with_work_is_not_joined_here(app, platform, launched, make):
    client, old = launched
    made = _lms_account()
    hist = db.session.scalar(select(Enrollment).where(Enrollment.user_id == made.id)).course
    make.post(make.discussion(hist), made, title="Written from the LMS")
    page = client.get("/lti/account")
    assert "ask the forum's administrator" in page.text and "<form method=\"post\" class" \
        not in page.text
    refused = client.post("/lti/account", data={"email": old.email, "password": PASSWORD})
    assert refused.status_code == 422 and "already holds work" in refused.text
    assert _lms_account().id == made.id and not db.session.get(User, made.id).is_disabled


def test_only_an_account_an_lms_made_has_the_page(world, login_as):
    assert login_as(world.student).get("/lti/account").status_code == 404
    assert login_as(None).get("/lti/account").status_code == 302  # to the sign-in page


def test_the_same_account_cannot_be_joined_to_itself(app, platform, launched):
    client, _old = launched
    made = _lms_account()
    made.email = "ana@uni.example"
    made.set_password(PASSWORD)
    db.session.commit()
    same = client.post("/lti/account", data={"email": made.email, "password": PASSWORD})
    assert same.status_code == 422 and "signed in with this account already" in same.text
    assert not db.session.get(User, made.id).is_disabled


def test_a_site_admins_account_is_never_joined_to_an_lms_identity(app, platform, launched,
                                                                  make):
    client, _old = launched
    admin = make.user("Site Admin", admin=True, email="root@example.edu")
    refused = client.post("/lti/account", data={"email": admin.email, "password": PASSWORD})
    assert refused.status_code == 422 and "never opened from an LMS" in refused.text
    assert _lms_account().id != admin.id
