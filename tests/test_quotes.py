"""Quoting a passage of the post or of a reply into a new reply: kept with a link back
to its source; a quote of something the reader may no longer read shows no text."""

from __future__ import annotations

from forum.extensions import db
from forum.models import Anonymity, Reply
from forum.services import posts, replies


def _article(page: str, reply_id: int) -> str:
    start = page.index(f'id="reply-{reply_id}"')
    return page[start:page.index("</article>", start)]


def _quote_reply(world, api, passage="Moderate for whom", **extra):
    return api.post(world.student, f"/api/v1/posts/{world.post.id}/replies", {
        "body": "For the Germans, surely.", "quote": passage,
        "quoted_reply_id": world.reply.id, **extra})


def test_a_quoted_reply_links_back_to_its_source(world, api, client, login_as):
    made = _quote_reply(world, api)
    assert made.status_code == 201, made.json
    assert (made.json["quote"], made.json["quoted_reply_id"]) == ("Moderate for whom",
                                                                 world.reply.id)
    page = login_as(world.classmate).get(f"/posts/{world.post.id}").get_data(as_text=True)
    quoted = _article(page, made.json["id"])
    assert "<p>Moderate for whom</p>" in quoted
    assert f'Quoted from <a href="#reply-{world.reply.id}">Ben Carter</a>' in quoted


def test_only_what_was_written_there_may_be_quoted(world, api, make):
    invented = _quote_reply(world, api, passage="Words Ben never wrote")
    assert invented.status_code == 409 and "quote" in invented.json["errors"]
    elsewhere = make.reply(make.post(world.discussion, world.classmate, title="Other"),
                           world.classmate, body="Another thread's words.")
    foreign = api.post(world.student, f"/api/v1/posts/{world.post.id}/replies", {
        "body": "Hm", "quote": "Another thread's words", "quoted_reply_id": elsewhere.id})
    assert foreign.status_code == 409 and "quoted_reply_id" in foreign.json["errors"]
    assert db.session.scalar(db.select(db.func.count()).select_from(Reply).where(
        Reply.body == "Hm")) == 0


def test_a_quote_of_a_deleted_reply_shows_no_text_to_those_who_cannot_read_it(
        world, api, client, login_as):
    made = _quote_reply(world, api).json
    replies.delete_reply(world.classmate, world.reply)
    page = login_as(world.student).get(f"/posts/{world.post.id}").get_data(as_text=True)
    quoted = _article(page, made["id"])
    assert "Moderate for whom" not in quoted and "no longer shown" in quoted
    assert api.get(world.student, f"/api/v1/replies/{made['id']}").json["quote"] is None
    thread = api.get(world.student, f"/api/v1/posts/{world.post.id}/thread").get_data(
        as_text=True)
    assert "Moderate for whom" not in thread
    staff = login_as(world.ta).get(f"/posts/{world.post.id}").get_data(as_text=True)
    assert "<p>Moderate for whom</p>" in _article(staff, made["id"])


def test_a_quote_of_a_deleted_post_is_gone_with_it(world, api, client, login_as):
    made = api.post(world.classmate, f"/api/v1/posts/{world.post.id}/replies", {
        "body": "Which terms?", "quote": "Its terms were moderate."}).json
    posts.delete_post(world.student, world.post)
    page = login_as(world.classmate).get(f"/posts/{world.post.id}").get_data(as_text=True)
    assert "Its terms were moderate" not in _article(page, made["id"])


def test_the_reply_form_quotes_the_reply_it_answers(world, client, login_as):
    login_as(world.student)
    response = client.post(f"/posts/{world.post.id}/replies", data={
        "parent_id": str(world.reply.id), "quote": "Moderate for whom?",
        "body": "For the victors."})
    assert response.status_code == 302
    made = db.session.scalar(db.select(Reply).where(Reply.body == "For the victors."))
    assert (made.quote, made.quoted_reply_id) == ("Moderate for whom?", world.reply.id)


def test_a_refused_quote_comes_back_with_the_text(world, client, login_as):
    login_as(world.student)
    response = client.post(f"/posts/{world.post.id}/replies", data={
        "parent_id": str(world.reply.id), "quote": "Never said", "body": "My careful answer."})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "My careful answer." in page and "Never said" in page
    assert "must be copied from that reply" in page


def test_a_quote_names_an_anonymous_source_by_its_pseudonym(world, make, api, client,
                                                           login_as):
    world.discussion.anonymity = Anonymity.ALLOWED
    db.session.commit()
    unsigned = replies.reply_to(world.classmate, world.post, None, "Quietly: the terms hurt.",
                                anonymous=True)
    made = api.post(world.student, f"/api/v1/posts/{world.post.id}/replies", {
        "body": "Which terms?", "quote": "the terms hurt", "quoted_reply_id": unsigned.id})
    page = login_as(world.student).get(f"/posts/{world.post.id}").get_data(as_text=True)
    quoted = _article(page, made.json["id"])
    assert "Anonymous 1</a>" in quoted and "Ben Carter" not in quoted
