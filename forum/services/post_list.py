"""What the discussion page's kept list of posts depends on, and what one viewer sees otherwise.

The list is kept per kind of viewer (forum/web/post_list_view.py): rendered for a stand-in
of the viewer's standing with no identity (a `Peer`), whose rules read only the kind. What
differs for one person comes from the scopes themselves, compared for the viewer and for
their kind: the posts listed for the viewer that the kind's list lacks or shows otherwise
(their own, and a tombstone kept only by their own reply), and the replies counted for the
viewer and not for the kind (their own held ones, or their own in a sealed discussion).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, case, exists, false, func, or_, select, true

from forum.access import Actor, listed_posts, visible_replies_in
from forum.access.reveal import own_rows
from forum.extensions import db
from forum.models import Discussion, Post, Reply


@dataclass(frozen=True)
class ListStamp:
    """The stamp of a discussion's posts and replies, and whether the viewer has posts or
    replies the kind's list shows otherwise (then they are read for the viewer)."""

    stamp: tuple[int, ...]
    own_posts: bool
    own_replies: bool


def _unless(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """NOT condition, reading a NULL (a guest's row in an IN) as false, as WHERE does."""
    return case((condition, 0), else_=1) == 1


def _counted(condition: ColumnElement[bool]):
    return func.sum(case((condition, 1), else_=0))


def personal_posts(actor: Actor, kind: Actor, discussion: Discussion) -> ColumnElement[bool]:
    """Posts the actor's list shows otherwise than their kind's: their own, and any the
    kind's list lacks. To compose with listed_posts(actor, …)."""
    return or_(own_rows(actor, Post), _unless(listed_posts(kind, discussion)))


def _personal_replies(actor: Actor, kind: Actor, discussion: Discussion
                      ) -> list[ColumnElement[bool]]:
    """The actor's own replies in the discussion (joined to their posts) that are counted
    for them; they are the only ones counted otherwise than for their kind
    (tests/test_post_list_cache.py checks it seat by seat)."""
    return [Reply.post_id == Post.id, Post.discussion_id == discussion.id,
            own_rows(actor, Reply), visible_replies_in(actor, discussion)]


def list_stamp(actor: Actor, kind: Actor, discussion: Discussion, *,
               personal: bool) -> ListStamp:
    """One statement: the discussion's posts (count, sum of versions, highest id) and
    replies (count, sum of versions); with `personal`, whether the actor has posts or
    replies their kind's list shows or counts otherwise. Every change to a post raises
    its version (version_id_col) and every change to a reply raises its own (the thread's
    rules), so any change to what a list shows changes the stamp."""
    posts = (select(func.count().label("n"), func.coalesce(func.sum(Post.version), 0)
                    .label("v"), func.coalesce(func.max(Post.id), 0).label("top"))
             .where(Post.discussion_id == discussion.id).subquery())
    replies = (select(func.count().label("n"), func.coalesce(func.sum(Reply.version), 0)
                      .label("v"))
               .join(Post, Reply.post_id == Post.id)
               .where(Post.discussion_id == discussion.id).subquery())
    if personal:
        own_posts = exists().where(listed_posts(actor, discussion),
                                   personal_posts(actor, kind, discussion))
        own_replies = exists().where(*_personal_replies(actor, kind, discussion),
                                     _unless(visible_replies_in(kind, discussion)))
    else:
        own_posts = own_replies = false()
    row = db.session.execute(
        select(posts.c.n, posts.c.v, posts.c.top, replies.c.n, replies.c.v,
               own_posts.label("own_posts"), own_replies.label("own_replies"))
        .select_from(posts).join(replies, true())  # one row each
    ).one()
    return ListStamp(tuple(int(value) for value in row[:5]), bool(row[5]), bool(row[6]))


def reply_count_deltas(actor: Actor, kind: Actor, discussion: Discussion) -> dict[int, int]:
    """By post: how many more replies the actor's list counts than their kind's. One
    statement over the actor's own replies in the discussion."""
    rows = db.session.execute(
        select(Reply.post_id, func.count(), _counted(visible_replies_in(kind, discussion)))
        .where(*_personal_replies(actor, kind, discussion)).group_by(Reply.post_id)
    ).all()
    return {post_id: mine - int(theirs or 0) for post_id, mine, theirs in rows
            if mine != int(theirs or 0)}
