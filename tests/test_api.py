"""The JSON API's conventions: tokens, errors, pagination, ETags, privacy, limits."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import ApiToken, Enrollment, Post, Reply, Revision, utcnow
from forum.services.tokens import create_token
from tests.conftest import redis_test_url
from tests.factories import PASSWORD


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


class TestTokens:
    def test_a_token_is_shown_once_and_stored_only_as_a_hash(self, world, api):
        response = api.post(None, "/api/v1/tokens", {"email": world.student.email,
                                                     "password": PASSWORD, "name": "phone"})
        assert response.status_code == 201
        secret = response.json["token"]
        assert len(secret) >= 43  # 32 random bytes, url-safe
        stored = db.session.scalar(select(ApiToken))
        assert secret not in (stored.token_hash, stored.prefix) and secret.startswith(
            stored.prefix)
        listing = api.get(world.student, "/api/v1/tokens")
        assert secret not in listing.get_data(as_text=True)
        me = api.get(None, "/api/v1/me", token=secret)
        assert me.json["email"] == world.student.email

    def test_wrong_password_and_unknown_account_get_the_same_answer(self, world, api):
        wrong = api.post(None, "/api/v1/tokens", {"email": world.student.email,
                                                  "password": "not it"})
        unknown = api.post(None, "/api/v1/tokens", {"email": "ghost@example.edu",
                                                    "password": "not it"})
        assert wrong.status_code == unknown.status_code == 401
        assert wrong.json == unknown.json

    @pytest.mark.parametrize("spoil", ["revoke", "expire", "disable"])
    def test_a_spoiled_token_is_refused_at_once(self, world, api, spoil):
        token, secret = create_token(world.student, "t", expires_in_days=30)
        assert api.get(None, "/api/v1/me", token=secret).status_code == 200
        if spoil == "revoke":
            api.delete(world.student, f"/api/v1/tokens/{token.id}")
        elif spoil == "expire":
            token.expires_at = utcnow() - timedelta(seconds=1)
        else:
            world.student.is_disabled = True
        db.session.commit()
        response = api.get(None, "/api/v1/me", token=secret)
        assert response.status_code == 401
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]

    def test_a_removed_member_loses_the_course_on_the_next_request(self, world, api):
        url = f"/api/v1/courses/{world.course.id}"
        assert api.get(world.student, url).status_code == 200
        db.session.execute(Enrollment.__table__.delete().where(
            Enrollment.user_id == world.student.id))
        db.session.commit()
        assert api.get(world.student, url).status_code == 404

    def test_a_session_cookie_alone_does_not_authorize_the_api(self, world, login_as, client):
        login_as(world.student)
        response = client.post(f"/api/v1/posts/{world.post.id}/replies",
                               json={"body": "via cookie"})
        assert response.status_code == 401
        assert _count(Reply, Reply.body == "via cookie") == 0

    def test_a_token_in_the_url_is_ignored(self, world, api):
        _, secret = create_token(world.student, "t")
        assert api.client.get(f"/api/v1/me?access_token={secret}").status_code == 401


class TestErrors:
    def test_unknown_route_is_json_404(self, client):
        response = client.get("/api/v1/nothing/here")
        assert response.status_code == 404 and response.is_json
        assert response.json["status"] == "Not Found"

    def test_wrong_method_is_405_with_allow(self, client):
        response = client.put("/api/v1/courses")
        assert response.status_code == 405 and response.is_json
        assert "GET" in response.headers["Allow"] and "POST" in response.headers["Allow"]

    def test_malformed_json_is_400(self, world, api):
        response = api.client.post(
            f"/api/v1/discussions/{world.discussion.id}/posts", data='{"title":',
            headers={"Content-Type": "application/json",
                     "Authorization": f"Bearer {api.token_for(world.student)}"})
        assert response.status_code == 400 and response.is_json

    def test_a_body_that_is_not_json_is_415(self, world, api):
        response = api.client.post(
            f"/api/v1/discussions/{world.discussion.id}/posts", data="title=x",
            headers={"Content-Type": "application/x-www-form-urlencoded",
                     "Authorization": f"Bearer {api.token_for(world.student)}"})
        assert response.status_code == 415 and response.is_json

    @pytest.mark.parametrize(("body", "field"), [
        ({"title": "t", "body": "b", "author_id": 1}, "author_id"),
        ({"title": "t", "body": "b", "course_id": 2}, "course_id"),
        ({"title": "t", "body": "b", "grade": 10}, "grade"),
        ({"title": "t", "body": "b", "reply_count": 9}, "reply_count"),
        ({"title": "t" * 201, "body": "b"}, "title"),
        ({"title": "t", "body": "b\x00"}, "body"),
        ({"title": "t", "body": 5}, "body"),
        ({"title": "   ", "body": "b"}, "title"),
    ])
    def test_fields_a_client_may_not_set_are_422_and_nothing_is_written(self, world, api,
                                                                         body, field):
        before = _count(Post)
        response = api.post(world.student, f"/api/v1/discussions/{world.discussion.id}/posts",
                            body)
        assert response.status_code == 422
        assert field in response.json["errors"]
        assert _count(Post) == before

    def test_nobody_makes_themselves_admin(self, world, api):
        response = api.patch(world.student, "/api/v1/me",
                             {"display_name": "Ana", "is_admin": True, "role": "instructor"})
        assert response.status_code == 422
        assert set(response.json["errors"]) == {"is_admin", "role"}
        db.session.refresh(world.student)
        assert not world.student.is_admin and world.student.display_name == "Ana Lindqvist"

    def test_a_huge_body_is_413(self, world, api, app):
        app.config["MAX_CONTENT_LENGTH"] = 100_000
        response = api.post(world.student, f"/api/v1/discussions/{world.discussion.id}/posts",
                            {"title": "t", "body": "x" * 200_000})
        assert response.status_code == 413 and response.is_json

    @pytest.mark.parametrize("url", [
        "/api/v1/posts/99999999999999999999999999999999999999",
        "/api/v1/posts/0", "/api/v1/replies/-4", "/api/v1/courses/abc",
    ])
    def test_odd_ids_are_404(self, world, api, url):
        response = api.get(world.student, url)
        assert response.status_code == 404 and response.is_json

    @pytest.mark.parametrize("query", ["page_size=0", "page_size=101", "page=-1",
                                       "page=abc", "page_size=99999999999999999999"])
    def test_bad_paging_is_422(self, world, api, query):
        response = api.get(world.student, f"/api/v1/posts/{world.post.id}/replies?{query}")
        assert response.status_code == 422


class TestPagination:
    def test_link_and_x_pagination_headers(self, world, make, api):
        for n in range(25):
            make.reply(world.post, world.classmate, body=f"Reply number {n}")
        url = f"/api/v1/posts/{world.post.id}/replies"
        response = api.get(world.student, f"{url}?page=2&page_size=10")
        assert len(response.json) == 10
        meta = json.loads(response.headers["X-Pagination"])
        assert meta["total"] == 27 and meta["total_pages"] == 3 and meta["page"] == 2
        links = response.headers["Link"]
        for rel, page in (("first", 1), ("prev", 1), ("next", 3), ("last", 3)):
            assert f'page={page}&page_size=10>; rel="{rel}"' in links
        assert len(api.get(world.student, url).json) == 20  # the default page size


class TestEtags:
    def test_get_gives_an_etag_and_honours_if_none_match(self, world, api):
        url = f"/api/v1/posts/{world.post.id}"
        etag = api.get(world.student, url).headers["ETag"]
        assert api.get(world.student, url, headers={"If-None-Match": etag}).status_code == 304

    def test_patch_needs_if_match_and_a_stale_one_changes_nothing(self, world, api):
        url = f"/api/v1/posts/{world.post.id}"
        missing = api.call(world.student, "PATCH", url, json={"title": "No precondition"})
        assert missing.status_code == 428
        etag = api.get(world.student, url).headers["ETag"]
        first = api.patch(world.student, url, {"title": "First"}, etag=etag)
        assert first.status_code == 200 and first.headers["ETag"] != etag
        second = api.patch(world.student, url, {"title": "Second"}, etag=etag)
        assert second.status_code == 412
        db.session.refresh(world.post)
        assert world.post.title == "First"
        assert _count(Revision) == 1


def test_two_clients_racing_on_one_etag_one_wins(world, api, app, database_url):
    """Both requests pass the ETag check; the version column still lets only one in."""
    import threading

    from werkzeug.serving import make_server

    from forum import create_app

    served = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url,
                         "RATELIMIT_ENABLED": False, "FORUM_QUEUE_URL": "none"})
    server = make_server("127.0.0.1", 0, served, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"/api/v1/posts/{world.post.id}"
    etag = api.get(world.student, url).headers["ETag"]
    secret = api.token_for(world.student)
    barrier, statuses = threading.Barrier(2), []

    def edit(title: str) -> None:
        import urllib.error
        import urllib.request

        request = urllib.request.Request(
            f"http://127.0.0.1:{server.server_port}{url}", method="PATCH",
            data=json.dumps({"title": title}).encode(),
            headers={"Authorization": f"Bearer {secret}", "If-Match": etag,
                     "Content-Type": "application/json"})
        barrier.wait()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                statuses.append(response.status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)

    db.session.commit()
    threads = [threading.Thread(target=edit, args=(t,)) for t in ("Left", "Right")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    server.shutdown()
    with served.app_context():
        db.engine.dispose()
    assert sorted(statuses) == [200, 412]
    assert _count(Revision, Revision.post_id == world.post.id) == 1


class TestPrivacy:
    def _everything(self, api, user, world) -> str:
        urls = ["/api/v1/me", "/api/v1/courses", f"/api/v1/courses/{world.course.id}/members",
                f"/api/v1/courses/{world.course.id}/discussions",
                f"/api/v1/discussions/{world.discussion.id}/posts",
                f"/api/v1/posts/{world.post.id}/thread", f"/api/v1/posts/{world.post.id}/replies",
                f"/api/v1/replies/{world.reply.id}", "/api/v1/me/prompts"]
        return " ".join(api.get(user, url).get_data(as_text=True) for url in urls)

    def test_students_never_see_other_peoples_emails(self, world, api):
        seen = self._everything(api, world.student, world)
        assert world.student.email in seen  # their own, on /me
        for other in (world.classmate, world.instructor, world.ta):
            assert other.email not in seen

    def test_staff_see_member_emails(self, world, api):
        members = api.get(world.ta, f"/api/v1/courses/{world.course.id}/members")
        assert world.classmate.email in members.get_data(as_text=True)

    def test_deleted_replies_are_bare_tombstones_for_students(self, world, make, api):
        make.reply(world.post, world.student, parent=world.reply, body="Under the deleted one")
        api.delete(world.classmate, f"/api/v1/replies/{world.reply.id}")
        thread = api.get(world.student, f"/api/v1/posts/{world.post.id}/thread").json
        tombstone = next(r for r in thread["replies"] if r["id"] == world.reply.id)
        assert tombstone == {"id": world.reply.id, "deleted": True, "parent_id": None,
                             "post_id": world.post.id, "depth": 0,
                             "replies": tombstone["replies"]}
        assert tombstone["replies"][0]["body"] == "Under the deleted one"
        seen = self._everything(api, world.student, world)
        assert "Moderate for whom?" not in seen and "Ben Carter" not in seen.split(
            "Under the deleted one")[0][-400:]
        assert api.get(world.student, f"/api/v1/replies/{world.reply.id}").status_code == 404
        staff = api.get(world.ta, f"/api/v1/posts/{world.post.id}/thread")
        assert "Moderate for whom?" in staff.get_data(as_text=True)

    def test_drafts_stay_with_their_author(self, world, make, api):
        draft = make.post(world.discussion, world.classmate, draft=True, title="Secret draft")
        listing = api.get(world.ta, f"/api/v1/discussions/{world.discussion.id}/posts")
        assert "Secret draft" not in listing.get_data(as_text=True)
        assert api.get(world.ta, f"/api/v1/posts/{draft.id}").status_code == 404
        assert api.get(world.classmate, f"/api/v1/posts/{draft.id}").status_code == 200


class TestThreads:
    def test_the_whole_tree_nests_and_costs_constant_queries(self, world, make, api,
                                                             count_queries):
        url = f"/api/v1/posts/{world.post.id}/thread"
        api.get(world.student, url)
        with count_queries() as small:
            api.get(world.student, url)
        parent = world.reply
        for n in range(30):
            parent = make.reply(world.post, world.student if n % 2 else world.classmate,
                                parent=parent)
        with count_queries() as large:
            thread = api.get(world.student, url).json
        assert large.count == small.count
        depth, node = 0, thread["replies"][0]
        while node["replies"]:
            node, depth = node["replies"][0], depth + 1
        assert depth == 30 and node["depth"] == 30

    def test_flat_replies_come_in_thread_order_with_parent_and_depth(self, world, make, api):
        child = make.reply(world.post, world.student, parent=world.reply)
        rows = api.get(world.student, f"/api/v1/posts/{world.post.id}/replies").json
        assert [(r["id"], r["parent_id"], r["depth"]) for r in rows] == [
            (world.reply.id, None, 0), (child.id, world.reply.id, 1), (world.prompt.id, None, 0)]

    def test_prompts_by_state_and_awaiting_me(self, world, api):
        awaiting = api.get(world.student, "/api/v1/me/prompts").json
        assert [p["id"] for p in awaiting] == [world.prompt.id]
        assert awaiting[0]["quote"] == "Its terms were moderate."
        api.post(world.student, f"/api/v1/posts/{world.post.id}/replies",
                 {"body": "The reparations clauses.", "parent_id": world.prompt.id})
        assert api.get(world.student, "/api/v1/me/prompts").json == []
        url = f"/api/v1/discussions/{world.discussion.id}/prompts?state=answered"
        assert [p["id"] for p in api.get(world.ta, url).json] == [world.prompt.id]
        resolved = api.post(world.ta, f"/api/v1/replies/{world.prompt.id}/resolve")
        assert resolved.json["prompt_state"] == "resolved"

    def test_a_reply_quotes_only_what_the_post_says(self, world, api):
        url = f"/api/v1/posts/{world.post.id}/replies"
        invented = api.post(world.classmate, url, {"body": "Hm", "quote": "Words never written."})
        assert invented.status_code == 409 and "quote" in invented.json["errors"]
        passage = world.post.body.split(".")[0]
        quoted = api.post(world.classmate, url, {"body": "Hm", "quote": passage})
        assert quoted.status_code == 201, quoted.json
        assert (quoted.json["quote"], quoted.json["quoted_reply_id"]) == (passage, None)

    def test_the_same_reply_twice_is_refused(self, world, api):
        url = f"/api/v1/posts/{world.post.id}/replies"
        assert api.post(world.classmate, url, {"body": "Buy cheap essays"}).status_code == 201
        again = api.post(world.classmate, url, {"body": "Buy cheap essays"})
        assert again.status_code == 409 and "already posted" in again.json["errors"]["body"][0]


class TestRateLimits:
    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True, "FORUM_LIMIT_WRITES": "5/minute",
                "FORUM_LIMIT_LOGIN": "20/minute", "FORUM_LIMIT_LOGIN_PER_ACCOUNT": "3/minute"}

    def test_too_many_writes_get_429_with_retry_after(self, world, api):
        url = f"/api/v1/posts/{world.post.id}/replies"
        statuses = [api.post(world.classmate, url, {"body": f"Reply {n}"}).status_code
                    for n in range(8)]
        assert statuses[:5] == [201] * 5 and statuses[5:] == [429] * 3
        response = api.post(world.classmate, url, {"body": "One more"})
        assert response.is_json and int(response.headers["Retry-After"]) > 0
        assert _count(Reply, Reply.author_id == world.classmate.id) == 6  # 5 + the fixture's
        assert api.post(world.student, url, {"body": "Someone else"}).status_code == 201

    def test_web_replies_are_limited_too(self, world, login_as):
        client = login_as(world.classmate)
        statuses = [client.post(f"/posts/{world.post.id}/replies",
                                data={"body": f"Web reply {n}"}).status_code for n in range(7)]
        assert statuses[:5] == [302] * 5 and statuses[5:] == [429, 429]

    def test_password_guessing_is_throttled_but_the_owner_still_gets_in(self, world, client):
        attacker = {"REMOTE_ADDR": "203.0.113.9"}
        statuses = [client.post("/login", data={"email": world.student.email,
                                                "password": f"guess {n}"},
                                environ_base=attacker).status_code for n in range(6)]
        assert statuses[:3] == [422] * 3 and set(statuses[3:]) == {429}
        owner = client.post("/login", data={"email": world.student.email, "password": PASSWORD},
                            environ_base={"REMOTE_ADDR": "198.51.100.7"})
        assert owner.status_code == 302

    def test_token_guessing_is_throttled(self, world, api):
        statuses = [api.post(None, "/api/v1/tokens", {"email": world.student.email,
                                                      "password": f"guess {n}"}).status_code
                    for n in range(5)]
        assert statuses[:3] == [401] * 3 and statuses[3:] == [429, 429]



def _redis_url() -> str | None:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return None
    return redis_test_url(15)


@pytest.mark.skipif(_redis_url() is None, reason="no Redis on 127.0.0.1:6379")
class TestRateLimitsInRedis:
    """Production counts in Redis, so that limits hold across gunicorn workers."""

    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": _redis_url(),
                "FORUM_LIMIT_WRITES": "3/minute"}

    def test_limits_count_in_redis(self, world, api, app):
        from forum.extensions import limiter

        limiter.reset()
        url = f"/api/v1/posts/{world.post.id}/replies"
        statuses = [api.post(world.classmate, url, {"body": f"R{n}"}).status_code
                    for n in range(4)]
        assert statuses == [201, 201, 201, 429]
        assert "redis" in type(limiter.storage).__name__.lower()
        limiter.reset()
