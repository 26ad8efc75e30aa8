"""In a real Chromium: a student comes back to her thread after classmates replied,
sees how many replies are new, jumps to the first with the link and to the next with
the `n` key, and finds the course's unread count gone when she has read them."""

from __future__ import annotations

import re
import shutil

import pytest

from tests.test_browser import _log_in, live_server  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None,
                       reason="Debian's Chromium is not installed (apt-get install chromium)"),
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    from tests.test_browser import CHROMIUM, CHROMIUM_ARGS

    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


def test_a_returning_student_jumps_through_what_is_new(world, make, live_server, page):  # noqa: F811
    w, base = world, live_server
    _log_in(page, base, w.student)
    page.goto(f"{base}/posts/{w.post.id}")  # she reads her thread as it is
    first = make.reply(w.post, w.classmate, parent=w.reply, body="Moderate for Germany.")
    second = make.reply(w.post, w.ta, body="Compare Brest-Litovsk.")

    page.goto(f"{base}/courses/{w.course.id}")
    assert page.get_by_text("2 unread").is_visible()
    page.goto(f"{base}/posts/{w.post.id}")
    assert page.get_by_text("2 new replies since your last visit.").is_visible()
    page.get_by_role("link", name="Jump to the first new reply").click()
    focused = page.evaluate("document.activeElement.closest('li.reply').id")
    assert focused == f"reply-{first.id}"
    page.keyboard.press("n")
    focused = page.evaluate("document.activeElement.closest('li.reply').id")
    assert focused == f"reply-{second.id}"
    assert page.locator(f"#reply-{second.id} .badge-new").is_visible()

    # Typing an "n" in a reply stays in the reply.
    box = page.locator("#thread > details.reply-form").get_by_label("Your reply")
    box.fill("")
    box.press("n")
    assert box.input_value() == "n"

    page.goto(f"{base}/courses/{w.course.id}")
    assert page.get_by_text(re.compile(r"\d+ unread")).count() == 0
