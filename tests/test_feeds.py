"""Feeds: a public course's or discussion's Atom feed holds only what a visitor may read
there; a person's private feeds (Atom of their courses, iCalendar of due dates) hold only
what they may see, at a secret URL that a new secret revokes; every feed costs the same
few statements whatever its size."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from flask import render_template
from flask_login import login_user
from icalendar import Calendar

from forum.extensions import db
from forum.models import (
    Anonymity,
    GuestComments,
    Moderation,
    Reveal,
    Role,
    User,
    Visibility,
)
from forum.services import feeds, mentions, replies
from forum.services import posts as post_service

ATOM = "{http://www.w3.org/2005/Atom}"


def _parse(response) -> ET.Element:
    """The app's own answer, parsed (no outside XML reaches the parser)."""
    return ET.fromstring(response.data)  # noqa: S314


def _atom(response) -> list[dict]:
    """The entries of an Atom answer: title, author, link, content, categories."""
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/atom+xml"
    root = _parse(response)
    assert root.tag == f"{ATOM}feed"
    return [{
        "title": entry.findtext(f"{ATOM}title"),
        "author": entry.findtext(f"{ATOM}author/{ATOM}name"),
        "link": entry.find(f"{ATOM}link").get("href"),
        "content": (entry.findtext(f"{ATOM}content") or "").strip(),
        "categories": [c.get("term") for c in entry.findall(f"{ATOM}category")],
    } for entry in root.findall(f"{ATOM}entry")]


def _titles(response) -> list[str]:
    return [entry["title"] for entry in _atom(response)]


def _urls(user) -> tuple[str, str]:
    """The paths of the person's private feeds, made for them first if need be."""
    token = user.feed_token or feeds.rotate_feed_token(user)
    return f"/feeds/{token}/courses.atom", f"/feeds/{token}/due.ics"


# Public feeds


def test_a_public_course_feed_lists_its_published_posts(blog, client):
    response = client.get(f"/courses/{blog.course.id}/feed.atom")
    [entry] = _atom(response)
    assert entry["title"] == "Harsh in tone"
    assert entry["author"] == "Ana Lindqvist"
    assert entry["link"] == f"http://localhost/posts/{blog.post.id}"
    assert "<p>The treaty was harsh in tone." in entry["content"]
    root = _parse(response)
    assert root.findtext(f"{ATOM}title") == f"{blog.course.code}: Europe between the Wars"


def test_a_discussion_feed_has_the_newest_posts_and_replies(blog, client):
    entries = _atom(client.get(f"/discussions/{blog.discussion.id}/feed.atom"))
    by_title = {entry["title"]: entry for entry in entries}
    assert set(by_title) == {"Harsh in tone", "Reply to “Harsh in tone”"}
    replies_shown = [e for e in entries if e["title"].startswith("Reply")]
    assert {e["content"] for e in replies_shown} == {
        "<p>Moderate for whom?</p>", "<p>Which terms do you mean?</p>"}
    assert {e["link"] for e in replies_shown} == {
        f"http://localhost/posts/{blog.post.id}#reply-{blog.reply.id}",
        f"http://localhost/posts/{blog.post.id}#reply-{blog.prompt.id}"}


@pytest.fixture
def unseen(blog, make):
    """Beside the blog's published post and replies, everything a visitor must not
    read: each text (and each name) is in no public feed."""
    w, course = blog, blog.course
    w.discussion.anonymity = Anonymity.ALLOWED
    db.session.commit()
    hidden_writer = make.member(course, Role.STUDENT, "Quinn Unsigned")
    make.post(w.discussion, hidden_writer, title="Written without a name",
              body="Signed by nobody.", anonymous=True)
    replies.reply_to(make.member(course, Role.STUDENT, "Rhea Unsigned"), w.post, None,
                     "An unsigned answer.", anonymous=True)
    make.guest_comment(w.post, "Cheap essays at a click.", name="Held Guest")
    make.post(w.discussion, w.classmate, title="Draft thoughts", body="Half done.",
              draft=True)
    withdrawn = make.post(w.discussion, w.classmate, title="Withdrawn words",
                          body="Said in haste.")
    post_service.delete_post(w.classmate, withdrawn)
    gone = make.reply(w.post, w.classmate, body="A reply taken back.")
    replies.delete_reply(w.classmate, gone)
    make.post(w.discussion, w.classmate, title="Taken down", body="Rude words.",
              moderation=Moderation.HIDDEN)
    sealed = make.discussion(course, title="Post first", reveal=Reveal.AFTER_POSTING)
    make.post(sealed, w.classmate, title="Kept back", body="Revealed after posting.")
    opening = make.post(sealed, w.instructor, title="Read this first", body="Sources.")
    make.reply(opening, w.classmate, body="A classmate's answer, kept back.")
    members = make.discussion(course, title="Members' corner", visibility=Visibility.PRIVATE)
    make.post(members, w.classmate, title="Members only", body="Inside talk.")
    w.secrets = ["Quinn Unsigned", "Rhea Unsigned", "Cheap essays", "Held Guest",
                 "Draft thoughts", "Half done", "Withdrawn words", "Said in haste",
                 "taken back", "Taken down", "Rude words", "Kept back",
                 "Revealed after posting", "answer, kept back", "Members only",
                 "Inside talk"]
    w.sealed, w.members = sealed, members
    return w


@pytest.mark.parametrize("feed", ["course", "discussion", "sealed discussion"])
def test_a_public_feed_never_holds_what_a_visitor_may_not_read(unseen, client, feed):
    w = unseen
    url = {"course": f"/courses/{w.course.id}/feed.atom",
           "discussion": f"/discussions/{w.discussion.id}/feed.atom",
           "sealed discussion": f"/discussions/{w.sealed.id}/feed.atom"}[feed]
    response = client.get(url)
    entries = _atom(response)
    text = response.get_data(as_text=True)
    for secret in w.secrets:
        assert secret not in text, secret
    titles = [entry["title"] for entry in entries]
    if feed == "sealed discussion":  # the staff's writing is never kept back
        assert titles == ["Read this first"]
    else:
        assert "Harsh in tone" in titles
    if feed == "discussion":  # the anonymous writers are there, unnamed
        assert "<p>Signed by nobody.</p>" in text.replace("&lt;", "<").replace("&gt;", ">")
        assert {e["author"] for e in entries} >= {"Anonymous 1", "Anonymous"}


def test_anonymous_writing_shows_only_the_day_it_was_written(unseen, client):
    root = _parse(client.get(f"/discussions/{unseen.discussion.id}/feed.atom"))
    unsigned = [entry for entry in root.findall(f"{ATOM}entry")
                if entry.findtext(f"{ATOM}author/{ATOM}name").startswith("Anonymous")]
    assert len(unsigned) == 2
    for entry in unsigned:
        for field in ("published", "updated"):
            assert entry.findtext(f"{ATOM}{field}").endswith("T00:00:00+00:00")


def test_a_private_course_has_no_public_feed(world, make, client, login_as):
    public = make.course(public=True)
    kept = make.discussion(public, visibility=Visibility.PRIVATE)
    urls = [f"/courses/{world.course.id}/feed.atom",
            f"/discussions/{world.discussion.id}/feed.atom",
            f"/discussions/{kept.id}/feed.atom",
            "/courses/999999/feed.atom", "/discussions/999999/feed.atom",
            "/courses/99999999999999999999/feed.atom", "/discussions/0/feed.atom"]
    for reader in (None, world.student):  # a member too: the feed is the public's
        login_as(reader)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 404, (url, response.status_code)
            assert b"Harsh in tone" not in response.data


def test_a_reader_asking_again_gets_304_while_nothing_changed(blog, make, client):
    url = f"/courses/{blog.course.id}/feed.atom"
    etag = client.get(url).headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    make.post(blog.discussion, blog.classmate, title="Something new")
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 200


def test_links_in_a_feed_are_absolute(blog, client):
    body = "Ask @[Ben Carter] about [the treaty](https://example.org/versailles)."
    blog.post.body_html = mentions.render(blog.course, body)
    db.session.commit()
    [entry] = _atom(client.get(f"/courses/{blog.course.id}/feed.atom"))
    assert f'href="http://localhost/users/{blog.classmate.id}"' in entry["content"]
    assert 'href="https://example.org/versailles"' in entry["content"]


def test_characters_xml_cannot_carry_do_not_break_a_feed(blog, client):
    blog.post.title = "Bell\x07 rings"
    db.session.commit()
    assert _titles(client.get(f"/courses/{blog.course.id}/feed.atom")) == ["Bell\ufffd rings"]


def test_only_a_public_course_links_its_feed(blog, make, login_as):
    page = login_as(blog.student).get(f"/courses/{blog.course.id}").get_data(as_text=True)
    assert f"/courses/{blog.course.id}/feed.atom" in page
    discussion = login_as(None).get(f"/discussions/{blog.discussion.id}").get_data(as_text=True)
    assert f"/discussions/{blog.discussion.id}/feed.atom" in discussion
    private = make.course()
    page = login_as(blog.admin).get(f"/courses/{private.id}").get_data(as_text=True)
    assert "feed.atom" not in page


# Private feeds


@pytest.fixture
def courses(world, make):
    """The world, plus a post in the other course, a discussion revealed after posting
    with a classmate's post, an anonymous post and a post held by moderation."""
    w = world
    make.post(make.discussion(w.other_course), w.outsider, title="Cold War thaw")
    w.sealed = make.discussion(w.course, title="Post first", reveal=Reveal.AFTER_POSTING)
    make.post(w.sealed, w.classmate, title="Kept back until posting")
    w.discussion.anonymity = Anonymity.ALLOWED
    db.session.commit()
    make.post(w.discussion, make.member(w.course, Role.STUDENT, "Quinn Unsigned"),
              title="Written without a name", anonymous=True)
    make.post(w.discussion, w.classmate, title="Taken down", moderation=Moderation.HIDDEN)
    make.post(w.discussion, w.classmate, title="Draft thoughts", draft=True)
    return w


def test_a_private_feed_holds_the_persons_courses_as_they_see_them(courses, client):
    w = courses
    atom, _ = _urls(w.student)
    response = client.get(atom)
    entries = _atom(response)
    assert {e["title"] for e in entries} == {"Harsh in tone", "Written without a name"}
    assert {tuple(e["categories"]) for e in entries} == {(w.course.code,)}
    text = response.get_data(as_text=True)
    for secret in ("Cold War thaw", "Kept back until posting", "Quinn Unsigned",
                   "Taken down", "Draft thoughts"):
        assert secret not in text, secret
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert response.headers["X-Robots-Tag"] == "noindex"


def test_staff_read_in_their_feed_what_they_see_on_the_site(courses, client):
    w = courses
    entries = _atom(client.get(_urls(w.instructor)[0]))
    by_title = {e["title"]: e for e in entries}
    assert set(by_title) == {"Harsh in tone", "Written without a name",
                             "Kept back until posting"}
    assert by_title["Written without a name"]["author"] == "Quinn Unsigned"


def test_posting_opens_a_sealed_discussion_in_the_feed_too(courses, make, client):
    w = courses
    atom, _ = _urls(w.student)
    assert "Kept back until posting" not in _titles(client.get(atom))
    make.post(w.sealed, w.student, title="My own first")
    assert {"Kept back until posting", "My own first"} <= set(_titles(client.get(atom)))


def test_a_new_secret_revokes_the_old_urls(world, client, login_as):
    old_atom, old_ics = _urls(world.student)
    assert client.get(old_atom).status_code == client.get(old_ics).status_code == 200
    login_as(world.student).post("/me/feeds/rotate")
    db.session.refresh(world.student)
    new_atom, new_ics = _urls(world.student)
    assert new_atom != old_atom
    assert client.get(old_atom).status_code == client.get(old_ics).status_code == 404
    assert client.get(new_atom).status_code == client.get(new_ics).status_code == 200


@pytest.mark.parametrize("token", [
    "x", "None", "a" * 43, "a" * 65, "a" * 5000, "%00" * 20, "ä" * 43, "..%2F..%2Fetc",
])
def test_a_token_nobody_has_is_404(world, client, token):
    feeds.rotate_feed_token(world.student)
    for tail in ("courses.atom", "due.ics"):
        response = client.get(f"/feeds/{token}/{tail}")
        assert response.status_code == 404
        assert b"Harsh in tone" not in response.data


def test_a_disabled_account_has_no_feeds(world, client):
    atom, ics = _urls(world.student)
    world.student.is_disabled = True
    db.session.commit()
    assert client.get(atom).status_code == client.get(ics).status_code == 404


# The calendar


def test_the_calendar_has_due_dates_in_the_course_time_zone(world, make, client):
    w = world
    w.course.timezone = "America/New_York"
    due = datetime(2026, 11, 20, 4, 59, tzinfo=UTC)  # 23:59 on the 19th in New York
    w.discussion.opens_at = datetime(2026, 11, 9, 13, 0, tzinfo=UTC)
    w.discussion.due_at, w.discussion.locks_at = due, due + timedelta(days=2)
    db.session.commit()
    make.discussion(w.course, title="Members' corner", visibility=Visibility.PRIVATE,
                    due_at=due)
    make.discussion(w.other_course, title="Elsewhere")
    response = client.get(_urls(w.student)[1])
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    events = {str(e["summary"]): e for e in calendar.walk("VEVENT")}
    code = w.course.code
    title = w.discussion.title
    assert set(events) == {f"{code}: {title} (opens)", f"{code}: {title} (due)",
                           f"{code}: {title} (locks)", f"{code}: Members' corner (due)",
                           f"{code}: Members' corner (opens)"}
    event = events[f"{code}: {title} (due)"]
    start = event.decoded("dtstart")
    assert event["dtstart"].params["TZID"] == "America/New_York"
    assert (start.year, start.month, start.day, start.hour, start.minute) == (
        2026, 11, 19, 23, 59)
    assert start == due
    assert str(event["url"]) == f"http://localhost/discussions/{w.discussion.id}"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["America/New_York"]
    uids = [str(e["uid"]) for e in calendar.walk("VEVENT")]
    assert len(set(uids)) == len(uids)
    again = Calendar.from_ical(client.get(_urls(w.student)[1]).data)
    assert [str(e["uid"]) for e in again.walk("VEVENT")] == uids


# Making and finding the secret URLs


def test_the_rotate_form_goes_back_to_the_page_it_was_sent_from(world, login_as):
    client = login_as(world.student)
    assert world.student.feed_token is None
    response = client.post("/me/feeds/rotate",
                           headers={"Referer": f"http://localhost/courses/{world.course.id}"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/courses/{world.course.id}"
    db.session.refresh(world.student)
    assert world.student.feed_token is not None
    response = client.post("/me/feeds/rotate", headers={"Referer": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_a_visitor_has_no_private_feeds_to_rotate(client):
    response = client.post("/me/feeds/rotate")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_links_partial_shows_the_urls_and_a_form(app, world):
    token = feeds.rotate_feed_token(world.student)
    user = db.session.get(User, world.student.id)
    with app.test_request_context("/"):
        login_user(user)
        html = render_template("feeds/_links.html")
    assert f"http://localhost/feeds/{token}/courses.atom" in html
    assert f"http://localhost/feeds/{token}/due.ics" in html
    assert 'action="/me/feeds/rotate"' in html and 'name="csrf_token"' in html


def test_the_api_gives_and_replaces_the_secret_urls(world, api, client):
    assert api.get(world.student, "/api/v1/me/feeds").json == {"atom": None,
                                                               "calendar": None}
    made = api.post(world.student, "/api/v1/me/feeds/token")
    assert made.status_code == 200
    assert made.headers["Cache-Control"] == "no-store"
    assert api.get(world.student, "/api/v1/me/feeds").json == made.json
    assert "Harsh in tone" in _titles(client.get(made.json["atom"]))
    assert client.get(made.json["calendar"]).status_code == 200
    again = api.post(world.student, "/api/v1/me/feeds/token").json
    assert again["atom"] != made.json["atom"]
    assert client.get(made.json["atom"]).status_code == 404
    refused = api.get(None, "/api/v1/me/feeds")
    assert refused.status_code == 401 and refused.is_json


# Cost


def _more_of_everything(w, make, count: int = 15) -> None:
    for n in range(count):
        writer = make.member(w.course, Role.STUDENT, f"Writer {n}")
        post = make.post(w.discussion, writer, title=f"More {n}", anonymous=n % 2 == 0)
        make.reply(post, w.classmate)
        make.guest_comment(post, f"Guest note {n}.", name=f"Guest {n}")
        make.discussion(w.course, title=f"Week {n}")


@pytest.mark.parametrize(("feed", "budget"), [
    ("course", 2), ("discussion", 3), ("private", 2), ("calendar", 2)])
def test_a_feed_costs_the_same_at_any_size(blog, make, client, count_queries, feed,
                                           budget):
    w = blog
    w.course.guest_comments = GuestComments.AUTO
    w.discussion.anonymity = Anonymity.ALLOWED
    db.session.commit()
    atom, ics = _urls(w.student)
    url = {"course": f"/courses/{w.course.id}/feed.atom",
           "discussion": f"/discussions/{w.discussion.id}/feed.atom",
           "private": atom, "calendar": ics}[feed]

    def statements() -> int:
        client.get(url)
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        return counter.count

    small = statements()
    _more_of_everything(w, make)
    assert statements() == small == budget
