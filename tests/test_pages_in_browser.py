"""Every page each role can reach, in a real Chromium: no serious or critical axe-core
violation, and nothing wider than a 390 px phone screen (a table scrolls in its own box).
Adding a page is one row of PAGES."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from forum.extensions import db
from forum.models import (
    Anonymous,
    GuestComments,
    LtiContext,
    LtiPlatform,
    LtiResourceLink,
    LtiUser,
    Role,
    SpamCheck,
    Visibility,
)
from forum.services import archive_jobs, grading, guests, moderation, rubrics
from tests.test_browser import (  # noqa: F401  (fixtures)
    _log_in,
    browser_type_launch_args,
    live_server,
    pytestmark,
)

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
BLOCKING = {"serious", "critical"}
AXE = Axe()

SIGNED_IN = {"student", "ta", "instructor", "admin"}
EVERYONE = SIGNED_IN | {"anonymous"}
STAFF = {"ta", "instructor", "admin"}
TEACHERS = {"instructor", "admin"}
AUTHOR = {"student"}  # an admin may read, not edit, what others wrote

# name, path (formatted with the seeded ids), who reaches it, the status it answers
PAGES = [
    ("welcome", "/", {"anonymous"}, 200),
    ("log in", "/login", {"anonymous"}, 200),
    ("register", "/register", {"anonymous"}, 200),
    ("forgot password", "/password/forgot", {"anonymous"}, 200),
    ("spent reset link", "/password/reset/spent", {"anonymous"}, 410),
    ("dashboard", "/", SIGNED_IN, 200),
    ("courses", "/courses", SIGNED_IN, 200),
    ("course", "/courses/{course}", EVERYONE, 200),
    ("members", "/courses/{course}/members", SIGNED_IN, 200),
    ("course settings", "/courses/{course}/edit", TEACHERS, 200),
    ("new course", "/courses/new", {"admin"}, 200),
    ("import a course", "/courses/import", {"admin"}, 200),
    ("course archive job", "/courses/{course}/archives/{export_job}", TEACHERS, 200),
    ("new discussion", "/courses/{course}/discussions/new", TEACHERS, 200),
    ("discussion", "/discussions/{discussion}", EVERYONE, 200),
    ("discussion settings", "/discussions/{discussion}/edit", TEACHERS, 200),
    ("prompts", "/discussions/{discussion}/prompts", STAFF, 200),
    ("new post", "/discussions/{discussion}/posts/new", {"student"}, 200),
    ("post", "/posts/{post}", EVERYONE, 200),
    ("edit post", "/posts/{post}/edit", AUTHOR, 200),
    ("post revisions", "/posts/{post}/revisions", AUTHOR | STAFF, 200),
    ("edit reply", "/replies/{reply}/edit", AUTHOR, 200),
    ("reply revisions", "/replies/{reply}/revisions", AUTHOR | STAFF, 200),
    ("grading settings", "/discussions/{discussion}/grading/settings", TEACHERS, 200),
    ("grading roster", "/discussions/{discussion}/grading", STAFF, 200),
    ("grading roster, sorted and filtered", "/discussions/{discussion}/grading"
     "?sort=score&order=desc&state=released&late=0&met=perhaps", STAFF, 200),
    ("release grades", "/discussions/{discussion}/grading/release", TEACHERS, 200),
    ("grading a student", "/discussions/{discussion}/grading/{student}", STAFF, 200),
    ("gradebook", "/courses/{course}/gradebook", STAFF, 200),
    ("my grades", "/grades", SIGNED_IN, 200),
    ("search", "/search?q=treaty", EVERYONE, 200),
    ("notifications", "/notifications", SIGNED_IN, 200),
    ("notification settings", "/notifications/settings", SIGNED_IN, 200),
    ("mail not sent", "/admin/mail", {"admin"}, 200),
    ("LTI platforms", "/admin/lti", {"admin"}, 200),
    ("LTI scores not taken", "/admin/lti/scores", {"admin"}, 200),
    ("join the account an LMS made", "/lti/account", {"student"}, 200),
    # The launch pages (not set up yet, deep linking) are reached by launches only:
    # tests/test_lti_deep_linking.py checks them in a browser, through its LMS.
    ("choose what an LMS link opens", "/lti/links/{lti_link}", TEACHERS, 200),
    ("API tokens", "/account/tokens", SIGNED_IN, 200),
    ("password", "/account/password", SIGNED_IN, 200),
    ("profile", "/users/{student}", SIGNED_IN, 200),
    ("API documentation", "/api/docs", EVERYONE, 200),
    ("no such page", "/no-such-page", EVERYONE, 404),
    ("no such course", "/courses/2147483647", SIGNED_IN, 404),
    ("forbidden", "/discussions/{discussion}/grading/settings", {"student"}, 403),
    ("moderation queue", "/courses/{course}/moderation", STAFF, 200),
    ("report a post", "/posts/{others_post}/report", {"student"}, 200),
    ("report a reply", "/replies/{others_reply}/report", {"student"}, 200),
]

# The first elements that reach past the screen's right edge, outside a scroll box.
WIDE_ELEMENTS = """[...document.querySelectorAll("body *")]
  .filter(e => e.getBoundingClientRect().right > innerWidth + 1
          && !e.parentElement.closest(".table-scroll"))
  .slice(0, 3).map(e => e.tagName.toLowerCase() + (e.className ? "." + e.className : ""))"""

LONG_URL = "https://example.org/" + "a-very-long-path-segment-without-breaks" * 4
LONG_NAME = "Maximiliana Wolfeschlegelsteinhausenbergerdorff-Featherstonehaugh"
LONG_EMAIL = ("maximiliana.wolfeschlegelsteinhausenbergerdorff@"
              "department-of-modern-european-history-and-politics.example.org")
LONG_REASON = ("The comment links to a site that other comments marked as spam linked to: "
               + LONG_URL)


@pytest.fixture
def seeded(world, make):
    """The world's course made public, with what makes pages wide: a long URL in a post
    body and in a source, long names, many rubric criteria and many discussions."""
    world.course.visibility = Visibility.PUBLIC
    db.session.commit()
    long_named = make.member(world.course, Role.STUDENT, LONG_NAME)
    make.reply(world.post, long_named, body=f"Compare {LONG_URL}")
    world.post = make.post(world.discussion, world.student, title="A post with a long link",
                           body=f"See {LONG_URL} and [this]({LONG_URL}).",
                           sources=[(LONG_URL, LONG_URL)])
    world.own_reply = make.reply(world.post, world.student, body=f"Also {LONG_URL}")
    others_reply = make.reply(world.post, long_named, body="A classmate's answer.")
    others_post = make.post(world.discussion, world.classmate, title="A classmate's post")
    # The queue holds a guest's comment with a long email, website and spam reasons,
    # and a member's report.
    world.course.guest_comments = GuestComments.MODERATED
    db.session.commit()
    held = guests.comment_as_guest(Anonymous(), world.post, guests.GuestInput(
        name=LONG_NAME, email=LONG_EMAIL, website=LONG_URL, ip_address="2001:db8::7334",
        body=f"A guest's thought on the treaty, with {LONG_URL}"))
    check = db.session.scalar(db.select(SpamCheck).where(SpamCheck.reply_id == held.id))
    check.reasons = [LONG_REASON, "Written " + "very-" * 30 + "quickly"]
    db.session.commit()
    moderation.flag(world.student, others_reply, f"Copied from {LONG_URL}")
    rubrics.update_grading_settings(
        world.instructor, world.discussion, version=None, points_possible=40,
        rubric=[{"title": f"Criterion number {n} with a long title",
                 "levels": [{"points": 4, "description": "Precise and sustained throughout"},
                            {"points": 2, "description": "Present but general"}]}
                for n in range(1, 11)])
    for n in range(8):
        make.discussion(world.course, created_by_id=world.instructor.id,
                        title=f"Week {n + 2}: another discussion with a long title")
    grading.save_grade(world.instructor, world.discussion, world.student.id, version=None,
                       score=7.05, feedback="Good.")
    grading.release_grades(world.instructor, world.discussion)
    link = _from_an_lms(world.student, world.course)
    export_job = archive_jobs.request_export(world.instructor, world.course)
    world.ids = {"course": world.course.id, "discussion": world.discussion.id,
                 "post": world.post.id, "reply": world.own_reply.id,
                 "student": world.student.id, "others_post": others_post.id,
                 "others_reply": others_reply.id, "lti_link": link.id,
                 "export_job": export_job.id}
    return world


def _from_an_lms(user, course) -> LtiResourceLink:
    """The student also came in from an LMS (the page that joins accounts is theirs),
    and the course has a link placed in the LMS that opens nothing yet."""
    lms = LtiPlatform(name="Campus LMS", issuer="https://lms.example.edu", client_id="1",
                      keyset_url="https://lms.example.edu/jwks",
                      auth_url="https://lms.example.edu/auth",
                      token_url="https://lms.example.edu/token")
    db.session.add(lms)
    db.session.flush()
    db.session.add(LtiUser(platform_id=lms.id, sub="lms-7", user_id=user.id))
    context = LtiContext(platform_id=lms.id, context_id="course-7", course_id=course.id)
    link = LtiResourceLink(platform_id=lms.id, resource_link_id="link-7", context=context,
                           title="Week 7 " + "with a long title " * 5)
    db.session.add(link)
    db.session.commit()
    return link


def _serious(page) -> list[str]:
    results = AXE.run(page, options={"resultTypes": ["violations"]})
    return [f"{v['impact']}: {v['id']} ({v['help']}) at "
            + ", ".join(" ".join(node["target"]) for node in v["nodes"][:3])
            for v in results.response["violations"] if v["impact"] in BLOCKING]


@pytest.mark.parametrize("role", ["anonymous", "student", "ta", "instructor", "admin"])
def test_every_page_a_role_reaches_is_accessible_and_fits_a_phone(
        role, seeded, live_server, browser):  # noqa: F811
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    user = None if role == "anonymous" else seeded.actors[role]
    if user is not None:
        _log_in(page, live_server, user)
    problems = []
    for name, path, roles, status in PAGES:
        if role not in roles:
            continue
        url = live_server + path.format(**seeded.ids)
        page.set_viewport_size(DESKTOP)
        response = page.goto(url)
        if response.status != status:
            problems.append(f"{name} {path}: answered {response.status}, not {status}")
            continue
        problems.extend(f"{name} {path}: {line}" for line in _serious(page))
        page.set_viewport_size(PHONE)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            problems.append(f"{name} {path}: {width} px wide at {PHONE['width']} px, "
                            f"past the edge: {', '.join(page.evaluate(WIDE_ELEMENTS))}")
    context.close()
    assert not problems, f"as {role}:\n" + "\n".join(problems)

