"""In a real Chromium: a post-first discussion where a second student sees nothing of
peers until posting; an anonymous reply with no trace of its author in the page source;
the instructor endorses it; a third student quotes a passage of it by selecting it."""

from __future__ import annotations

import shutil

import pytest

from forum.extensions import db
from forum.models import Anonymity, Reveal, Role
from tests.test_browser import _log_in, _log_out, live_server  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None,
                       reason="Debian's Chromium is not installed (apt-get install chromium)"),
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    from tests.test_browser import CHROMIUM, CHROMIUM_ARGS

    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def seminar(world, make):
    world.discussion.reveal = Reveal.AFTER_POSTING
    world.discussion.anonymity = Anonymity.ALLOWED
    db.session.commit()
    world.third = make.member(world.course, Role.STUDENT, "Chloe Third")
    return world


def test_post_first_anonymity_endorsement_and_a_quote(seminar, live_server, page):  # noqa: F811
    w, base = seminar, live_server

    # Ben has not posted: Ana's post is nowhere to be seen, and the page says why.
    _log_in(page, base, w.classmate)
    page.goto(f"{base}/discussions/{w.discussion.id}")
    assert page.get_by_text("once you publish a post of your own").is_visible()
    assert page.get_by_role("link", name="Harsh in tone").count() == 0
    assert "Harsh in tone" not in page.content()

    # He posts; now he sees it, and answers it anonymously.
    page.get_by_role("link", name="Write a post").click()
    page.get_by_label("Title").fill("Ben's reading")
    page.get_by_label("Your post").fill("The treaty failed because it was never enforced.")
    page.get_by_role("button", name="Publish").click()
    page.get_by_text("Post published.").wait_for()
    page.goto(f"{base}/discussions/{w.discussion.id}")
    page.get_by_role("link", name="Harsh in tone").click()
    form = page.locator("#thread > details.reply-form")
    form.get_by_label("Your reply").fill(
        "Enforcement was the whole problem. France could not do it alone.")
    form.get_by_label("Anonymous to classmates (the course staff see your name)").check()
    form.get_by_role("button", name="Post reply").click()
    page.get_by_text("Reply posted.").wait_for()
    reply = page.locator("li.reply", has_text="Enforcement was the whole problem")
    assert reply.get_by_text("You wrote this anonymously.").is_visible()
    _log_out(page)

    # The instructor sees the name, marked, and endorses it.
    _log_in(page, base, w.instructor)
    page.goto(f"{base}/posts/{w.post.id}")
    reply = page.locator("li.reply", has_text="Enforcement was the whole problem")
    assert reply.get_by_text("Ben Carter").is_visible()
    assert reply.get_by_text("Anonymous to students").is_visible()
    reply.get_by_role("button", name="Endorse").click()
    page.get_by_text("Endorsed.").wait_for()
    _log_out(page)

    # Ana, the post's author, sees a pseudonym and the endorsement, nothing of Ben.
    _log_in(page, base, w.student)
    page.goto(f"{base}/posts/{w.post.id}")
    reply = page.locator("li.reply", has_text="Enforcement was the whole problem")
    assert reply.get_by_text("Anonymous 1").is_visible()
    assert reply.get_by_text("Endorsed by Dr. Okafor").is_visible()
    source = reply.evaluate("element => element.outerHTML")  # Ben also signed a reply
    assert "Ben Carter" not in source and f"/users/{w.classmate.id}\"" not in source
    assert w.classmate.email not in page.content()
    _log_out(page)

    # Chloe posts, then quotes a passage of the anonymous reply by selecting it.
    _log_in(page, base, w.third)
    page.goto(f"{base}/discussions/{w.discussion.id}/posts/new")
    page.get_by_label("Title").fill("Chloe's view")
    page.get_by_label("Your post").fill("Enforcement needed Britain too.")
    page.get_by_role("button", name="Publish").click()
    page.get_by_text("Post published.").wait_for()
    page.goto(f"{base}/posts/{w.post.id}")
    reply = page.locator("li.reply", has_text="Enforcement was the whole problem")
    passage = "France could not do it alone."
    reply.locator(".markdown p").evaluate(
        """(p, passage) => {
            const text = p.firstChild, start = text.textContent.indexOf(passage);
            const range = document.createRange();
            range.setStart(text, start); range.setEnd(text, start + passage.length);
            const selection = window.getSelection();
            selection.removeAllRanges(); selection.addRange(range);
        }""", passage)
    quote_button = page.get_by_role("button", name="Quote the selected passage")
    quote_button.wait_for()
    quote_button.click()
    assert reply.get_by_label("Quoted passage").input_value() == passage
    body = reply.get_by_label("Your reply")
    assert body.evaluate("element => element === document.activeElement")
    body.fill("Nor could Britain, without America.")
    reply.get_by_role("button", name="Post reply").click()
    page.get_by_text("Reply posted.").wait_for()
    answer = page.locator("li.reply", has_text="Nor could Britain")
    assert answer.locator("blockquote", has_text=passage).is_visible()
    assert answer.locator("blockquote footer").get_by_role("link", name="Anonymous 1").is_visible()
