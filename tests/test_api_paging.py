"""A discussion's post list is paged in the database: every page holds the right posts,
X-Pagination counts only what the caller may see, and a page costs the same however
many posts the discussion has."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from forum.models import Post
from forum.services import posts as post_service

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _at(hours: int) -> datetime:
    return T0 + timedelta(hours=hours)


def _url(world, query: str = "") -> str:
    return f"/api/v1/discussions/{world.discussion.id}/posts{query}"


def _walk(api, user, url: str, page_size: int) -> tuple[list[int], int]:
    """Every page in turn: the ids in order, and the total each page announced."""
    ids: list[int] = []
    totals: set[int] = set()
    page, last = 1, 1
    while page <= last:
        response = api.get(user, f"{url}{'&' if '?' in url else '?'}"
                                 f"page={page}&page_size={page_size}")
        assert response.status_code == 200
        meta = json.loads(response.headers["X-Pagination"])
        assert len(response.json) <= page_size
        ids += [post["id"] for post in response.json]
        totals.add(meta["total"])
        last, page = meta.get("last_page", 0), page + 1
    assert len(totals) <= 1, totals
    return ids, totals.pop() if totals else 0


@pytest.fixture
def posts(world, make):
    """Nine posts besides the fixture's, by the student and a classmate, published an hour
    apart on one morning, the last two at the same moment."""
    made = []
    for n in range(9):
        author = world.student if n % 3 == 0 else world.classmate
        made.append(make.post(world.discussion, author, title=f"Post {n}",
                              published_at=_at(min(n, 7)),
                              sources=[("A source", "https://example.org")]))
    return made


def _in_order(posts) -> list[int]:
    return [p.id for p in sorted(posts, key=lambda p: (p.published_at, p.id))]


@pytest.mark.parametrize(("query", "keep"), [
    ("", lambda p, w: True),
    ("?author_id={classmate}", lambda p, w: p.author_id == w.classmate.id),
    ("?since=2026-03-02T12:00:00Z", lambda p, w: p.published_at >= _at(3)),
    ("?since=2026-03-02T12:00:00%2B01:00&author_id={classmate}",
     lambda p, w: p.published_at >= _at(2) and p.author_id == w.classmate.id),
], ids=["all", "author", "since", "since-and-author"])
@pytest.mark.parametrize("page_size", [1, 2, 4, 100])
def test_pages_hold_the_filtered_posts_in_order(world, posts, api, query, keep, page_size):
    everything = [world.post, *posts]
    expected = _in_order(p for p in everything if keep(p, world))
    url = _url(world, query.format(classmate=world.classmate.id))
    ids, total = _walk(api, world.ta, url, page_size)
    assert ids == expected
    assert total == len(expected)


def test_a_page_shows_the_same_posts_as_the_whole_list(world, posts, make, api):
    make.reply(posts[4], world.student)
    whole = api.get(world.classmate, _url(world, "?page_size=100")).json
    paged = [api.get(world.classmate, _url(world, f"?page={n}&page_size=3")).json
             for n in (1, 2, 3, 4)]
    assert [post for page in paged for post in page] == whole
    assert next(p for p in whole if p["id"] == posts[4].id)["reply_count"] == 1


@pytest.mark.parametrize("query", ["", "?author_id={classmate}", "?since=2026-03-01T00:00:00Z"])
def test_another_users_draft_is_on_no_page_and_in_no_total(world, posts, make, api, query):
    draft = make.post(world.discussion, world.classmate, draft=True, title="Secret draft")
    url = _url(world, query.format(classmate=world.classmate.id))
    for viewer in (world.student, world.ta, world.instructor, world.admin):
        ids, total = _walk(api, viewer, url, page_size=3)
        assert draft.id not in ids
        assert total == len(ids)
    own, own_total = _walk(api, world.classmate, url, page_size=3)
    if "since" in query:  # never published: not since any moment
        assert draft.id not in own
    else:
        assert own[0] == draft.id and own_total == len(own)


def test_tombstones_count_as_they_show(world, posts, make, api):
    answered, bare = posts[1], posts[2]
    make.reply(answered, world.student)
    post_service.delete_post(world.classmate, answered)
    post_service.delete_post(world.classmate, bare)
    student_ids, student_total = _walk(api, world.student, _url(world), page_size=4)
    assert answered.id in student_ids and bare.id not in student_ids
    assert student_total == len(posts)  # all ten but the bare tombstone
    staff_ids, staff_total = _walk(api, world.ta, _url(world), page_size=4)
    assert {answered.id, bare.id} <= set(staff_ids) and staff_total == len(posts) + 1
    by_author, _ = _walk(api, world.ta, _url(world, f"?author_id={world.classmate.id}"), 4)
    assert answered.id not in by_author and bare.id not in by_author


def _add_posts(world, make, count: int) -> None:
    """More posts by several authors, with sources, replies, and some deleted."""
    authors = [world.student, world.classmate, world.ta]
    for n in range(count):
        author = authors[n % 3]
        post = make.post(world.discussion, author, title=f"Post {n}", published_at=_at(n),
                         sources=[("A source", None)] * (n % 3))
        if n % 7 == 0:
            make.reply(post, world.classmate)
        if n % 11 == 5:
            post_service.delete_post(author, post)


@pytest.mark.parametrize("viewer", ["student", "ta"])
def test_page_one_costs_the_same_for_5_and_300_posts(world, make, api, count_queries,
                                                     viewer):
    user = getattr(world, viewer)
    url = _url(world, "?page_size=50")
    make.post(world.discussion, world.student, draft=True)

    def cost() -> tuple[int, int]:
        """SQL statements sent and posts loaded for page one."""
        api.get(user, url)  # the token is made and cached first
        loaded = []

        def record(post, _context) -> None:
            loaded.append(post)

        event.listen(Post, "load", record)
        try:
            with count_queries() as counter:
                response = api.get(user, url)
        finally:
            event.remove(Post, "load", record)
        assert response.status_code == 200 and response.json
        return counter.count, len(loaded)

    _add_posts(world, make, 4)  # and the fixture's post: 5
    small_statements, _ = cost()
    _add_posts(world, make, 295)
    assert json.loads(api.get(user, url).headers["X-Pagination"])["total"] > 250
    statements, loaded = cost()
    assert statements == small_statements
    assert loaded == 50
