"""End to end in a real Chromium: a visitor comments on a public post and is told it is
held; the instructor approves it from the queue; any visitor then reads it."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from forum import create_app
from forum.extensions import db
from forum.models import GuestComments, Visibility
from forum.web.guests import HELD
from tests.test_browser import (  # noqa: F401  (fixtures)
    _log_in,
    browser_type_launch_args,
    pytestmark,
)

COMMENT = "Was the tone harsh, or only the reparations clause? Keynes thought the latter."
MIN_SECONDS = 0.5


@pytest.fixture
def guest_server(app, database_url) -> Iterator[str]:
    """The app served over real HTTP, CSRF and limits on, with a short minimum time on
    the guest form."""
    served = create_app({"SECRET_KEY": "browser-test", "SQLALCHEMY_DATABASE_URI": database_url,
                         "FORUM_GUEST_MIN_SECONDS": MIN_SECONDS, "FORUM_QUEUE_URL": "none"})
    server = make_server("127.0.0.1", 0, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    with served.app_context():
        db.engine.dispose()


def test_a_visitor_comments_and_the_instructor_approves(world, guest_server, browser):
    world.course.visibility = Visibility.PUBLIC
    world.course.guest_comments = GuestComments.MODERATED
    db.session.commit()
    post_url = f"{guest_server}/posts/{world.post.id}"

    visitor = browser.new_context()
    page = visitor.new_page()
    page.goto(post_url)
    form = page.locator("#guest-comment")
    form.get_by_label("Your name").fill("Margarethe Vogel")
    form.get_by_label("Email").fill("mv@example.org")
    form.get_by_label("Comment").fill(COMMENT)
    page.wait_for_timeout(MIN_SECONDS * 1000 + 200)  # a person reads before sending
    form.get_by_role("button", name="Send comment").click()
    page.get_by_text(HELD).wait_for()
    mine = page.locator("li.reply", has_text="Keynes thought the latter.")
    assert mine.get_by_text("Awaiting review").first.is_visible()
    visitor.close()

    staff = browser.new_context()
    page = staff.new_page()
    _log_in(page, guest_server, world.instructor)
    page.goto(f"{guest_server}/courses/{world.course.id}")
    page.get_by_role("link", name="Moderation").click()
    item = page.locator(".queue-item", has_text="Keynes thought the latter.")
    item.get_by_text("mv@example.org").wait_for()  # the click's page may still be loading
    item.get_by_role("button", name="Approve").click()
    page.get_by_text("1 comment approved.").wait_for()
    assert page.locator(".queue-item", has_text="Keynes thought the latter.").count() == 0
    staff.close()

    stranger = browser.new_context()
    page = stranger.new_page()
    page.goto(post_url)
    comment = page.locator("li.reply", has_text="Keynes thought the latter.")
    assert comment.is_visible()
    assert comment.get_by_text("Margarethe Vogel").is_visible()
    assert page.get_by_text("mv@example.org").count() == 0
    stranger.close()
