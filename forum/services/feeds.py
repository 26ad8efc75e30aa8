"""Feeds: the newest writing of a public course or discussion as a visitor sees it, and
a person's own feeds (their courses' newest posts, their due dates) behind a secret URL.

Every feed holds only what its reader may see on the site now (the access scopes, read
as the anonymous visitor for public feeds and as the person for private ones), and of
that only what stands: published, approved by the moderators, not deleted. A feed costs
the same few statements whatever the number of its items.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from forum.access import (
    Actor,
    can_view_discussion,
    found_posts,
    my_courses,
    visible_discussions,
    visible_posts,
    visible_replies_in,
)
from forum.errors import NotFound, PermissionDenied
from forum.extensions import db
from forum.models import Anonymous, Course, Discussion, Post, Reply, User
from forum.services.authors import Byline, byline, post_byline
from forum.services.courses import get_course
from forum.transactions import writes

FEED_SIZE = 50  # the newest items a feed carries
# What secrets.token_urlsafe(32) makes; anything else is no feed, asked of no database.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")


@dataclass(frozen=True)
class FeedEntry:
    """A post or reply as the feed's reader may see it."""

    item: Post | Reply
    post: Post
    course: Course
    byline: Byline

    @property
    def is_reply(self) -> bool:
        return isinstance(self.item, Reply)

    @property
    def published(self) -> datetime:
        item = self.item
        moment = getattr(item, "published_at", None) or item.created_at
        return self.byline.moment(moment, self.course.timezone)

    @property
    def updated(self) -> datetime:
        """The last edit, or publication; beside a pseudonym only the day of it, as on
        the site."""
        edited = self.item.edited_at
        moment = self.byline.moment(edited, self.course.timezone) if edited else None
        return max(moment, self.published) if moment else self.published


@dataclass(frozen=True)
class Feed:
    entries: list[FeedEntry]
    course: Course | None = None  # a public course's feed, or a discussion's course
    discussion: Discussion | None = None
    reader: User | None = None  # whose private feed it is


def _standing(model: type[Post] | type[Reply]) -> tuple[ColumnElement[bool], ...]:
    """Of what a reader may see, what a feed carries: published, approved, not deleted
    (never a draft, a held item or a tombstone, even to those who see them)."""
    if model is Post:
        return Post.is_published, Post.is_approved, Post.is_live
    return (Reply.is_approved, Reply.is_live, Post.is_published, Post.is_approved,
            Post.is_live)


def _newest_posts(scope: ColumnElement[bool]) -> list[Post]:
    """The newest standing posts of the scope, with author, discussion and course."""
    return list(db.session.scalars(
        select(Post).where(scope, *_standing(Post))
        .options(joinedload(Post.author),
                 joinedload(Post.discussion).joinedload(Discussion.course))
        .order_by(func.coalesce(Post.published_at, Post.created_at).desc(), Post.id.desc())
        .limit(FEED_SIZE)
    ))


def _newest_replies(scope: ColumnElement[bool]) -> list[Reply]:
    """The newest standing replies of a scope over replies joined to their posts."""
    return list(db.session.scalars(
        select(Reply).join(Post, Reply.post_id == Post.id).where(scope, *_standing(Reply))
        .options(contains_eager(Reply.post), joinedload(Reply.author),
                 joinedload(Reply.guest))
        .order_by(Reply.created_at.desc(), Reply.id.desc()).limit(FEED_SIZE)
    ))


def _post_entries(reader: Actor, posts: list[Post]) -> list[FeedEntry]:
    return [FeedEntry(post, post, post.discussion.course, post_byline(reader, post))
            for post in posts]


def _newest_first(entries: list[FeedEntry]) -> list[FeedEntry]:
    return sorted(entries, key=lambda entry: entry.published, reverse=True)[:FEED_SIZE]


# Public feeds


def public_course_feed(course_id: int) -> Feed:
    """The newest posts of a public course, as a visitor without an account sees them.
    Raises NotFound (a private course too: its feed does not exist for anyone)."""
    visitor = Anonymous()
    course = get_course(visitor, course_id)
    return Feed(_post_entries(visitor, _newest_posts(visible_posts(visitor, course))),
                course=course)


def public_discussion_feed(discussion_id: int) -> Feed:
    """The newest posts and replies of a discussion anyone may read, as a visitor
    without an account sees them. Raises NotFound."""
    visitor = Anonymous()
    discussion = db.session.get(Discussion, discussion_id,
                                options=[joinedload(Discussion.course)])
    if discussion is None or not can_view_discussion(visitor, discussion):
        raise NotFound("No such discussion.")
    course = discussion.course
    entries = _post_entries(visitor, _newest_posts(visible_posts(visitor, discussion)))
    entries += [FeedEntry(reply, reply.post, course, byline(visitor, reply, course))
                for reply in _newest_replies(visible_replies_in(visitor, discussion))]
    return Feed(_newest_first(entries), course=course, discussion=discussion)


# Private feeds


def reader_of(token: str) -> User:
    """The person whose secret feed URL holds this token. Raises NotFound (an unknown,
    replaced or malformed token, a disabled account)."""
    if not _TOKEN.fullmatch(token or ""):
        raise NotFound("No such feed.")
    # With their courses: every rule the feed asks reads the reader's role.
    reader = db.session.scalars(
        select(User).where(User.feed_token == token).options(joinedload(User.enrollments))
    ).unique().one_or_none()
    if reader is None or reader.is_disabled:
        raise NotFound("No such feed.")
    return reader


def private_feed(token: str) -> Feed:
    """The newest posts of the token's owner's courses, as they may see them on the
    site (classmates' posts kept back by a reveal rule stay out). Raises NotFound."""
    reader = reader_of(token)
    # found_posts spans the person's own courses: what they may open there, not deleted.
    return Feed(_post_entries(reader, _newest_posts(found_posts(reader))), reader=reader)


@dataclass(frozen=True)
class DueDates:
    reader: User
    discussions: list[Discussion]  # with their courses; each has a date


def due_dates(token: str) -> DueDates:
    """The discussions of the token's owner's courses that they may read and that have
    an opening, due or locking date. Raises NotFound."""
    reader = reader_of(token)
    dated = or_(Discussion.opens_at.is_not(None), Discussion.due_at.is_not(None),
                Discussion.locks_at.is_not(None))
    discussions = db.session.scalars(
        select(Discussion)
        .where(my_courses(reader, Discussion.course_id), visible_discussions(reader), dated)
        .options(joinedload(Discussion.course)).order_by(Discussion.id)
    )
    return DueDates(reader, list(discussions))


@writes
def rotate_feed_token(actor: Actor) -> str:
    """Give the person a new secret for their private feed URLs; the old URLs stop
    working at once. Returns the new token. Raises PermissionDenied (no account)."""
    if not actor.is_authenticated or actor.id is None:
        raise PermissionDenied("Sign in to have private feeds.")
    person = db.session.get(User, actor.id)
    if person is None:
        raise PermissionDenied("Sign in to have private feeds.")
    person.feed_token = secrets.token_urlsafe(32)
    db.session.commit()
    return person.feed_token
