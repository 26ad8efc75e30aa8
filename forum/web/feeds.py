"""Feeds for readers and calendars: Atom for public courses and discussions, and a
person's private feeds at a secret URL (no login: feed readers cannot sign in)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, flash, redirect, request, url_for
from flask_login import current_user, login_required

from forum import errors
from forum.formats.feeds import (
    AtomEntry,
    AtomFeed,
    CalendarEvent,
    absolute_links,
    write_atom,
    write_calendar,
)
from forum.services import feeds
from forum.timeutil import to_local
from forum.web.auth import form_page

bp = Blueprint("feeds", __name__)

ATOM = "application/atom+xml; charset=utf-8"
CALENDAR = "text/calendar; charset=utf-8"


@bp.errorhandler(errors.NotFound)
def no_such_feed(_error: errors.NotFound):
    """Plainly 404, never a login page: a feed reader cannot sign in, and a private
    course's feed is missing, not forbidden."""
    return Response("No such feed.\n", 404, content_type="text/plain; charset=utf-8")


def _entry(entry: feeds.FeedEntry, root: str, with_course: bool) -> AtomEntry:
    """An entry links to the post's page (a reply: its place in the thread); a feed of
    many courses names the course of each."""
    post_url = url_for("posts.show", post_id=entry.post.id, _external=True)
    if entry.is_reply:
        link = f"{post_url}#reply-{entry.item.id}"
        title = f"Reply to “{entry.post.title}”"
    else:
        link, title = post_url, entry.post.title
    return AtomEntry(id=link, title=title, link=link, author=entry.byline.name,
                     published=entry.published, updated=entry.updated,
                     html=absolute_links(entry.item.body_html, root),
                     category=entry.course.code if with_course else None)


def _atom(feed: feeds.Feed, *, title: str, page: str, updated, subtitle: str | None = None,
          private: bool = False) -> Response:
    root = url_for("main.index", _external=True)
    document = AtomFeed(
        id=request.base_url, title=title, link=page, self_link=request.base_url,
        updated=updated, subtitle=subtitle,
        entries=[_entry(entry, root, private) for entry in feed.entries])
    return _answer(write_atom(document), ATOM, private)


def _answer(body: bytes, content_type: str, private: bool = False) -> Response:
    response = Response(body, content_type=content_type)
    if private:
        response.headers["Cache-Control"] = "private, no-cache"
        response.headers["X-Robots-Tag"] = "noindex"
    else:
        response.headers["Cache-Control"] = "public, max-age=300"
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/courses/<id:course_id>/feed.atom")
def course_feed(course_id: int):
    """A public course's newest posts."""
    feed = feeds.public_course_feed(course_id)
    course = feed.course
    return _atom(feed, title=f"{course.code}: {course.title}",
                 page=url_for("courses.show", course_id=course.id, _external=True),
                 updated=course.created_at, subtitle="Newest posts")


@bp.get("/discussions/<id:discussion_id>/feed.atom")
def discussion_feed(discussion_id: int):
    """A public discussion's newest posts and replies."""
    feed = feeds.public_discussion_feed(discussion_id)
    discussion = feed.discussion
    return _atom(feed, title=f"{discussion.title} · {feed.course.code}",
                 page=url_for("discussions.show", discussion_id=discussion.id,
                              _external=True),
                 updated=discussion.created_at, subtitle="Newest posts and replies")


@bp.get("/feeds/<token>/courses.atom")
def private_feed(token: str):
    """The newest posts of the person's courses, as they may see them."""
    feed = feeds.private_feed(token)
    return _atom(feed, title="New posts in your courses",
                 page=url_for("main.index", _external=True), updated=feed.reader.created_at,
                 private=True)


def _events(discussion) -> list[CalendarEvent]:
    """An event for each of the discussion's dates, at its course's time zone; the UID
    names the discussion and the kind of date, so a calendar updates it in place."""
    course = discussion.course
    url = url_for("discussions.show", discussion_id=discussion.id, _external=True)
    host = urlsplit(request.host_url).hostname
    events = []
    for kind, moment in (("opens", discussion.opens_at), ("due", discussion.due_at),
                         ("locks", discussion.locks_at)):
        if moment is None:
            continue
        events.append(CalendarEvent(
            uid=f"discussion-{discussion.id}-{kind}@{host}",
            summary=f"{course.code}: {discussion.title} ({kind})",
            start=to_local(moment, course.timezone), url=url, stamp=discussion.updated_at,
            sequence=discussion.version - 1, description=f"{course.title}\n{url}"))
    return events


@bp.get("/feeds/<token>/due.ics")
def due_calendar(token: str):
    """The opening, due and locking dates of the person's discussions."""
    found = feeds.due_dates(token)
    events = [event for discussion in found.discussions for event in _events(discussion)]
    return _answer(write_calendar("Due dates", events), CALENDAR, private=True)


@bp.post("/me/feeds/rotate")
@login_required
def rotate():
    """New secret feed URLs; the old ones stop working."""
    feeds.rotate_feed_token(current_user)
    flash("Your private feeds have new addresses: the old ones no longer work. "
          "Give the new ones to your feed reader and calendar.", "success")
    return redirect(form_page())
