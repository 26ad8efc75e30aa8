"""Input written to break things ends in a clear 4xx and changes nothing: huge page
numbers, lone surrogates, malformed URLs, deep JSON, ids in other scripts' digits."""

from __future__ import annotations

import pytest

from forum.extensions import db
from forum.models import Post, Reply
from tests.factories import PASSWORD

SURROGATE = "\ud800"


def _count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


# Item 5: any page number

@pytest.mark.parametrize("page", [4611686018427387904, 2**63, 10**40])
@pytest.mark.parametrize("url", ["/api/v1/discussions/{discussion}/posts",
                                 "/api/v1/posts/{post}/replies", "/api/v1/tokens"])
def test_a_huge_page_number_is_refused_with_422(world, api, url, page):
    url = url.format(discussion=world.discussion.id, post=world.post.id)
    response = api.get(world.student, f"{url}?page={page}")
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert "page" in response.json["errors"]


def test_a_page_past_the_last_is_empty(world, api):
    response = api.get(world.student,
                       f"/api/v1/discussions/{world.discussion.id}/posts?page=1000000")
    assert response.status_code == 200 and response.json == []


def test_the_document_states_the_bound_on_page(api):
    spec = api.get(None, "/api/v1/openapi.json").json
    parameters = spec["paths"]["/api/v1/discussions/{discussion_id}/posts"]["get"]["parameters"]
    page = next(p for p in parameters if p["name"] == "page")
    assert page["schema"]["maximum"] == 1_000_000


# Item 6: lone surrogates, wherever text enters

def test_a_lone_surrogate_in_token_credentials_is_refused(world, api):
    for body in ({"email": world.student.email + SURROGATE, "password": PASSWORD},
                 {"email": world.student.email, "password": PASSWORD + SURROGATE},
                 {"email": world.student.email, "password": PASSWORD, "name": SURROGATE}):
        response = api.post(None, "/api/v1/tokens", json=body)
        assert response.status_code == 422, response.get_data(as_text=True)[:300]


def test_a_lone_surrogate_in_a_reply_or_display_name_is_refused(world, api):
    replies = _count(Reply)
    response = api.post(world.student, f"/api/v1/posts/{world.post.id}/replies",
                        json={"body": f"Half a pair {SURROGATE} here"})
    assert response.status_code == 422 and "body" in response.json["errors"]
    response = api.patch(world.student, "/api/v1/me", {"display_name": f"Ana{SURROGATE}"})
    assert response.status_code == 422 and "display_name" in response.json["errors"]
    response = api.post(world.instructor, f"/api/v1/posts/{world.post.id}/annotations",
                        json={"quote": "harsh in tone", "body": SURROGATE + "x"})
    assert response.status_code == 422
    assert _count(Reply) == replies
    db.session.expire_all()
    assert world.student.display_name == "Ana Lindqvist"


def test_a_lone_surrogate_is_refused_by_the_services_too(world):
    from forum.errors import Invalid
    from forum.services.replies import reply_to

    with pytest.raises(Invalid) as refused:
        reply_to(world.student, world.post, None, f"x{SURROGATE}")
    assert "body" in refused.value.errors


@pytest.mark.parametrize("form", ["login", "register"])
def test_a_lone_surrogate_in_a_web_form_sent_as_json_is_refused(client, world, form):
    """Flask-WTF reads JSON bodies too, and JSON can spell a lone surrogate."""
    fields = {"email": world.student.email + SURROGATE, "password": PASSWORD,
              "display_name": "New person"}
    response = client.post(f"/{form}", json=fields)
    assert response.status_code == 422


# Item 7: URLs that urlparse cannot read

@pytest.mark.parametrize("url", ["http://[oops", "https://[::1/x", "http://example.org:99999/"])
def test_a_malformed_source_url_is_a_field_error(world, api, login_as, url):
    posts = _count(Post)
    response = api.post(world.student, f"/api/v1/discussions/{world.discussion.id}/posts",
                        json={"title": "T", "body": "B",
                              "sources": [{"citation": "Keynes", "url": url}]})
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert any("url" in field for field in response.json["errors"])
    response = api.patch(world.student, f"/api/v1/posts/{world.post.id}",
                         {"sources": [{"citation": "Keynes", "url": url}]})
    assert response.status_code == 422
    page = login_as(world.student).post(
        f"/discussions/{world.discussion.id}/posts/new",
        data={"title": "T", "body": "B", "sources-0-citation": "Keynes",
              "sources-0-url": url, "publish": "Publish"})
    assert page.status_code == 422
    assert _count(Post) == posts


@pytest.mark.parametrize("target", ["//[oops", "/[x", "http://[::1"])
def test_a_malformed_next_after_login_goes_home(client, world, target):
    response = client.post("/login", data={"email": world.student.email,
                                           "password": PASSWORD, "next": target})
    assert response.status_code == 302


# Item 8: deep JSON

@pytest.mark.parametrize("url", ["/api/v1/tokens", "/api/v1/posts/{post}/replies"])
def test_deeply_nested_json_is_a_400_in_the_usual_shape(world, api, url):
    url = url.format(post=world.post.id)
    response = api.client.post(url, data="[" * 50_000, content_type="application/json")
    assert response.status_code == 400
    assert set(response.json) == {"code", "status", "message", "errors"}


def test_json_nested_past_any_input_is_refused_before_parsing(world, api):
    body = '{"body": ' + "[" * 100 + "]" * 100 + "}"
    response = api.client.post(f"/api/v1/posts/{world.post.id}/replies", data=body,
                               content_type="application/json")
    assert response.status_code == 400 and "nested" in response.json["message"]


# Item 16: ids are ASCII digits

@pytest.mark.parametrize("zero", ["\u0660", "\uff10", "\u0966"])  # Arabic, fullwidth, Devanagari
def test_ids_in_other_digits_open_nothing(world, api, login_as, zero):
    post_id = str(world.post.id)
    foreign = "".join(chr(ord(zero) + int(digit)) for digit in post_id)
    assert api.get(world.student, f"/api/v1/posts/{post_id}").status_code == 200
    assert api.get(world.student, f"/api/v1/posts/{foreign}").status_code == 404
    assert login_as(world.student).get(f"/posts/{post_id}").status_code == 200
    assert login_as(world.student).get(f"/posts/{foreign}").status_code == 404
