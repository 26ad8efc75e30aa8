"""A public course's pages, as a visitor without a session sees them, answer conditional
requests (ETag, 304, a short `Cache-Control: public`, `Vary: Cookie`); nobody else's
page ever does, and every change the page shows gives it a new ETag."""

from __future__ import annotations

import re

import pytest

from forum.extensions import db
from forum.models import Visibility
from forum.services import accounts, moderation, reactions
from forum.services import posts as post_service
from forum.web.thread_view import GUEST_COMMENTS


def _pages(world) -> dict[str, str]:
    return {"post": f"/posts/{world.post.id}",
            "discussion": f"/discussions/{world.discussion.id}",
            "course": f"/courses/{world.course.id}"}


def _fresh(app):
    """A visitor's browser with no cookie at all."""
    return app.test_client()


def _is_shared(response) -> bool:
    return response.cache_control.public is True


@pytest.mark.parametrize("page", ["post", "discussion", "course"])
def test_a_repeated_anonymous_request_is_answered_304(app, blog, page):
    url = _pages(blog)[page]
    first = _fresh(app).get(url)
    assert first.status_code == 200 and _is_shared(first)
    assert 0 < first.cache_control.max_age <= app.config["FORUM_PUBLIC_MAX_AGE"]
    assert "Cookie" in first.vary
    assert "Set-Cookie" not in first.headers  # the page starts no session
    etag = first.headers["ETag"]
    again = _fresh(app).get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag and _is_shared(again) and "Cookie" in again.vary
    other = _fresh(app).get(url, headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200 and other.data == first.data


def test_the_304_of_the_post_page_costs_few_statements(app, blog, count_queries):
    url = _pages(blog)["post"]
    etag = _fresh(app).get(url).headers["ETag"]
    with count_queries() as counter:
        answer = _fresh(app).get(url, headers={"If-None-Match": etag})
    assert answer.status_code == 304
    assert counter.count <= 1, counter.statements


def _etag(app, blog) -> str:
    response = _fresh(app).get(_pages(blog)["post"])
    assert response.status_code == 200 and _is_shared(response)
    return response.headers["ETag"]


def _reply(blog, make):
    make.reply(blog.post, blog.classmate, body="A new answer in the thread.")


def _edit(blog, make):
    post = blog.post
    post_service.update_post(blog.student, post, version=post.version, title=post.title,
                             body=post.body + " An afterthought.", publish=True)


def _hide_reply(blog, make):
    moderation.moderate(blog.ta, blog.reply, "hide", "Off topic")


def _rename(blog, make):
    accounts.update_profile(blog.student, "Ana L. Lindqvist")


def _like_post(blog, make):
    reactions.like(blog.classmate, blog.post)


def _lock(blog, make):
    blog.post.locked_at = blog.post.created_at  # as staff lock a thread
    db.session.commit()


def _discussion_title(blog, make):
    blog.discussion.title = "The Treaty, again"
    db.session.commit()


def _course_code(blog, make):
    blog.course.code = "HIST-2040"
    db.session.commit()


@pytest.mark.parametrize("change", [_reply, _edit, _hide_reply, _rename, _like_post, _lock,
                                    _discussion_title, _course_code])
def test_every_change_the_post_page_shows_gives_a_new_etag(app, blog, make, change):
    url = _pages(blog)["post"]
    before = _fresh(app).get(url)
    change(blog, make)
    after = _fresh(app).get(url, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.data != before.data
    assert after.headers["ETag"] != before.headers["ETag"]
    assert _fresh(app).get(url, headers={"If-None-Match": after.headers["ETag"]}
                           ).status_code == 304


@pytest.mark.parametrize("page", ["discussion", "course"])
def test_a_new_post_or_reply_changes_the_lists_etag(app, blog, make, page):
    url = _pages(blog)[page]
    before = _fresh(app).get(url).headers["ETag"]
    make.post(blog.discussion, blog.classmate, title="A second look at the treaty")
    after = _fresh(app).get(url, headers={"If-None-Match": before})
    assert after.status_code == 200 and after.headers["ETag"] != before


@pytest.mark.parametrize("page", ["post", "discussion", "course"])
@pytest.mark.parametrize("seat", ["student", "ta", "instructor", "outsider", "admin"])
def test_signed_in_people_never_get_a_shared_page(app, blog, login_as, page, seat):
    url = _pages(blog)[page]
    etag = _fresh(app).get(url).headers["ETag"]
    client = login_as(getattr(blog, seat))
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert not _is_shared(response) and response.cache_control.no_store
    assert "ETag" not in response.headers


@pytest.mark.parametrize("page", ["post", "discussion", "course"])
def test_a_private_courses_pages_are_never_public(app, world, login_as, page):
    url = _pages(world)[page]
    response = login_as(world.student).get(url)
    assert response.status_code == 200 and not _is_shared(response)
    assert response.cache_control.no_store
    world.discussion.visibility = Visibility.PUBLIC  # one discussion shown to all
    db.session.commit()
    anonymous = _fresh(app).get(url)
    assert not _is_shared(anonymous) and "ETag" not in anonymous.headers


def test_a_visitor_with_a_held_comment_is_not_served_the_shared_page(app, blog, make):
    url = _pages(blog)["post"]
    comment = make.guest_comment(blog.post, "My own words, waiting for review.")
    assert comment.is_held
    shared = _fresh(app).get(url)
    assert _is_shared(shared) and "waiting for review" not in shared.text
    visitor = _fresh(app)
    with visitor.session_transaction() as session:
        session[GUEST_COMMENTS] = {str(comment.guest_id): blog.post.id}
    for headers in ({}, {"If-None-Match": shared.headers["ETag"]}):
        response = visitor.get(url, headers=headers)
        assert response.status_code == 200 and "waiting for review" in response.text
        assert not _is_shared(response) and response.cache_control.no_store
        assert "ETag" not in response.headers
    # Everyone else still shares one page, without the held comment.
    others = _fresh(app).get(url, headers={"If-None-Match": shared.headers["ETag"]})
    assert others.status_code == 304


class TestTheSharedPagesGuestForm:
    """The shared page holds no visitor's CSRF token: the form asks for this browser's
    own when the visitor starts writing (static/guest-form.js)."""

    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True, "FORUM_GUEST_MIN_SECONDS": 0}

    def test_no_token_on_the_shared_page_and_one_to_ask_for(self, app, blog):
        visitor = _fresh(app)
        page = visitor.get(_pages(blog)["post"])
        assert _is_shared(page) and "Set-Cookie" not in page.headers
        assert re.search(r'name="csrf_token" value=""', page.text)
        token_url = re.search(r'data-form-token="([^"]+)"', page.text).group(1)
        assert "guest-form.js" in page.text
        asked = visitor.get(token_url)
        assert asked.status_code == 200 and asked.cache_control.no_store
        assert asked.cache_control.private and "Set-Cookie" in asked.headers
        sent = visitor.post(f"/posts/{blog.post.id}/comments", data={
            "csrf_token": asked.json["csrf_token"], "started": asked.json["started"],
            "name": "Grete Visitor", "email": "grete@example.org",
            "body": "The reparations were lighter than people say."})
        assert sent.status_code == 302, sent.text
        mine = visitor.get(_pages(blog)["post"])  # the held comment is this visitor's
        assert "lighter than people say" in mine.text and not _is_shared(mine)

    def test_a_comment_sent_without_the_token_is_refused_and_offered_back(self, app, blog):
        visitor = _fresh(app)
        visitor.get(_pages(blog)["post"])
        sent = visitor.post(f"/posts/{blog.post.id}/comments", data={
            "csrf_token": "", "name": "Grete", "email": "grete@example.org",
            "body": "Sent from a browser without scripts."})
        assert sent.status_code == 302
        again = visitor.get(sent.headers["Location"])
        assert not _is_shared(again)
        assert re.search(r'name="csrf_token" type="hidden" value="[^"]+"', again.text)

    def test_no_token_where_guests_may_not_comment(self, app, world):
        world.course.visibility = Visibility.PUBLIC  # guest comments stay off
        db.session.commit()
        refused = _fresh(app).get(f"/posts/{world.post.id}/comments/form-token")
        missing = _fresh(app).get("/posts/999999/comments/form-token")
        assert refused.status_code == missing.status_code != 200
