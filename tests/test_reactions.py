"""Likes and endorsements: members like what others wrote, once; staff endorse; per
discussion, likes may be off or their counts shown to staff only; each reader's own
likes show on a thread served from the kept copy of their kind."""

from __future__ import annotations

import re

import pytest

from forum.extensions import db
from forum.models import Like, Likes, Reply


def _reply_article(page: str, reply_id: int) -> str:
    start = page.index(f'id="reply-{reply_id}"')
    return page[start:page.index("</article>", start)]


def test_a_like_counts_once_and_can_be_taken_back(world, api):
    url = f"/api/v1/replies/{world.reply.id}/like"
    first = api.call(world.student, "PUT", url)
    again = api.call(world.student, "PUT", url)
    assert first.status_code == again.status_code == 200
    assert (again.json["likes"], again.json["liked_by_me"]) == (1, True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Like)) == 1
    undone = api.delete(world.student, url)
    assert (undone.json["likes"], undone.json["liked_by_me"]) == (0, False)


def test_posts_are_liked_too(world, api):
    url = f"/api/v1/posts/{world.post.id}/like"
    liked = api.call(world.classmate, "PUT", url)
    assert (liked.json["likes"], liked.json["liked_by_me"]) == (1, True)
    listed = api.get(world.classmate, f"/api/v1/discussions/{world.discussion.id}/posts").json
    assert (listed[0]["likes"], listed[0]["liked_by_me"]) == (1, True)
    assert api.get(world.ta, f"/api/v1/posts/{world.post.id}").json["liked_by_me"] is False


@pytest.mark.parametrize(("seat", "status"), [
    ("classmate", 200), ("ta", 200), ("student", 403), ("outsider", 404), ("anonymous", 401)])
def test_who_may_like_a_post(world, api, seat, status):
    response = api.call(world.actors[seat], "PUT", f"/api/v1/posts/{world.post.id}/like")
    assert response.status_code == status, response.json  # the author: never their own


def test_likes_off_refuses_and_staff_only_hides_counts(world, api, client, login_as):
    url = f"/api/v1/replies/{world.reply.id}/like"
    api.call(world.student, "PUT", url)
    world.discussion.likes = Likes.STAFF
    db.session.commit()
    assert api.get(world.student, f"/api/v1/replies/{world.reply.id}").json["likes"] is None
    assert api.get(world.ta, f"/api/v1/replies/{world.reply.id}").json["likes"] == 1
    student_page = login_as(world.student).get(f"/posts/{world.post.id}").get_data(
        as_text=True)
    assert "1 like" not in _reply_article(student_page, world.reply.id)
    ta_page = login_as(world.ta).get(f"/posts/{world.post.id}").get_data(as_text=True)
    assert "1 like" in _reply_article(ta_page, world.reply.id)
    world.discussion.likes = Likes.OFF
    db.session.commit()
    assert api.call(world.student, "PUT", url).status_code == 403


def test_each_reader_sees_their_own_likes_on_the_kept_thread(world, make, client, login_as):
    """Ana and a second student are of one kind: they share the kept thread, yet each
    sees whether they like a reply."""
    from forum.models import Role

    other = make.member(world.course, Role.STUDENT, "Cleo Student")
    login_as(world.student)
    response = client.post(f"/replies/{world.reply.id}/like")
    assert response.status_code == 302
    mine = _reply_article(client.get(f"/posts/{world.post.id}").get_data(as_text=True),
                          world.reply.id)
    assert 'aria-pressed="true">Liked' in mine and "1 like" in mine
    theirs = _reply_article(login_as(other).get(f"/posts/{world.post.id}").get_data(
        as_text=True), world.reply.id)
    assert 'aria-pressed="false">Like' in theirs and "1 like" in theirs
    authors = _reply_article(login_as(world.classmate).get(f"/posts/{world.post.id}")
                             .get_data(as_text=True), world.reply.id)
    assert "aria-pressed" not in authors  # no like button on one's own reply


def test_a_like_never_makes_the_authors_edit_conflict(world, api):
    url = f"/api/v1/posts/{world.post.id}"
    etag = api.get(world.student, url).headers["ETag"]
    api.call(world.classmate, "PUT", f"{url}/like")
    edited = api.patch(world.student, url, {"body": "Harsh in tone, moderate in terms."},
                       etag=etag)
    assert edited.status_code == 200, edited.json


def test_staff_endorse_and_everyone_sees_it(world, api, client, login_as):
    url = f"/api/v1/replies/{world.reply.id}/endorsement"
    assert api.call(world.student, "PUT", url).status_code == 403
    endorsed = api.call(world.ta, "PUT", url)
    assert endorsed.json["endorsed_by"] == {"id": world.ta.id, "display_name": "Tomás Reyes"}
    for reader in (world.student, world.classmate, world.instructor):
        page = login_as(reader).get(f"/posts/{world.post.id}").get_data(as_text=True)
        assert "Endorsed by Tomás Reyes" in _reply_article(page, world.reply.id)
    assert api.delete(world.ta, url).json["endorsed_by"] is None
    page = login_as(world.student).get(f"/posts/{world.post.id}").get_data(as_text=True)
    assert "Endorsed by" not in page


def test_endorsing_a_post_from_its_page(world, client, login_as):
    login_as(world.instructor)
    assert client.post(f"/posts/{world.post.id}/endorse").status_code == 302
    page = login_as(world.classmate).get(f"/posts/{world.post.id}").get_data(as_text=True)
    assert "Endorsed by Dr. Okafor" in page
    login_as(world.classmate)
    assert client.post(f"/posts/{world.post.id}/endorse").status_code == 403


def test_a_like_raises_the_replys_version(world, api):
    """The thread's kept copies are keyed by its replies' versions: a like must change
    the key, or readers would see an old count."""
    before = world.reply.version
    api.call(world.student, "PUT", f"/api/v1/replies/{world.reply.id}/like")
    db.session.expire_all()
    assert db.session.get(Reply, world.reply.id).version == before + 1


def test_the_thread_costs_one_statement_more_only_for_a_reader_who_likes(
        world, client, login_as, count_queries):
    login_as(world.student)
    url = f"/posts/{world.post.id}"
    client.get(url)
    with count_queries() as plain:
        client.get(url)
    client.post(f"/replies/{world.reply.id}/like")
    client.get(url)
    with count_queries() as liking:
        client.get(url)
    assert liking.count == plain.count + 1
    assert re.search(r'aria-pressed="true">Liked', client.get(url).get_data(as_text=True))
