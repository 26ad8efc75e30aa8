"""Hostile input ends safely: markup, CSRF, headers, odd ids and sizes."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Post, Reply
from forum.services.markup import render_markdown

XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<img src=x onerror=alert(1)",
    "[x](javascript:alert(1))",
    "[x](JAVASCRIPT:alert(1))",
    "[x]( javascript:alert(1))",
    "[x](java&#x09;script:alert(1))",
    "![a](data:text/html,<script>alert(1)</script>)",
    "<svg><script>alert(1)</script></svg>",
    '<iframe src="https://evil.example"></iframe>',
    '<form action="https://evil.example"><input name=x></form>',
    '"><svg onload=alert(1)>',
]

ACTIVE_TAGS = {"script", "svg", "iframe", "form", "input", "object", "embed", "style", "math"}


class ActiveMarkup(HTMLParser):
    """Collects what a browser would act on: active tags, event handlers, script URLs."""

    def __init__(self, tags: set[str]):
        super().__init__()
        self.tags = tags
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.tags:
            self.found.append(tag)
        for name, value in attrs:
            url = re.sub(r"[\s\x00-\x1f]", "", value or "").lower()
            if name.startswith("on") or (name in {"href", "src"} and
                                         url.startswith(("javascript:", "data:", "vbscript:"))):
                self.found.append(f"{tag}[{name}={value}]")


def active_markup(html: str, tags: set[str] = ACTIVE_TAGS) -> list[str]:
    parser = ActiveMarkup(tags)
    parser.feed(html)
    return parser.found


def _user_content(page: str) -> str:
    """The page without the site's own markup around main content."""
    return page.split('<main id="main"', 1)[1].split("</main>", 1)[0]


@pytest.mark.parametrize("payload", XSS)
def test_markdown_never_keeps_active_content(payload):
    assert active_markup(render_markdown(payload)) == []


@pytest.mark.parametrize("payload", XSS)
def test_payloads_in_every_field_are_shown_as_text(world, make, login_as, payload):
    author = make.member(world.course, name=payload)
    post = make.post(world.discussion, author, title=payload, body=payload,
                     sources=[(payload, None)])
    make.reply(post, world.classmate, body=payload)
    for url in (f"/posts/{post.id}", f"/discussions/{world.discussion.id}", "/"):
        page = login_as(world.student if url != "/" else author).get(url).get_data(as_text=True)
        # The page's own forms are expected; markup tests above cover injected ones.
        assert active_markup(_user_content(page), ACTIVE_TAGS - {"form", "input"}) == [], url


def test_links_in_posts_are_marked_nofollow_ugc(world, make, login_as):
    post = make.post(world.discussion, body="See [the treaty](https://example.org/treaty).")
    page = login_as(world.student).get(f"/posts/{post.id}").get_data(as_text=True)
    assert '<a href="https://example.org/treaty" rel="nofollow ugc">the treaty</a>' in page


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list("<>\"'=/:()[]!&#; \n\tjavascriptonerrorimgsvg")),
               max_size=80))
def test_no_generated_text_yields_active_markup(text):
    assert active_markup(render_markdown(text)) == []


class TestCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_a_post_without_the_token_changes_nothing(self, world, login_as):
        client = login_as(world.instructor)
        response = client.post(f"/replies/{world.reply.id}/delete")
        assert response.status_code == 400
        assert "did not come from this site" in response.get_data(as_text=True)
        db.session.refresh(world.reply)
        assert world.reply.deleted_at is None

    def test_a_post_with_a_forged_token_changes_nothing(self, world, login_as):
        client = login_as(world.student)
        response = client.post(f"/posts/{world.post.id}/replies",
                               data={"body": "forged", "csrf_token": "not-a-token"})
        assert response.status_code == 400
        assert db.session.scalar(select(func.count()).select_from(Reply)) == 2

    def test_the_token_from_the_page_works(self, world, login_as):
        client = login_as(world.student)
        page = client.get(f"/posts/{world.post.id}").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        response = client.post(f"/posts/{world.post.id}/replies",
                               data={"body": "genuine", "csrf_token": token})
        assert response.status_code == 302


def test_pages_send_protective_headers(world, login_as):
    response = login_as(world.student).get(f"/posts/{world.post.id}")
    policy = response.headers["Content-Security-Policy"]
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'",
                      "script-src 'self'"):
        assert directive in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("url", [
    "/posts/9999999999999999999999999999999999999999",
    "/posts/0", "/posts/-1", "/discussions/2147483648", "/replies/99999999999/edit",
    "/courses/abc",
])
def test_odd_ids_are_not_found_never_an_error(world, login_as, url):
    assert login_as(world.student).get(url).status_code == 404


def test_get_never_changes_state(world, login_as):
    client = login_as(world.student)
    for url in (f"/posts/{world.post.id}/delete", f"/replies/{world.reply.id}/delete",
                f"/discussions/{world.discussion.id}/close"):
        assert client.get(url).status_code == 405
    db.session.refresh(world.post)
    assert world.post.deleted_at is None


class TestSizeLimit:
    @pytest.fixture
    def app_config(self):
        return {"MAX_CONTENT_LENGTH": 200_000}

    def test_an_oversized_request_is_refused_with_413(self, world, login_as):
        response = login_as(world.student).post(
            f"/discussions/{world.discussion.id}/posts/new",
            data={"title": "Huge", "body": "x" * 300_000, "publish": "Publish"})
        assert response.status_code == 413
        assert db.session.scalar(select(func.count()).select_from(Post)) == 1


def test_unknown_pages_get_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "There is no page at this address." in response.get_data(as_text=True)


def test_an_unexpected_error_shows_no_traceback(app, client):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = client.get("/boom")
    assert response.status_code == 500
    assert "secret internals" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
