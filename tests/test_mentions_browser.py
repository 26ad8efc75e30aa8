"""@mentions in a real Chromium: the reply box offers a classmate by the start of their
name, the keyboard chooses them, and the posted reply links to their profile."""

from __future__ import annotations

from tests.test_browser import (  # noqa: F401  (fixtures)
    _log_in,
    browser_type_launch_args,
    live_server,
    pytestmark,
)


def test_choosing_a_classmate_from_the_list_mentions_them(world, live_server, page):  # noqa: F811
    base = live_server
    _log_in(page, base, world.student)
    page.goto(f"{base}/posts/{world.post.id}")
    # The form answering the post stands open.
    box = page.locator("#reply-body-post")
    box.click()
    box.press_sequentially("Thanks @be")

    listbox = page.get_by_role("listbox", name="Course members to mention")
    option = listbox.get_by_role("option", name="Ben Carter")
    option.wait_for()
    assert box.get_attribute("aria-expanded") == "true"
    assert listbox.get_by_role("option").count() == 1  # classmates only, matching "be"
    box.press("ArrowDown")
    assert option.get_attribute("aria-selected") == "true"
    assert box.get_attribute("aria-activedescendant") == option.get_attribute("id")
    box.press("Enter")
    assert box.input_value() == "Thanks @[Ben Carter] "
    assert box.get_attribute("aria-expanded") == "false"
    assert listbox.is_hidden()

    # Escape closes the list without choosing.
    box.press_sequentially("and @to")
    listbox.get_by_role("option", name="Tomás Reyes").wait_for()
    box.press("Escape")
    assert listbox.is_hidden()
    box.fill("Thanks @[Ben Carter] for the reading.")

    page.locator("form", has=box).get_by_role("button", name="Post reply").click()
    page.get_by_text("Reply posted.").wait_for()
    link = page.locator(f'li.reply a.mention[href="/users/{world.classmate.id}"]')
    assert link.inner_text() == "@Ben Carter"

    # Recorded for him (the dashboard shows it once the reply is not held back: a new
    # account's first replies may wait for the spam filter's review on this server).
    from forum.extensions import db
    from forum.models.reactions import Mention

    db.session.commit()  # a fresh look at what the server wrote
    assert db.session.scalars(db.select(Mention.user_id)).all() == [world.classmate.id]
