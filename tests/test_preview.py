"""Preview renders a text exactly as saving it would, through either door (the API with or
without a token, the pages with their session and CSRF token), saves nothing, and is
limited; and a form refused for an ended session or a limit sends its writer back to
the page that showed it."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.services.markup import render_markdown
from forum.services.validation import BODY_MAX
from tests.test_security import active_markup

MARKDOWN = ("  A *careful* claim with **strong** words and [a source](https://example.org/s).\n\n"
            "- one\n- two\n\n> quoted\n\n| a | b |\n|---|---|\n| 1 | 2 |\n  ")
HOSTILE = ('<script>alert(1)</script> <img src=x onerror="alert(2)">\n\n'
           '[click](javascript:alert(3)) [mail](mailto:a@example.org) '
           '![pic](javascript:alert(5)) [ok](https://example.org/ "t")')


def _rows() -> dict[str, int]:
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


def _next(response) -> str:
    """Where the login page sends its writer back to."""
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    return parse_qs(location.query)["next"][0]


def _web_preview(client, body, **kwargs):
    return client.post("/preview", json={"body": body}, **kwargs)


def test_the_api_preview_is_what_saving_the_same_body_stores(world, api):
    response = api.post(world.student, "/api/v1/preview", json={"body": MARKDOWN})
    assert response.status_code == 200, response.json
    created = api.post(world.student, f"/api/v1/discussions/{world.discussion.id}/posts",
                       json={"title": "Same text", "body": MARKDOWN})
    assert created.status_code == 201, created.json
    assert response.json == {"html": created.json["body_html"]}
    assert "<em>careful</em>" in response.json["html"]
    assert 'rel="nofollow ugc"' in response.json["html"]


def test_the_pages_preview_is_the_same_as_the_api(world, api, login_as):
    by_api = api.post(None, "/api/v1/preview", json={"body": MARKDOWN}).json["html"]
    by_page = _web_preview(login_as(world.student), MARKDOWN)
    assert by_page.status_code == 200
    assert by_page.json == {"html": by_api} == {"html": render_markdown(MARKDOWN.strip())}
    # A form's fields work too (the page's forms could send one).
    as_form = login_as(world.student).post("/preview", data={"body": MARKDOWN})
    assert as_form.json == {"html": by_api}


def test_the_sanitizer_applies(world, api, login_as):
    for response in (api.post(None, "/api/v1/preview", json={"body": HOSTILE}),
                     _web_preview(login_as(world.student), HOSTILE)):
        assert response.status_code == 200
        html = response.json["html"]
        assert active_markup(html) == []
        assert "<script" not in html and "<img" not in html.split("</p>")[0]
        assert 'href="javascript' not in html and 'src="javascript' not in html
        assert '<a href="https://example.org/" title="t" rel="nofollow ugc">ok</a>' in html


@pytest.mark.parametrize("body, message", [
    ("x" * (BODY_MAX + 1), "at most"),
    ("Before\x00after", "NUL"),
    ("   \n ", None),
])
def test_what_the_forms_refuse_is_a_422_with_a_field_error(world, api, login_as, body,
                                                           message):
    by_api = api.post(world.student, "/api/v1/preview", json={"body": body})
    by_page = _web_preview(login_as(world.student), body)
    for response in (by_api, by_page):
        assert response.status_code == 422
        assert response.json["errors"]["body"]
    if message:  # the service's words (the API's schema words it in its own)
        assert message in " ".join(by_page.json["errors"]["body"])


def test_the_largest_body_previews(api):
    body = "Word *and* word. " * (BODY_MAX // 17)
    response = api.post(None, "/api/v1/preview", json={"body": body})
    assert response.status_code == 200 and response.json["html"].startswith("<p>")


def test_the_api_refuses_other_fields_and_a_bad_token(world, api):
    extra = api.post(None, "/api/v1/preview", json={"body": "x", "author_id": 1})
    assert extra.status_code == 422 and "author_id" in extra.json["errors"]
    refused = api.call(None, "POST", "/api/v1/preview", json={"body": "x"}, token="nope")
    assert refused.status_code == 401


def test_a_preview_writes_nothing(world, api, login_as):
    api.token_for(world.student)
    before = _rows()
    assert api.post(world.student, "/api/v1/preview", json={"body": "A"}).status_code == 200
    assert api.post(None, "/api/v1/preview", json={"body": "B"}).status_code == 200
    assert _web_preview(login_as(world.student), "C").status_code == 200
    assert _web_preview(login_as(None), "D").status_code == 200
    db.session.expire_all()
    assert _rows() == before


class TestLimits:
    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True, "FORUM_LIMIT_PREVIEW": "2/minute"}

    def test_anonymous_callers_may_preview_a_few_times_a_minute(self, world, api, login_as):
        statuses = [api.post(None, "/api/v1/preview", json={"body": "x"}).status_code
                    for _ in range(3)]
        assert statuses == [200, 200, 429]
        refused = api.post(None, "/api/v1/preview", json={"body": "x"})
        assert refused.is_json and int(refused.headers["Retry-After"]) > 0
        client = login_as(None)
        assert [_web_preview(client, "x").status_code for _ in range(3)] == [200, 200, 429]

    def test_previews_count_per_person_and_not_against_writing(self, world, api, login_as):
        assert [_web_preview(login_as(world.student), "x").status_code
                for _ in range(3)] == [200, 200, 429]
        assert _web_preview(login_as(world.classmate), "x").status_code == 200
        token_calls = [api.post(world.student, "/api/v1/preview", json={"body": "x"})
                       for _ in range(3)]
        assert [r.status_code for r in token_calls] == [200, 200, 429]
        reply = api.post(world.student, f"/api/v1/posts/{world.post.id}/replies",
                         json={"body": "Still free to write."})
        assert reply.status_code == 201


class TestWithCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def _token(self, client, url: str) -> str:
        page = client.get(url).get_data(as_text=True)
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    def test_the_page_door_takes_the_forms_token_in_a_header(self, world, login_as):
        client = login_as(world.student)
        assert _web_preview(client, "*x*").status_code == 400
        token = self._token(client, f"/posts/{world.post.id}")
        response = _web_preview(client, "*x*", headers={"X-CSRFToken": token})
        assert response.status_code == 200 and response.json["html"] == "<p><em>x</em></p>\n"

    def test_a_reply_sent_after_the_session_ended_goes_through_login_back_to_the_page(
            self, world, login_as):
        client = login_as(world.student)
        page = f"/posts/{world.post.id}"
        token = self._token(client, page)
        login_as(None)  # the session ended: its CSRF secret went with it
        before = _rows()
        response = client.post(f"{page}/replies", data={"body": "Typed", "csrf_token": token},
                               headers={"Referer": f"http://localhost{page}"})
        assert response.status_code == 302 and _next(response) == page
        login = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "kept in this browser" in login
        assert _rows() == before

    def test_a_signed_in_writer_with_a_stale_token_is_told_the_text_is_kept(
            self, world, login_as):
        client = login_as(world.student)
        page = f"/posts/{world.post.id}"
        response = client.post(f"{page}/replies", data={"body": "Typed", "csrf_token": "old"},
                               headers={"Referer": f"http://localhost{page}"})
        assert response.status_code == 400
        html = response.get_data(as_text=True)
        assert "did not come from this site" in html and "kept in this browser" in html
        assert f'href="{page}"' in html

    def test_a_guest_whose_page_expired_goes_back_to_the_post(self, blog, client):
        page = f"/posts/{blog.post.id}"
        response = client.post(f"{page}/comments", data={
            "name": "Visitor", "email": "v@example.org", "body": "Typed",
            "csrf_token": "stale"})
        assert response.status_code == 302 and response.headers["Location"] == page
        assert "kept in this browser" in client.get(page).get_data(as_text=True)


def test_a_form_sent_without_a_session_asks_to_log_in_and_returns_to_the_page(world, client):
    """Without a Referer, the nearest page above the form's URL."""
    response = client.post(f"/posts/{world.post.id}/replies", data={"body": "Typed"})
    assert response.status_code == 302 and _next(response) == f"/posts/{world.post.id}"
    edit = client.post(f"/replies/{world.reply.id}/edit", data={"body": "Typed"})
    assert _next(edit) == f"/replies/{world.reply.id}/edit"
    # A page, as before: back to itself, query and all.
    page = client.get(f"/discussions/{world.discussion.id}/posts/new?x=1")
    assert _next(page) == f"/discussions/{world.discussion.id}/posts/new?x=1"


def test_a_referer_from_elsewhere_is_not_followed(world, client):
    response = client.post(f"/posts/{world.post.id}/replies", data={"body": "Typed"},
                           headers={"Referer": "https://evil.example/posts/1"})
    assert _next(response) == f"/posts/{world.post.id}"


class TestWritingLimit:
    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True, "FORUM_LIMIT_WRITES": "1/minute"}

    def test_a_reply_over_the_limit_says_the_text_is_kept(self, world, login_as):
        client = login_as(world.student)
        url = f"/posts/{world.post.id}/replies"
        assert client.post(url, data={"body": "First"}).status_code == 302
        refused = client.post(url, data={"body": "Second"})
        assert refused.status_code == 429
        html = refused.get_data(as_text=True)
        assert "nothing was sent" in html and "kept in this browser" in html
        assert f'href="/posts/{world.post.id}"' in html
