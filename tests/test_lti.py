"""LTI 1.3 through real exchanges: an LMS of the tests' own (tests/lti_platform.py) serves
its key set on loopback and signs id_tokens; the tool is driven through login and
launch by a test client, as a browser would be sent between the two."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import (
    Course,
    Discussion,
    Enrollment,
    LtiContext,
    LtiNonce,
    LtiPlatform,
    LtiResourceLink,
    LtiUser,
    Role,
    User,
    Visibility,
)
from forum.services import lti, lti_keys
from tests.lti_platform import (
    ANA,
    BEN,
    INSTRUCTOR,
    LEARNER,
    MEMBERSHIP,
    MENTOR,
    OKAFOR,
    TA,
    Person,
    new_key,
)


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _signed_in(client) -> bool:
    with client.session_transaction() as session:
        return "_user_id" in session


def test_an_instructor_and_two_students_launch_into_one_discussion(app, platform, make):
    # Ben already has an account here with the same email: a launch never takes it over.
    local_ben = make.user("Ben (local)", email="ben@uni.example")
    instructor = app.test_client()
    response = platform.launch(instructor, OKAFOR)
    link = db.session.scalar(select(LtiResourceLink))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/lti/links/{link.id}"
    assert link.discussion_id is None and link.title == "Week 1 discussion"
    page = instructor.get(f"/lti/links/{link.id}")
    assert page.status_code == 200 and "Choose what this LMS link opens" in page.text
    chosen = instructor.post(f"/lti/links/{link.id}",
                             data={"action": "create", "title": "Versailles, a century on"})
    discussion = db.session.scalar(select(Discussion))
    assert chosen.status_code == 302
    assert chosen.headers["Location"] == f"/discussions/{discussion.id}"
    assert discussion.title == "Versailles, a century on"

    for person in (ANA, BEN):
        student = app.test_client()
        launched = platform.launch(student, person)
        assert launched.status_code == 302
        assert launched.headers["Location"] == f"/discussions/{discussion.id}"
        shown = student.get(launched.headers["Location"])
        assert shown.status_code == 200 and "Versailles, a century on" in shown.text
    again = platform.launch(instructor, OKAFOR)
    assert again.headers["Location"] == f"/discussions/{discussion.id}"

    course = db.session.scalar(select(Course).where(Course.id == discussion.course_id))
    assert (course.title, course.code, course.visibility) == (
        "Modern Europe", "HIST-207", Visibility.PRIVATE)
    roles = {e.user.display_name: e.role for e in db.session.scalars(
        select(Enrollment).where(Enrollment.course_id == course.id))}
    assert roles == {"Dr. Okafor": Role.INSTRUCTOR, "Ana Lindqvist": Role.STUDENT,
                     "Ben Carter": Role.STUDENT}
    assert _count(LtiUser) == 3 and _count(User) == 4
    new_ben = db.session.scalar(select(LtiUser).where(LtiUser.sub == BEN.sub)).user
    assert new_ben.id != local_ben.id and new_ben.email != "ben@uni.example"
    assert local_ben.course_role(course.id) is None
    assert db.session.scalar(select(LtiUser).where(LtiUser.sub == BEN.sub)).email == \
        "ben@uni.example"
    # The platform's key set was fetched over HTTP for each launch.
    assert platform.requests.count("/jwks") == 4


def test_a_student_on_a_link_not_set_up_is_told_so(app, platform):
    student = app.test_client()
    response = platform.launch(student, ANA)
    assert response.status_code == 200
    assert "Your instructor has not set this link up yet" in response.text
    assert _signed_in(student)
    link = db.session.scalar(select(LtiResourceLink))
    assert student.get(f"/lti/links/{link.id}").status_code == 403


# roles claim -> the course role, or None: refused with a page (403), nobody signed in
ROLES = [
    (INSTRUCTOR, Role.INSTRUCTOR),
    (TA, Role.TA),
    ([f"{MEMBERSHIP}#TeachingAssistant"], Role.TA),
    (LEARNER, Role.STUDENT),
    (["http://purl.imsglobal.org/vocab/lis/v2/membership/Learner#Learner"], Role.STUDENT),
    (MENTOR, None),
    (["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"], None),
    ([], None),
]


@pytest.mark.parametrize(("roles", "expected"), ROLES)
def test_the_lms_role_decides_the_course_role(app, platform, roles, expected):
    client = app.test_client()
    response = platform.launch(client, Person("someone", roles, name="Some One"))
    enrollment = db.session.scalar(select(Enrollment))
    if expected is None:
        assert response.status_code == 403
        assert "gives no access to its forum" in response.text
        assert enrollment is None and _count(LtiUser) == 0
        assert not _signed_in(client)
    else:
        assert response.status_code in (200, 302)
        assert enrollment.role is expected
        assert _signed_in(client)


def _launch_twice(platform, client, _app):
    state, nonce, _redirect_uri = platform.login(client, ANA.sub)
    form = {"id_token": platform.id_token(nonce, ANA), "state": state}
    assert client.post("/lti/launch", data=form).status_code == 200
    return client.post("/lti/launch", data=form)


def _fresh_token_same_nonce(platform, client, _app):
    state, nonce, _ = platform.login(client, ANA.sub)
    client.post("/lti/launch", data={"id_token": platform.id_token(nonce, ANA), "state": state})
    return client.post("/lti/launch", data={"id_token": platform.id_token(nonce, ANA),
                                            "state": state})


def _without_state_cookie(platform, client, app):
    state, nonce, _ = platform.login(client, ANA.sub)
    other_browser = app.test_client()
    return other_browser.post("/lti/launch", data={"id_token": platform.id_token(nonce, ANA),
                                                   "state": state})


def _nonce_never_issued(platform, client, _app):
    state, _nonce, _ = platform.login(client, ANA.sub)
    return client.post("/lti/launch", data={"id_token": platform.id_token("made-up", ANA),
                                            "state": state})


def _with(**options):
    def send(platform, client, _app):
        return platform.launch(client, ANA, **options)
    return send


# Each forged or replayed launch: how it is made, the status, and what the page says.
FORGED = {
    "wrong signature": (_with(signing_key=new_key()), 403, "Signature verification failed"),
    "wrong audience": (_with(aud="someone-else"), 403, "could not verify"),
    "expired token": (_with(expires_in=-120), 403, "expired"),
    "unknown deployment": (_with(deployment_id="deployment-9"), 403, "Unable to find deployment"),
    "unknown issuer": (_with(iss="https://evil.example"), 403, "could not verify"),
    "replayed launch": (_launch_twice, 403, "already used"),
    "reused nonce": (_fresh_token_same_nonce, 403, "already used"),
    "nonce never issued": (_nonce_never_issued, 403, "Invalid Nonce"),
    "missing state cookie": (_without_state_cookie, 400, "state cookie is missing"),
}


@pytest.mark.parametrize("case", FORGED)
def test_forged_and_replayed_launches_are_refused_with_a_page(app, platform, case):
    send, status, words = FORGED[case]
    client = app.test_client()
    response = send(platform, client, app)
    assert response.status_code == status
    assert words in response.text
    assert "<h1>" in response.text  # a page, not a traceback
    if case not in ("replayed launch", "reused nonce"):
        assert _count(LtiUser) == 0 and not _signed_in(client)


def test_a_nonce_is_used_once_even_by_launches_that_both_passed_its_check(app, platform):
    """Two launches with one nonce may both pass pylti1p3's look at it (sent at the same
    time); the launch use case uses it with one conditional UPDATE, so one fails."""
    _state, nonce, _ = platform.login(app.test_client(), ANA.sub)
    claims = lti.LaunchClaims(
        issuer=platform.issuer, client_id=platform.client_id,
        deployment_id=platform.deployment_id, nonce=nonce,
        message_type="LtiResourceLinkRequest", sub=ANA.sub, roles=LEARNER,
        context_id="course-7", resource_link_id="link-1")
    assert lti.nonce_is_pending(nonce)
    assert lti.launch(claims).role is Role.STUDENT
    with pytest.raises(lti.LaunchRefused, match="already used"):
        lti.launch(claims)
    assert not lti.nonce_is_pending(nonce)


def test_a_login_from_an_unregistered_platform_is_refused(app, platform):
    response = app.test_client().post("/lti/login", data={
        "iss": "https://evil.example", "login_hint": "x", "client_id": "c"})
    assert response.status_code == 403 and "registration" in response.text
    assert _count(LtiNonce) == 0


def test_the_key_set_publishes_the_next_key_before_it_signs(app, client, platform):
    first = client.get("/lti/jwks").get_json()["keys"]
    current, following = lti_keys.published_keys()
    assert [key["kid"] for key in first] == [current.kid, following.kid]
    assert lti_keys.signing_key().kid == current.kid and following.state == "next"
    assert all(key["kty"] == "RSA" and "d" not in key for key in first)
    result = app.test_cli_runner().invoke(args=["lti-rotate-key"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    second = [key["kid"] for key in client.get("/lti/jwks").get_json()["keys"]]
    assert lti_keys.signing_key().kid == following.kid  # it was published first
    assert second[0] == following.kid and current.kid not in second and len(second) == 2


def test_the_register_command(app):
    result = app.test_cli_runner().invoke(args=[
        "lti-register-platform", "--issuer", "https://canvas.example.edu",
        "--client-id", "10000000000001", "--deployment-id", "1:abc", "--deployment-id", "2:def",
        "--keyset-url", "https://canvas.example.edu/api/lti/security/jwks",
        "--auth-url", "https://canvas.example.edu/api/lti/authorize_redirect",
        "--token-url", "https://canvas.example.edu/login/oauth2/token"])
    assert result.exit_code == 0, result.output
    assert "/lti/launch" in result.output
    platform = db.session.scalar(select(LtiPlatform))
    assert platform.deployment_ids == ["1:abc", "2:def"]
    again = app.test_cli_runner().invoke(args=[
        "lti-register-platform", "--issuer", "https://canvas.example.edu",
        "--client-id", "10000000000001", "--deployment-id", "1:abc",
        "--keyset-url", "https://x.example/j", "--auth-url", "https://x.example/a",
        "--token-url", "https://x.example/t"])
    assert again.exit_code == 1 and "already registered" in again.output


@pytest.mark.parametrize(("seat", "status"), [("admin", 200), ("instructor", 403),
                                              ("student", 403), ("anonymous", 302)])
def test_only_admins_reach_the_lti_page(world, login_as, seat, status):
    response = login_as(world.actors[seat]).get("/admin/lti")
    assert response.status_code == status
    if status == 200:
        assert "http://localhost/lti/login" in response.text
        assert "http://localhost/lti/jwks" in response.text


def test_admins_register_a_platform_on_the_page(world, login_as):
    client = login_as(world.admin)
    form = {"name": "Moodle", "issuer": "https://moodle.example.edu", "client_id": "abc",
            "deployment_ids": "1, 2", "keyset_url": "https://moodle.example.edu/mod/lti/certs.php",
            "auth_url": "https://moodle.example.edu/mod/lti/auth.php",
            "token_url": "https://moodle.example.edu/mod/lti/token.php"}
    assert client.post("/admin/lti/platforms", data={**form, "auth_url": "nope"}
                       ).status_code == 422
    assert _count(LtiPlatform) == 0
    assert client.post("/admin/lti/platforms", data=form).status_code == 302
    page = client.get("/admin/lti").text
    assert "https://moodle.example.edu" in page and "1, 2" in page
    student = login_as(world.student)
    assert student.post("/admin/lti/platforms", data={**form, "client_id": "x"}
                        ).status_code == 403
    assert student.post("/admin/lti/keys/rotate").status_code == 403


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_only_login_and_launch_are_exempt_from_csrf(app, platform, app_config):
    instructor = app.test_client()
    assert platform.launch(instructor, OKAFOR).status_code == 302  # no CSRF token
    link = db.session.scalar(select(LtiResourceLink))
    refused = instructor.post(f"/lti/links/{link.id}", data={"action": "create", "title": "X"})
    assert refused.status_code == 400 and _count(Discussion) == 0


def test_the_state_cookie_is_samesite_none_and_secure_over_https(app, platform):
    client = app.test_client()
    response = client.post("/lti/login", base_url="https://forum.example", data={
        "iss": platform.issuer, "login_hint": "h", "client_id": platform.client_id})
    cookie = next(value for value in response.headers.getlist("Set-Cookie")
                  if value.startswith("lti1p3-state-"))
    assert "Secure" in cookie and "SameSite=None" in cookie and "HttpOnly" in cookie
    assert "redirect_uri=https%3A%2F%2Fforum.example%2Flti%2Flaunch" in \
        response.headers["Location"]


LINK_SEATS = {"admin": 200, "instructor": 200, "ta": 403, "student": 403,
              "classmate": 403, "outsider": 404, "anonymous": 302}


@pytest.mark.parametrize("seat", LINK_SEATS)
def test_who_may_choose_what_a_link_opens(world, platform, login_as, seat):
    """can_set_up_lti_link, on the page and its form: the course's instructors and admins;
    other members are refused, others are told there is no such link."""
    registered = db.session.scalar(select(LtiPlatform))
    context = LtiContext(platform_id=registered.id, context_id="course-7",
                         course_id=world.course.id)
    link = LtiResourceLink(platform_id=registered.id, resource_link_id="link-9",
                           context=context, title="Week 9")
    db.session.add(link)
    db.session.commit()
    client = login_as(world.actors[seat])
    status = LINK_SEATS[seat]
    assert client.get(f"/lti/links/{link.id}").status_code == status
    chosen = client.post(f"/lti/links/{link.id}", data={"action": "create",
                                                        "title": "Placed by " + seat})
    assert chosen.status_code == (302 if status == 200 else status)
    db.session.expire_all()
    opened = db.session.get(LtiResourceLink, link.id).discussion
    assert (opened.title if opened else None) == (
        f"Placed by {seat}" if status == 200 else None)


class TestLaunchLimits:
    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True, "FORUM_LIMIT_LTI": "4/minute"}

    def test_logins_and_launches_are_limited_per_address(self, app, platform):
        """A flood of logins from one address is refused with 429 before it writes
        nonces; another address (a classmate elsewhere) still gets in."""
        flood = app.test_client()
        statuses = [flood.post("/lti/login", data={"iss": platform.issuer,
                                                   "client_id": platform.client_id,
                                                   "login_hint": "x",
                                                   "target_link_uri": "http://localhost/"},
                               environ_base={"REMOTE_ADDR": "203.0.113.50"}).status_code
                    for _ in range(6)]
        assert statuses == [302] * 4 + [429] * 2
        assert _count(LtiNonce) == 4
        launches = [flood.post("/lti/launch", data={"id_token": "x", "state": "y"},
                               environ_base={"REMOTE_ADDR": "203.0.113.50"}).status_code
                    for _ in range(5)]
        assert launches == [400] * 4 + [429]
        elsewhere = app.test_client()
        assert platform.launch(elsewhere, ANA).status_code == 200  # the link is not set up
        assert _signed_in(elsewhere)
