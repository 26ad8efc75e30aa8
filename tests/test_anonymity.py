"""Anonymous to classmates: a student's post or reply shows classmates a pseudonym stable
within the thread, and nothing that identifies its author (name, id, profile link,
email, role, exact time) in any page or JSON they can reach; staff see the name, marked;
the author sees that it is theirs."""

from __future__ import annotations

import json
import re

import pytest

from forum.extensions import db
from forum.models import Anonymity, GuestComments, Role, Visibility
from forum.services import posts, replies


@pytest.fixture
def unsigned(world, make):
    """A discussion allowing anonymity, with Chloe's anonymous post, Ana's anonymous
    reply beneath it, Chloe's anonymous answer and Ben's signed reply to Ana's."""
    w = world
    w.hidden = make.member(w.course, Role.STUDENT, "Chloe Hidden", email="chloe@example.edu")
    w.open_discussion = make.discussion(w.course, created_by_id=w.instructor.id,
                                        anonymity=Anonymity.ALLOWED, title="Speak freely")
    w.secret = posts.create_post(w.hidden, w.open_discussion, title="A view I keep to myself",
                                 body="The settlement was harsh and the victors knew it.",
                                 anonymous=True)
    w.ana_says = replies.reply_to(w.student, w.secret, None, "I agree, quietly.",
                                  anonymous=True)
    w.chloe_again = replies.reply_to(w.hidden, w.secret, w.ana_says.id, "Thank you.",
                                     anonymous=True)
    w.ben_says = replies.reply_to(w.classmate, w.secret, w.ana_says.id, "I do not.")
    return w


def _reachable_by(reader, w, client, api, login_as) -> dict[str, str]:
    """Every page and JSON answer about the thread that the reader can open."""
    login_as(reader)
    pages = {
        "post page": client.get(f"/posts/{w.secret.id}"),
        "discussion page": client.get(f"/discussions/{w.open_discussion.id}"),
        "dashboard": client.get("/"),
        "report page": client.get(f"/replies/{w.ana_says.id}/report"),
        "post report page": client.get(f"/posts/{w.secret.id}/report"),
    }
    base = "/api/v1"
    for name, url in {
        "post": f"{base}/posts/{w.secret.id}",
        "thread": f"{base}/posts/{w.secret.id}/thread",
        "replies": f"{base}/posts/{w.secret.id}/replies",
        "reply": f"{base}/replies/{w.ana_says.id}",
        "post list": f"{base}/discussions/{w.open_discussion.id}/posts",
        "filtered list": f"{base}/discussions/{w.open_discussion.id}/posts?author_id="
                         f"{w.hidden.id}",
    }.items():
        pages[name] = api.get(reader, url)
    for name, response in pages.items():
        assert response.status_code == 200, (name, response.status_code)
    return {name: response.get_data(as_text=True) for name, response in pages.items()}


def _traces(person) -> list[str]:
    return [person.display_name, person.email, f"/users/{person.id}\""]


def _people_named(document) -> set[int]:
    """Every user id a JSON answer names: authors, endorsers, editors."""
    found: set[int] = set()
    if isinstance(document, dict):
        for key, value in document.items():
            if key in ("author", "endorsed_by", "editor", "user") and isinstance(value, dict):
                found.add(value.get("id"))
            found |= _people_named(value)
    elif isinstance(document, list):
        for value in document:
            found |= _people_named(value)
    return found


def test_a_classmate_finds_no_trace_of_an_anonymous_author(unsigned, client, api, login_as):
    w = unsigned
    answers = _reachable_by(w.classmate, w, client, api, login_as)
    for name, text in answers.items():
        for person in (w.hidden, w.student):
            for trace in _traces(person):
                assert trace not in text, (name, person.display_name, trace)
            if text.startswith(("{", "[")):
                assert person.id not in _people_named(json.loads(text)), name
    assert "Anonymous 1" in answers["post page"] and "Anonymous 2" in answers["post page"]


def test_pseudonyms_hold_through_the_thread(unsigned, api):
    w = unsigned
    thread = api.get(w.classmate, f"/api/v1/posts/{w.secret.id}/thread").json
    assert thread["author"] == {"id": None, "display_name": "Anonymous 1", "guest": False,
                                "anonymous": True}
    ana = thread["replies"][0]
    chloe, ben = ana["replies"]
    assert (ana["author"]["display_name"], chloe["author"]["display_name"]) == (
        "Anonymous 2", "Anonymous 1")
    assert ana["author_role"] is None and ana["author"]["id"] is None
    assert ben["author"] == {"id": w.classmate.id, "display_name": "Ben Carter",
                             "guest": False, "anonymous": False}


def test_times_beside_a_pseudonym_are_days_only(unsigned, client, api, login_as):
    w = unsigned
    reply = api.get(w.classmate, f"/api/v1/replies/{w.ana_says.id}").json
    assert reply["created_at"].endswith("T00:00:00Z") or "T00:00:00" in reply["created_at"]
    signed = api.get(w.classmate, f"/api/v1/replies/{w.ben_says.id}").json
    assert signed["created_at"] == w.ben_says.created_at.isoformat().replace("+00:00", "Z") \
        or signed["created_at"].startswith(w.ben_says.created_at.strftime("%Y-%m-%dT%H:%M"))
    page = login_as(w.classmate).get(f"/posts/{w.secret.id}").get_data(as_text=True)
    article = page[page.index(f'id="reply-{w.ana_says.id}"'):]
    article = article[:article.index("</article>")]
    assert re.search(r'<time datetime="\d{4}-\d{2}-\d{2}">', article), article
    assert ":" not in re.search(r"<time[^>]*>([^<]*)</time>", article).group(1)


def test_in_reply_to_names_the_pseudonym(unsigned, client, login_as):
    w = unsigned
    page = login_as(w.classmate).get(f"/posts/{w.secret.id}").get_data(as_text=True)
    ben = page[page.index(f'id="reply-{w.ben_says.id}"'):]
    assert "in reply to <a href=\"#reply-" in ben and ">Anonymous 2</a>" in ben[:2000]


@pytest.mark.parametrize("seat", ["instructor", "ta", "admin"])
def test_staff_see_the_name_marked_hidden_from_students(unsigned, client, api, login_as, seat):
    w = unsigned
    reader = w.actors[seat]
    page = login_as(reader).get(f"/posts/{w.secret.id}").get_data(as_text=True)
    assert "Chloe Hidden" in page and "Ana Lindqvist" in page
    assert "Anonymous to students" in page
    thread = api.get(reader, f"/api/v1/posts/{w.secret.id}/thread").json
    assert thread["author"] == {"id": w.hidden.id, "display_name": "Chloe Hidden",
                                "guest": False, "anonymous": True}


def test_the_author_is_told_it_is_theirs(unsigned, client, login_as, api):
    w = unsigned
    page = login_as(w.hidden).get(f"/posts/{w.secret.id}").get_data(as_text=True)
    assert "you (anonymous)" in page  # the post's byline
    assert "You wrote this anonymously." in page  # beside their reply in the thread
    assert api.get(w.hidden, f"/api/v1/posts/{w.secret.id}").json["author"]["display_name"] \
        == "you (anonymous)"
    # and a classmate's page, served from the same kept thread, does not say so
    other = login_as(w.classmate).get(f"/posts/{w.secret.id}").get_data(as_text=True)
    assert "You wrote this anonymously." not in other


def test_a_filter_by_author_never_finds_anonymous_posts(unsigned, api):
    w = unsigned
    url = f"/api/v1/discussions/{w.open_discussion.id}/posts?author_id={w.hidden.id}"
    assert api.get(w.classmate, url).json == []
    assert [p["id"] for p in api.get(w.instructor, url).json] == [w.secret.id]
    assert [p["id"] for p in api.get(w.hidden, url).json] == [w.secret.id]


def test_anonymity_is_the_discussions_to_give(world, api, make):
    closed = f"/api/v1/discussions/{world.discussion.id}/posts"
    refused = api.post(world.classmate, closed, {"title": "T", "body": "B", "anonymous": True})
    assert refused.status_code == 409 and "anonymous" in refused.json["errors"]
    required = make.discussion(world.course, created_by_id=world.instructor.id,
                               anonymity=Anonymity.REQUIRED)
    made = api.post(world.classmate, f"/api/v1/discussions/{required.id}/posts",
                    {"title": "T", "body": "B"})
    assert made.status_code == 201 and made.json["author"]["anonymous"] is True
    staff = api.post(world.ta, f"/api/v1/posts/{made.json['id']}/replies",
                     {"body": "Staff sign", "anonymous": True})
    assert staff.status_code == 409 and "anonymous" in staff.json["errors"]
    signed = api.post(world.ta, f"/api/v1/posts/{made.json['id']}/replies", {"body": "Hello"})
    assert signed.json["author"]["display_name"] == "Tomás Reyes"


def test_the_web_form_writes_anonymously(unsigned, client, login_as):
    w = unsigned
    login_as(w.classmate)
    response = client.post(f"/discussions/{w.open_discussion.id}/posts/new", data={
        "title": "Mine, unsigned", "body": "Quietly said.", "anonymous": "y",
        "publish": "Publish"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    mine = db.session.scalar(db.select(posts.Post).where(posts.Post.title == "Mine, unsigned"))
    assert mine.anonymous
    response = client.post(f"/posts/{w.secret.id}/replies", data={
        "body": "And unsigned here.", "anonymous": "y"})
    assert response.status_code == 302
    page = login_as(w.student).get(f"/discussions/{w.open_discussion.id}").get_data(
        as_text=True)
    assert "Ben Carter" not in page


def test_a_guest_replying_to_an_anonymous_reply_sees_the_pseudonym(unsigned, client):
    w = unsigned
    w.course.visibility, w.course.guest_comments = Visibility.PUBLIC, GuestComments.AUTO
    db.session.commit()
    page = client.get(f"/posts/{w.secret.id}?reply_to={w.ana_says.id}").get_data(as_text=True)
    assert "Reply to Anonymous 2" in page
    assert "Ana Lindqvist" not in page and "Chloe Hidden" not in page


def test_the_authors_dashboard_names_no_anonymous_replier(unsigned, client, login_as):
    w = unsigned
    page = login_as(w.hidden).get("/").get_data(as_text=True)
    assert "Anonymous on “A view I keep to myself”" in page
    assert "Ana Lindqvist" not in page and f"/users/{w.student.id}\"" not in page
