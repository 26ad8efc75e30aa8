"""In a real Chromium: a student writes a post with an image, its alt text and credit,
publishes it, and sees the figure with its caption. Runs where Debian's Chromium is."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from PIL import Image as PILImage
from werkzeug.serving import make_server

from forum import create_app
from tests.test_browser import (
    _log_in,
    browser_type_launch_args,  # noqa: F401 - Debian's Chromium
    pytestmark,  # noqa: F401 - browser mark, skipped without it
)


@pytest.fixture
def live_server(app, database_url, tmp_path) -> Iterator[str]:
    """The app over real HTTP, CSRF on, on the test's database, uploads in tmp_path."""
    served = create_app({"SECRET_KEY": "browser-test", "SQLALCHEMY_DATABASE_URI": database_url,
                         "FORUM_UPLOADS_DIR": str(tmp_path / "uploads"), "FORUM_QUEUE_URL": "none"})
    server = make_server("127.0.0.1", 0, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    with served.app_context():
        from forum.extensions import db

        db.engine.dispose()


def test_a_student_posts_an_image_with_alt_text_and_credit(world, live_server, page, tmp_path):
    picture = tmp_path / "essen.png"
    PILImage.new("RGB", (300, 200), (40, 90, 160)).save(picture)
    base = live_server
    _log_in(page, base, world.student)
    page.goto(f"{base}/discussions/{world.discussion.id}/posts/new")
    page.get_by_label("Title").fill("The occupation in pictures")
    page.get_by_label("Your post").fill("French troops entered Essen in January 1923.")
    page.get_by_label("Image file").set_input_files(str(picture))
    page.locator("#images-0-alt").fill("French soldiers at a street corner in Essen")
    page.locator("#images-0-credit").fill("Photo: Bundesarchiv")
    page.locator("#images-0-credit_url").fill("https://example.org/essen-1923")
    page.get_by_role("button", name="Publish").click()
    page.get_by_text("Post published.").wait_for()

    figure = page.locator("figure.post-image")
    image = figure.get_by_role("img", name="French soldiers at a street corner in Essen")
    assert image.is_visible()
    # decode() waits for the file to arrive: the page may show before its image has.
    assert image.evaluate("img => img.decode().then(() => img.naturalWidth)") == 300
    caption = figure.locator("figcaption")
    assert caption.inner_text().strip() == "Photo: Bundesarchiv"
    assert caption.get_by_role("link", name="Photo: Bundesarchiv").get_attribute("href") \
        == "https://example.org/essen-1923"

    # On a phone, the image fits the column.
    page.set_viewport_size({"width": 390, "height": 800})
    assert image.evaluate("img => img.getBoundingClientRect().width") <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
