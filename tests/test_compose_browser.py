"""Writing in a real Chromium (static/compose.js): Preview by keyboard shows the text as
the server renders it, accessibly and within a phone's width; text being written survives
a reload, an ended session and a logout in another tab, and is gone once it is saved."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.test_browser import (  # noqa: F401  (fixtures)
    _log_in,
    browser_type_launch_args,
    live_server,
    pytestmark,
)
from tests.test_pages_in_browser import PHONE, WIDE_ELEMENTS, _serious

LONG_URL = "https://example.org/" + "a-very-long-path-segment-without-breaks" * 4


def _log_in_again(page, user) -> None:
    """The login page the forum sent the writer to; it sends them back."""
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_preview_by_keyboard_renders_as_saved_and_fits_a_phone(
        world, live_server, page):  # noqa: F811
    base = live_server
    _log_in(page, base, world.student)
    page.goto(f"{base}/discussions/{world.discussion.id}/posts/new")
    page.get_by_label("Title").fill("Previewed")
    page.get_by_label("Your post").fill(
        f"Some *emphasis* and **strength**, see {LONG_URL}\n\n<script>alert(1)</script>")
    preview = page.get_by_role("button", name="Preview", exact=True)
    preview.focus()
    page.keyboard.press("Enter")
    region = page.get_by_role("region", name="Preview")
    expect(region.locator("em")).to_have_text("emphasis")
    expect(region.locator("strong")).to_have_text("strength")
    expect(region).to_contain_text("<script>alert(1)</script>")  # shown as text
    assert page.evaluate("document.activeElement.textContent") == "Hide preview"
    assert _serious(page) == []
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], page.evaluate(WIDE_ELEMENTS)

    # Editing marks the preview out of date; pressing again renders the new text.
    page.get_by_label("Your post").fill("Now _only_ this.")
    expect(page.get_by_role("button", name="Update preview")).to_be_visible()
    expect(region).to_contain_text("changed since this preview")
    page.get_by_role("button", name="Update preview").press("Enter")
    expect(region.locator("em")).to_have_text("only")
    expect(region.locator("strong")).to_have_count(0)
    page.get_by_role("button", name="Hide preview").press("Space")
    expect(region).to_be_hidden()

    # What the forms refuse is said in words.
    page.get_by_label("Your post").fill("x" * 50_001)
    preview.press("Enter")
    expect(region).to_contain_text("Nothing to preview: Text must be at most 50,000")


def test_a_reply_outlives_an_ended_session_and_goes_once_posted(
        world, live_server, page):  # noqa: F811
    base = live_server
    text = "Moderate for the victors, harsh for the Ruhr's workers."
    _log_in(page, base, world.student)
    post_url = f"{base}/posts/{world.post.id}"
    page.goto(post_url)
    reply_box = page.locator("#reply-body-post")
    reply_box.fill(text)
    page.context.clear_cookies()  # the session ends while the student writes
    page.locator("form", has=reply_box).get_by_role("button", name="Post reply").click()
    page.wait_for_url(f"{base}/login?**")
    expect(page.get_by_text("kept in this browser")).to_be_visible()
    _log_in_again(page, world.student)
    page.wait_for_url(post_url)
    expect(reply_box).to_have_value(text)
    notice = page.locator(".compose-notice", has_text="is back in the form")
    expect(notice).to_be_visible()
    assert _serious(page) == []

    page.locator("form", has=reply_box).get_by_role("button", name="Post reply").click()
    page.get_by_text("Reply posted.").wait_for()
    page.wait_for_load_state("load")  # as below: the page's script forgets the text
    page.goto(post_url)
    expect(reply_box).to_have_value("")
    expect(page.locator(".compose-notice")).to_have_count(0)


def test_a_new_post_survives_a_reload_and_a_logout_elsewhere_and_goes_once_saved(
        world, live_server, page):  # noqa: F811
    base = live_server
    _log_in(page, base, world.student)
    form_url = f"{base}/discussions/{world.discussion.id}/posts/new"
    page.goto(form_url)
    page.get_by_label("Title").fill("Kept through everything")
    page.get_by_label("Your post").fill("The **Dawes Plan** eased payments in 1924.")
    page.reload()
    expect(page.get_by_label("Your post")).to_have_value(
        "The **Dawes Plan** eased payments in 1924.")
    expect(page.get_by_label("Title")).to_have_value("Kept through everything")

    # Discard is a button: the text goes, from the form and from the browser.
    discard = page.get_by_role("button", name="Discard it")
    if discard.count():  # the notice shows when the form came back empty
        discard.press("Enter")
        expect(page.get_by_label("Your post")).to_have_value("")
        expect(page.get_by_label("Your post")).to_be_focused()
        page.reload()
        expect(page.get_by_label("Your post")).to_have_value("")
        page.get_by_label("Title").fill("Kept through everything")
        page.get_by_label("Your post").fill("The **Dawes Plan** eased payments in 1924.")

    # The student logs out in another tab, then publishes here.
    other = page.context.new_page()
    other.goto(f"{base}/")
    with other.expect_navigation():  # closing a tab mid-navigation can hang Chromium
        other.get_by_role("button", name="Log out").click()
    other.close()
    page.get_by_role("button", name="Publish").click()
    page.wait_for_url(f"{base}/login?**")
    _log_in_again(page, world.student)
    page.wait_for_url(form_url)
    expect(page.get_by_label("Your post")).to_have_value(
        "The **Dawes Plan** eased payments in 1924.")
    expect(page.get_by_label("Title")).to_have_value("Kept through everything")

    page.get_by_role("button", name="Publish").click()
    page.get_by_text("Post published.").wait_for()
    # The confirming page's script forgets the text once it runs: let it run before leaving.
    page.wait_for_load_state("load")
    page.goto(form_url)
    expect(page.get_by_label("Your post")).to_have_value("")
    expect(page.get_by_label("Title")).to_have_value("")
    expect(page.locator(".compose-notice")).to_have_count(0)
