"""End to end in a real Chromium: a student posts and replies, an instructor prompts,
the student answers. Runs wherever Debian's Chromium is installed."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from forum import create_app
from tests.factories import PASSWORD

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None,
                       reason="Debian's Chromium is not installed (apt-get install chromium)"),
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def live_server(app, database_url) -> Iterator[str]:
    """The app served over real HTTP, CSRF on, on the test's database."""
    served = create_app({"SECRET_KEY": "browser-test", "SQLALCHEMY_DATABASE_URI": database_url,
                         "FORUM_QUEUE_URL": "none"})
    server = make_server("127.0.0.1", 0, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    with served.app_context():
        from forum.extensions import db

        db.engine.dispose()


def _log_in(page, base: str, user) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")


def _log_out(page) -> None:
    page.get_by_role("button", name="Log out").click()


def test_post_reply_prompt_and_answer(world, live_server, page):
    base = live_server
    _log_in(page, base, world.student)
    page.goto(f"{base}/discussions/{world.discussion.id}")
    page.get_by_role("link", name="Write a post").click()
    page.get_by_label("Title").fill("Reparations and the Ruhr")
    page.get_by_label("Your post").fill(
        "France occupied the Ruhr in 1923. The occupation hardened German opinion.")
    page.locator("#sources-0-citation").fill("London Schedule of Payments, 1921")
    page.locator("#sources-1-citation").fill("Feldman, The Great Disorder (1993)")
    page.locator("#sources-1-url").fill("https://example.org/feldman")
    page.get_by_role("button", name="Publish").click()
    page.get_by_text("Post published.").wait_for()
    assert page.get_by_role("heading", name="Reparations and the Ruhr").is_visible()
    assert page.get_by_text("Feldman, The Great Disorder (1993)").is_visible()

    # Three levels deep in the classmate's thread on the first post.
    page.goto(f"{base}/posts/{world.post.id}")
    for level, text in enumerate(["Level two reply", "Level three reply", "Level four reply"]):
        last = page.locator("li.reply:not(.prompt)").filter(
            has_text=["Moderate for whom?", "Level two reply", "Level three reply"][level]).last
        last.locator("summary", has_text="Reply").click()
        last.get_by_label("Your reply").fill(text)
        last.get_by_role("button", name="Post reply").click()
        page.get_by_text("Reply posted.").wait_for()
    assert page.locator("li.reply.depth-3", has_text="Level four reply").is_visible()

    # The instructor asks a prompt about one sentence of the new post.
    _log_out(page)
    _log_in(page, base, world.instructor)
    page.goto(f"{base}/discussions/{world.discussion.id}")
    page.get_by_role("link", name="Reparations and the Ruhr").click()
    page.locator("summary", has_text="a prompt").first.click()
    page.get_by_label("Passage you ask about (optional)").first.fill(
        "The occupation hardened German opinion.")
    page.get_by_label("Question for Ana Lindqvist").first.fill("Whose opinion, exactly?")
    page.get_by_role("button", name="Ask prompt").first.click()
    page.get_by_text("Prompt sent to Ana Lindqvist.").wait_for()
    post_url = page.url.split("#")[0]

    # The student finds it awaiting a response and answers it.
    _log_out(page)
    _log_in(page, base, world.student)
    awaiting = page.locator("section", has=page.locator("#awaiting"))
    assert awaiting.get_by_text("Whose opinion, exactly?").is_visible()
    awaiting.get_by_role("link", name="Reparations and the Ruhr").click()
    prompt = page.locator("li.reply.prompt", has_text="Whose opinion, exactly?")
    prompt.locator("summary", has_text="Reply").click()
    prompt.get_by_label("Your reply").fill("Chiefly the Ruhr's workers, as the strike shows.")
    prompt.get_by_role("button", name="Post reply").click()
    page.get_by_text("Reply posted.").wait_for()
    page.goto(f"{base}/")
    awaiting = page.locator("section", has=page.locator("#awaiting"))
    assert awaiting.get_by_text("Which terms do you mean?").is_visible()  # still open
    assert awaiting.get_by_text("Whose opinion, exactly?").count() == 0

    # The instructor sees it answered.
    _log_out(page)
    _log_in(page, base, world.instructor)
    page.goto(f"{base}/discussions/{world.discussion.id}/prompts?state=answered")
    assert page.get_by_text("Whose opinion, exactly?").is_visible()
    page.goto(post_url)
    assert page.locator("li.reply.prompt", has_text="Whose opinion").get_by_text(
        "Answered").is_visible()


def test_an_instructor_grades_three_students_by_keyboard_and_releases(world, make,
                                                                       live_server, page):
    from forum.models import Role
    from forum.services import rubrics

    rubrics.update_grading_settings(
        world.instructor, world.discussion, version=None,
        rubric=[{"title": "Argument", "levels": [{"points": 4, "description": "Strong"},
                                                 {"points": 2, "description": "Weak"}]},
                {"title": "Sources", "levels": [{"points": 3, "description": "Good"},
                                                {"points": 1, "description": "Thin"}]}])
    third = make.member(world.course, Role.STUDENT, "Chloé Martin")
    base = live_server
    _log_in(page, base, world.instructor)
    page.goto(f"{base}/discussions/{world.discussion.id}/grading")
    page.get_by_role("link", name="Start grading").click()
    graded = []
    for keys in (["1", "1"], ["2", "1"], ["1", "2"]):  # 7, 5 and 5 points
        page.wait_for_load_state()  # the keys work once the page's script has run
        graded.append(page.get_by_role("heading", level=1).inner_text())
        for key in keys:
            page.keyboard.press(key)
        with page.expect_navigation():
            page.keyboard.press("s")
    assert sorted(graded) == sorted(["Ana Lindqvist", "Ben Carter", "Chloé Martin"])
    page.goto(f"{base}/discussions/{world.discussion.id}/grading")
    assert page.get_by_text("0 ungraded · 3 draft · 0 released").is_visible()
    page.get_by_role("link", name="Release all draft grades…").click()
    page.get_by_text("3 students will see their grades").wait_for()
    page.get_by_role("button", name="Release 3 grades").click()
    page.get_by_text("3 grade(s) released to students.").wait_for()

    expected = {world.student: "7", world.classmate: "5", third: "5"}
    for student, score in expected.items():
        _log_out(page)
        _log_in(page, base, student)
        page.goto(f"{base}/discussions/{world.discussion.id}")
        assert page.locator("#my-grade").get_by_text(f"Your grade: {score} / 10").is_visible()
        page.goto(f"{base}/grades")
        assert page.locator("main li").count() == 1
        for other in expected:
            if other is not student:
                assert other.display_name not in page.locator("main").inner_text()


def test_re_grading_by_keyboard_follows_the_rubric_and_keeps_a_typed_override(
        world, live_server, page):
    from forum.extensions import db
    from forum.models import Grade
    from forum.services import grading, rubrics

    rubrics.update_grading_settings(
        world.instructor, world.discussion, version=None,
        rubric=[{"title": "Argument", "levels": [{"points": 4, "description": "Strong"},
                                                 {"points": 2.5, "description": "Weak"}]},
                {"title": "Sources", "levels": [{"points": 3, "description": "Good"},
                                                {"points": 1, "description": "Thin"}]}])
    argument, sources = world.discussion.rubric
    for student in (world.student, world.classmate):
        grading.save_grade(world.instructor, world.discussion, student.id, version=None,
                           rubric_scores={argument["id"]: "c1-l1", sources["id"]: "c2-l1"})

    def saved() -> Grade:
        db.session.expire_all()
        return db.session.scalar(db.select(Grade).where(Grade.student_id == world.student.id))

    base = live_server
    url = f"{base}/discussions/{world.discussion.id}/grading/{world.student.id}"
    _log_in(page, base, world.instructor)
    page.goto(url)
    assert page.locator("#rubric-sum").inner_text() == "7"
    page.keyboard.press("2")  # Argument: Weak
    assert page.locator("#rubric-sum").inner_text() == "5.5"
    assert page.get_by_label("Score", exact=True).get_attribute("placeholder") == "5.5"
    with page.expect_navigation():
        page.keyboard.press("s")
    assert saved().score == 5.5 and saved().override_reason is None

    page.goto(url)
    page.get_by_label("Score", exact=True).fill("6.25")
    page.get_by_label("Reason for a different score").fill("Sources beyond the rubric")
    page.get_by_role("button", name="Save and next ungraded").click()
    page.wait_for_url(lambda u: u != url)
    assert saved().score == 6.25
    page.goto(url)
    page.locator("fieldset.criterion").nth(1).get_by_label("1 · Thin").check()
    with page.expect_navigation():
        page.keyboard.press("s")
    assert saved().score == 6.25 and saved().override_reason == "Sources beyond the rubric"
