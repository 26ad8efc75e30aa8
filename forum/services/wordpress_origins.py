"""What a course already holds of a WordPress blog, so that importing a later export adds
only what is new: its posts, known by the link the first import kept as their first
source (or by title and time), and their comments, known by their time and author."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

from sqlalchemy import and_, select
from sqlalchemy.orm import joinedload

from forum.extensions import db
from forum.formats.wxr import WxrComment, WxrPost
from forum.models import Course, Discussion, Post, PostSource, Reply
from forum.models.limits import EMAIL_MAX, NAME_MAX, TITLE_MAX

FIRST_PUBLISHED = "First published on "  # how an imported post's first source begins
PUBLISHED_STATES = {"publish"}
DRAFT_STATES = {"draft", "pending", "private", "future"}
_TAGS = re.compile(r"<[^>]+>")


def plain(text: str) -> str:
    """HTML as its text on one line."""
    return " ".join(html.unescape(_TAGS.sub("", text)).split())


def is_imported(item: WxrPost) -> bool:
    """A blog post in a state the import takes (pages, attachments, trash are not)."""
    return item.post_type == "post" and item.status in PUBLISHED_STATES | DRAFT_STATES


def post_title(item: WxrPost) -> str:
    return (plain(item.title) or f"Untitled post of {item.date_gmt:%d %B %Y}")[:TITLE_MAX]


def naive(moment: datetime) -> datetime:
    """A moment compared across databases: UTC, without its zone, to the second."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0)


def guest_name(comment: WxrComment) -> str:
    return (comment.author_name or "Anonymous")[:NAME_MAX]


class KnownComments:
    """The replies a post has, by the second they were written: a comment of the export
    is one of them if one was written that second by the same member or guest (a guest
    whose data was erased since counts as the same), else by the same kind of author."""

    def __init__(self, post_id: int | None):
        self.by_second: dict[datetime, list[Reply]] = {}
        if post_id is None:
            return
        for reply in db.session.scalars(select(Reply).where(Reply.post_id == post_id)
                                        .options(joinedload(Reply.guest))
                                        .order_by(Reply.id)):
            self.by_second.setdefault(naive(reply.created_at), []).append(reply)

    def match(self, comment: WxrComment, member_id: int | None) -> Reply | None:
        candidates = self.by_second.get(naive(comment.date_gmt), [])

        def same_author(reply: Reply) -> bool:
            if member_id is not None:
                return reply.author_id == member_id
            guest = reply.guest
            return guest is not None and (guest.is_erased or (
                guest.name == guest_name(comment)
                and guest.email == comment.author_email[:EMAIL_MAX]))

        def same_kind(reply: Reply) -> bool:
            return (reply.guest_id is None) == (member_id is not None)

        found = next((r for r in candidates if same_author(r)), None) or \
            next((r for r in candidates if same_kind(r)), None)
        if found is not None:
            candidates.remove(found)  # each reply stands for one comment only
        return found


class KnownPosts:
    """The course's posts that an import of this blog made before."""

    def __init__(self, course: Course):
        first_source = and_(PostSource.post_id == Post.id, PostSource.position == 0,
                            PostSource.citation.startswith(FIRST_PUBLISHED))
        rows = db.session.execute(
            select(Post.id, Post.title, Post.created_at, PostSource.url).join(Discussion)
            .outerjoin(PostSource, first_source).where(Discussion.course_id == course.id))
        self.by_link: dict[str, int] = {}
        self.by_title: dict[tuple[str, datetime], int] = {}
        for post_id, title, created_at, url in rows:
            if url:
                self.by_link.setdefault(url, post_id)
            self.by_title.setdefault((title, naive(created_at)), post_id)

    def find(self, item: WxrPost, title: str) -> int | None:
        """The id of the post imported from this item before, if any."""
        by_link = self.by_link.get(item.link) if item.link else None
        return by_link or self.by_title.get((title, naive(item.date_gmt)))

    def remember(self, item: WxrPost, title: str, post: Post) -> None:
        """A post just written (flushed): the same item again in the file is not new."""
        if item.link:
            self.by_link.setdefault(item.link, post.id)
        self.by_title.setdefault((title, naive(item.date_gmt)), post.id)
