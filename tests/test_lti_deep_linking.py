"""LTI Deep Linking through real exchanges: the tests' LMS (tests/lti_platform.py) signs
an LtiDeepLinkingRequest, the instructor chooses on the forum's page, and the signed
answer is posted to the LMS's return URL over HTTP, where it is verified against the
forum's /lti/jwks (also fetched over HTTP). A later launch of the placed link finds its
discussion by the link's custom parameter."""

from __future__ import annotations

import re
import shutil
from html import unescape
from urllib.parse import urlencode

import pytest
import requests
from sqlalchemy import select

from forum.extensions import db
from forum.models import Course, Discussion, Enrollment, LtiResourceLink, LtiUser, Role
from forum.services import lti_keys
from tests.lti_platform import ANA, DL_CLAIM, LEARNER, OKAFOR, TA, Person
from tests.test_browser import browser_type_launch_args, live_server  # noqa: F401
from tests.test_lti import _count, _signed_in
from tests.test_pages_in_browser import DESKTOP, PHONE, WIDE_ELEMENTS, _serious

CONTENT_ITEMS = f"{DL_CLAIM}content_items"


def _picker(platform, client, person=OKAFOR, settings=None) -> str:
    """A deep linking launch; returns the address of the page where one chooses."""
    response = platform.deep_link(client, person, settings)
    assert response.status_code == 302, response.text
    assert response.headers["Location"].startswith("/lti/deep-linking/")
    return response.headers["Location"]


def _form_of(page: str) -> tuple[str, str]:
    """The answer page's form: where it posts, and the JWT it carries."""
    action = re.search(r'<form method="post" action="([^"]+)" data-auto-submit>', page).group(1)
    token = re.search(r'name="JWT" value="([^"]+)"', page).group(1)
    return unescape(action), token


def _send_to_lms(page: str) -> requests.Response:
    """What the browser does with the answer: post its form to the LMS, over HTTP."""
    action, token = _form_of(page)
    return requests.post(action, data={"JWT": token}, timeout=10)


def _course() -> Course:
    return db.session.scalar(select(Course))


def test_an_instructor_places_a_new_discussion_and_students_land_in_it(
        app, platform, served):
    instructor = app.test_client()
    page_url = _picker(platform, instructor)
    assert _signed_in(instructor)
    course = _course()
    okafor = db.session.scalar(select(LtiUser).where(LtiUser.sub == OKAFOR.sub)).user
    assert okafor.course_role(course.id) is Role.INSTRUCTOR
    assert _count(LtiResourceLink) == 0  # a request for content: no link yet

    page = instructor.get(page_url)
    assert page.status_code == 200 and "Add forum discussions to your LMS course" in page.text
    assert 'type="checkbox"' in page.text and "Add to the LMS" in page.text
    answer = instructor.post(page_url, data={"discussion_id": "new",
                                             "title": "Week 3: the Locarno treaties",
                                             "points_possible": "10"})
    assert answer.status_code == 200
    discussion = db.session.scalar(select(Discussion))
    assert (discussion.title, discussion.points_possible, discussion.course_id,
            discussion.created_by_id) == ("Week 3: the Locarno treaties", 10, course.id,
                                          okafor.id)
    # The page posts to the LMS only: its policy lets this one form leave, and a
    # script file (never an inline one) sends it; the button works without JavaScript.
    assert f"form-action 'self' {platform.url}" in answer.headers["Content-Security-Policy"]
    assert "/static/lti-answer.js" in answer.text and "<script>" not in answer.text
    assert re.search(r'<button type="submit"[^>]*>Continue</button>', answer.text)
    assert _form_of(answer.text)[0] == platform.deep_link_return_url

    assert _send_to_lms(answer.text).status_code == 200, platform.refused_deep_links
    [received] = platform.deep_link_responses
    claims, header = received["claims"], received["header"]
    assert header["kid"] == lti_keys.signing_key().kid and header["alg"] == "RS256"
    published = [key["kid"] for key in requests.get(f"{served}/lti/jwks", timeout=10
                                                    ).json()["keys"]]
    assert header["kid"] in published
    assert claims["iss"] == platform.client_id and claims["aud"] == [platform.issuer]
    assert claims[f"{DL_CLAIM}data"] == platform.deep_linking_settings()["data"]
    assert claims[CONTENT_ITEMS] == [{
        "type": "ltiResourceLink", "title": "Week 3: the Locarno treaties",
        "url": "http://localhost/lti/launch",
        "custom": {"forum_discussion_id": str(discussion.id)},
        "lineItem": {"scoreMaximum": 10, "label": "Week 3: the Locarno treaties",
                     "resourceId": f"forum-discussion-{discussion.id}"},
        "window": {"targetName": "_blank"}}]

    # One answer per request: the page is gone, and nothing more is made.
    again = instructor.post(page_url, data={"discussion_id": "new", "title": "Twice"})
    assert again.status_code == 404 and "no longer open" in again.text
    assert _count(Discussion) == 1

    # The LMS made the link: a student's first launch of it opens the discussion.
    student = app.test_client()
    launched = platform.launch(student, ANA, link_id="placed-1", link_title="Week 3",
                               custom={"forum_discussion_id": str(discussion.id)})
    assert launched.status_code == 302
    assert launched.headers["Location"] == f"/discussions/{discussion.id}"
    shown = student.get(launched.headers["Location"])
    assert shown.status_code == 200 and "Week 3: the Locarno treaties" in shown.text
    link = db.session.scalar(select(LtiResourceLink))
    assert (link.resource_link_id, link.discussion_id) == ("placed-1", discussion.id)


def test_existing_discussions_carry_a_line_item_only_when_worth_points(app, platform, make):
    instructor = app.test_client()
    page_url = _picker(platform, instructor)
    course = _course()
    graded = make.discussion(course, title="Versailles, a century on", points_possible=20)
    ungraded = make.discussion(course, title="Introduce yourself", points_possible=0)
    make.discussion(make.course(code="OTHER-1"), title="Another course's week")
    page = instructor.get(page_url)
    assert "Versailles, a century on" in page.text and "Introduce yourself" in page.text
    assert "Another course" not in page.text
    # The key rotated since the launch: the answer is signed by the current one.
    first = lti_keys.signing_key().kid
    assert app.test_cli_runner().invoke(args=["lti-rotate-key"]).exit_code == 0
    db.session.expire_all()
    current = lti_keys.signing_key().kid
    assert current != first

    answer = instructor.post(page_url, data={"discussion_id": [str(graded.id),
                                                               str(ungraded.id)]})
    assert answer.status_code == 200
    assert _send_to_lms(answer.text).status_code == 200, platform.refused_deep_links
    [received] = platform.deep_link_responses
    assert received["header"]["kid"] == current
    items = {item["title"]: item for item in received["claims"][CONTENT_ITEMS]}
    assert items["Versailles, a century on"]["lineItem"] == {
        "scoreMaximum": 20, "label": "Versailles, a century on",
        "resourceId": f"forum-discussion-{graded.id}"}
    assert "lineItem" not in items["Introduce yourself"]
    assert items["Introduce yourself"]["custom"] == {"forum_discussion_id": str(ungraded.id)}
    assert _count(Discussion) == 3  # nothing new made


def test_a_platform_taking_one_item_gets_one(app, platform, make):
    instructor = app.test_client()
    settings = platform.deep_linking_settings(accept_multiple=False, data=None)
    page_url = _picker(platform, instructor, settings=settings)
    course = _course()
    week = make.discussion(course, title="Week 1", points_possible=0)
    page = instructor.get(page_url)
    assert 'type="radio"' in page.text and 'type="checkbox"' not in page.text
    refused = instructor.post(page_url, data={"discussion_id": [str(week.id), "new"],
                                              "title": "Week 2"})
    assert refused.status_code == 422 and "takes one item here" in refused.text
    assert _count(Discussion) == 1  # nothing half-made
    nothing = instructor.post(page_url, data={})
    assert nothing.status_code == 422 and "Choose a discussion" in nothing.text
    untitled = instructor.post(page_url, data={"discussion_id": "new", "title": " ",
                                               "points_possible": "lots"})
    assert untitled.status_code == 422 and "is required" in untitled.text
    assert "Points must be a number" in untitled.text and _count(Discussion) == 1

    answer = instructor.post(page_url, data={"discussion_id": str(week.id)})
    assert _send_to_lms(answer.text).status_code == 200, platform.refused_deep_links
    claims = platform.deep_link_responses[0]["claims"]
    assert f"{DL_CLAIM}data" not in claims  # none came, none goes back
    assert [item["title"] for item in claims[CONTENT_ITEMS]] == ["Week 1"]


def test_a_placed_id_of_another_course_is_ignored(app, platform, make):
    elsewhere = make.discussion(make.course(code="OTHER-1"), title="Another course's week")
    student = app.test_client()
    response = platform.launch(student, ANA, custom={"forum_discussion_id": str(elsewhere.id)})
    assert response.status_code == 200
    assert "Your instructor has not set this link up yet" in response.text
    link = db.session.scalar(select(LtiResourceLink))
    assert link.discussion_id is None
    instructor = app.test_client()
    response = platform.launch(instructor, OKAFOR, custom={"forum_discussion_id": "12abc"})
    assert response.headers["Location"] == f"/lti/links/{link.id}"  # today's way


def test_a_link_already_opening_a_discussion_keeps_it(app, platform, make):
    instructor = app.test_client()
    platform.launch(instructor, OKAFOR)
    link = db.session.scalar(select(LtiResourceLink))
    instructor.post(f"/lti/links/{link.id}", data={"action": "create", "title": "Chosen"})
    chosen = db.session.scalar(select(Discussion))
    other = make.discussion(chosen.course, title="Placed later")
    student = app.test_client()
    response = platform.launch(student, ANA, custom={"forum_discussion_id": str(other.id)})
    assert response.headers["Location"] == f"/discussions/{chosen.id}"


@pytest.mark.parametrize("person", [Person("lms-user-2", LEARNER, name="Ana"),
                                    Person("lms-user-9", TA, name="Tom the TA")],
                         ids=["student", "ta"])
def test_only_instructors_make_deep_links(app, platform, person):
    client = app.test_client()
    response = platform.deep_link(client, person)
    assert response.status_code == 403
    assert "Only the course's instructors add forum discussions" in unescape(response.text)
    assert "<h1>" in response.text
    assert not _signed_in(client) and _count(LtiUser) == 0 and _count(Enrollment) == 0


# What is wrong with the request's settings, and what the page says.
BAD_SETTINGS = {
    "no return URL": ({"deep_link_return_url": None}, "no usable deep_link_return_url"),
    "a return URL that is not one": ({"deep_link_return_url": "javascript:alert(1)"},
                                     "no usable deep_link_return_url"),
    "no LTI links accepted": ({"accept_types": ["link", "file"]},
                              "does not accept LTI links"),
    "data too large to keep": ({"data": "x" * 3000}, "more request data"),
    "no presentation target": ({"accept_presentation_document_targets": None},
                               "names no way to show"),
}


@pytest.mark.parametrize("case", BAD_SETTINGS)
def test_requests_the_forum_cannot_answer_are_refused_with_a_page(app, platform, case):
    overrides, words = BAD_SETTINGS[case]
    client = app.test_client()
    response = platform.deep_link(client, OKAFOR, platform.deep_linking_settings(**overrides))
    assert response.status_code == 403 and words in response.text
    assert "<h1>" in response.text
    assert not _signed_in(client) and _count(LtiUser) == 0 and _count(Course) == 0


def test_a_deep_linking_request_is_used_once_and_needs_its_state_cookie(app, platform):
    client = app.test_client()
    state, nonce, _ = platform.login(client, OKAFOR.sub)
    form = {"id_token": platform.deep_linking_token(nonce, OKAFOR), "state": state}
    assert client.post("/lti/launch", data=form).status_code == 302
    replayed = client.post("/lti/launch", data=form)
    assert replayed.status_code == 403 and "already used" in replayed.text
    state, nonce, _ = platform.login(client, OKAFOR.sub)
    elsewhere = app.test_client().post("/lti/launch", data={
        "id_token": platform.deep_linking_token(nonce, OKAFOR), "state": state})
    assert elsewhere.status_code == 400 and "state cookie is missing" in elsewhere.text


def test_the_page_is_only_for_the_request_in_this_session(app, platform):
    instructor = app.test_client()
    page_url = _picker(platform, instructor)
    assert instructor.get("/lti/deep-linking/not-this-one").status_code == 404
    # A second request replaces the first (each launch starts a fresh session).
    second = _picker(platform, instructor)
    assert second != page_url and instructor.get(page_url).status_code == 404
    other = app.test_client()
    assert other.get(second).status_code == 302  # not signed in: asked to log in


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_the_choice_keeps_its_csrf_token(app, platform, app_config):
    instructor = app.test_client()
    page_url = _picker(platform, instructor)  # the launch itself needs no token
    page = instructor.get(page_url)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    refused = instructor.post(page_url, data={"discussion_id": "new", "title": "Forged"})
    assert refused.status_code == 400 and _count(Discussion) == 0
    answer = instructor.post(page_url, data={"discussion_id": "new", "title": "Week 1",
                                             "csrf_token": token})
    assert answer.status_code == 200 and _count(Discussion) == 1


# In a real Chromium: the LMS's own pages post the id_token, as an LMS's do; the
# forum's launch pages pass axe and fit a phone, and its answer reaches the LMS with
# and without JavaScript (the answer page's policy lets its form leave for the LMS).


def _launch_in_browser(page, live: str, platform, person, **next_launch) -> None:
    platform.next_launch = next_launch
    page.goto(f"{live}/lti/login?" + urlencode({
        "iss": platform.issuer, "login_hint": person.sub, "client_id": platform.client_id,
        "target_link_uri": f"{live}/lti/launch", "lti_deployment_id": platform.deployment_id}))


def _problems_of(page, name: str) -> list[str]:
    """Serious axe violations, and anything wider than a phone's screen."""
    page.set_viewport_size(DESKTOP)
    problems = [f"{name}: {line}" for line in _serious(page)]
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > PHONE["width"]:
        problems.append(f"{name}: {width} px wide, past the edge: "
                        f"{', '.join(page.evaluate(WIDE_ELEMENTS))}")
    page.set_viewport_size(DESKTOP)
    return problems


@pytest.mark.browser
@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's Chromium is not installed")
def test_the_launch_pages_in_a_browser(platform, make, live_server, browser):  # noqa: F811
    live = live_server
    platform.tool_jwks_url = f"{live}/lti/jwks"
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    problems = []

    _launch_in_browser(page, live, platform, OKAFOR, deep_linking=True)
    page.wait_for_url(re.compile(r".*/lti/deep-linking/.+"))
    make.discussion(_course(), title="Versailles, a century on: " + "a long title " * 6)
    page.reload()
    problems += _problems_of(page, "deep linking")
    page.get_by_label("A new discussion").check()
    page.get_by_label("Title of the new discussion").fill("Week 3: the Locarno treaties")
    page.get_by_label("Points possible").fill("10")
    page.get_by_role("button", name="Add to the LMS").click()
    page.wait_for_url(f"{platform.url}/deep-link-return*")  # sent by lti-answer.js
    assert page.get_by_role("heading", name="Content added").is_visible()
    [received] = platform.deep_link_responses
    [item] = received["claims"][CONTENT_ITEMS]
    placed = db.session.scalar(select(Discussion).where(
        Discussion.title == "Week 3: the Locarno treaties"))
    assert item["custom"] == {"forum_discussion_id": str(placed.id)}
    assert item["lineItem"]["scoreMaximum"] == 10

    _launch_in_browser(page, live, platform, ANA, link_id="placed-1",
                       custom={"forum_discussion_id": str(placed.id)})
    page.wait_for_url(f"{live}/discussions/{placed.id}")
    _launch_in_browser(page, live, platform, ANA, link_id="link-1")
    page.wait_for_url(f"{live}/lti/launch")
    assert page.get_by_role("heading", name="Not set up yet").is_visible()
    problems += _problems_of(page, "not set up yet")
    _launch_in_browser(page, live, platform, OKAFOR, link_id="link-1")
    page.wait_for_url(re.compile(r".*/lti/links/\d+"))
    problems += _problems_of(page, "choose what a link opens")
    context.close()

    # Without JavaScript: the LMS's page and the forum's answer each have a button.
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    page = context.new_page()
    _launch_in_browser(page, live, platform, OKAFOR, deep_linking=True)
    page.get_by_role("button", name="Go").click()
    page.wait_for_url(re.compile(r".*/lti/deep-linking/.+"))
    page.get_by_label("Versailles, a century on", exact=False).check()
    page.get_by_role("button", name="Add to the LMS").click()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{platform.url}/deep-link-return*")
    assert len(platform.deep_link_responses) == 2, platform.refused_deep_links
    context.close()
    assert not problems, "\n".join(problems)
