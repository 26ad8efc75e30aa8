"""Who wrote a post or reply, as a given viewer may be told: a name with a profile, or,
for anonymous writing the viewer may not attribute, a pseudonym stable within the
thread ("Anonymous 2"), with no id, no profile, no role and only the day it was written."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from forum.access import Actor, can_see_author, is_author
from forum.extensions import db
from forum.models import Course, Post, Reply
from forum.timeutil import to_local

ANONYMOUS = "Anonymous"


@dataclass(frozen=True)
class Byline:
    name: str
    user_id: int | None  # whose profile to link; None for a guest or a pseudonym
    anonymous: bool = False  # written anonymously (staff see the name, marked so)
    hidden: bool = False  # the viewer is shown a pseudonym: no id, role or exact time
    guest: bool = False

    def moment(self, moment: datetime | None, timezone: str) -> datetime | None:
        """A time as this viewer may see it: beside a pseudonym, the start of its day in
        the course's time zone, so that no minute matches the writer's signed activity."""
        if moment is None or not self.hidden:
            return moment
        day = to_local(moment, timezone).replace(hour=0, minute=0, second=0, microsecond=0)
        return day.astimezone(UTC)


def pseudonyms(post: Post, replies: Iterable[Reply]) -> dict[int, int]:
    """Numbers for the anonymous writers of a thread, in order of first appearance (the
    post's author first): the same writer keeps their number throughout the thread."""
    numbers: dict[int, int] = {}
    items = [post, *sorted(replies, key=lambda reply: reply.id)]
    for item in items:
        if item.anonymous and item.author_id is not None and item.author_id not in numbers:
            numbers[item.author_id] = len(numbers) + 1
    return numbers


def thread_pseudonyms(post: Post) -> dict[int, int]:
    """The thread's pseudonym numbers, read with one query (for a reply shown alone)."""
    rows = db.session.execute(
        select(Reply.id, Reply.author_id).where(Reply.post_id == post.id, Reply.anonymous)
        .order_by(Reply.id)).all()
    numbers = {post.author_id: 1} if post.anonymous else {}
    for _id, author_id in rows:
        if author_id is not None and author_id not in numbers:
            numbers[author_id] = len(numbers) + 1
    return numbers


def byline(actor: Actor, item: Post | Reply, course: Course,
           numbers: dict[int, int] | None = None) -> Byline:
    """Who wrote the item, as the actor may see it. Without the thread's numbers (a
    list of items from many threads) a pseudonym is plain "Anonymous"."""
    guest = getattr(item, "guest", None)
    if guest is not None:
        return Byline(guest.name, None, guest=True)
    if can_see_author(actor, item, course):
        name = item.author.display_name
        if item.anonymous and is_author(actor, item):
            name = "you (anonymous)"
        return Byline(name, item.author_id, anonymous=item.anonymous)
    number = (numbers or {}).get(item.author_id)
    return Byline(f"{ANONYMOUS} {number}" if number else ANONYMOUS, None,
                  anonymous=True, hidden=True)


def post_byline(actor: Actor, post: Post) -> Byline:
    """Who wrote a post, as the actor may see it: an anonymous post's author is the
    first of its thread ("Anonymous 1")."""
    numbers = {post.author_id: 1} if post.anonymous else None
    return byline(actor, post, post.discussion.course, numbers)
