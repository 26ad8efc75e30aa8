"""Likes and endorsements of posts and replies.

A like is a row (one per member and item) and a count kept on the item; an endorsement
is who endorsed it and when. Both are written with one UPDATE that also raises a
reply's version, so that the post page's kept threads change with them (a post's
version is left alone: a like never makes its author's edit conflict).
"""

from __future__ import annotations

from sqlalchemy import exists, or_, select, update
from sqlalchemy.exc import IntegrityError

from forum.access import Actor, can_endorse, can_like
from forum.errors import PermissionDenied
from forum.extensions import db
from forum.models import Course, Like, Post, Reply, utcnow
from forum.transactions import writes


def _course_of(item: Post | Reply) -> Course:
    post = item if isinstance(item, Post) else item.post
    return post.discussion.course


def _target(item: Post | Reply) -> dict:
    return {"post_id": item.id} if isinstance(item, Post) else {"reply_id": item.id}


def _like_of(actor: Actor, item: Post | Reply):
    target = _target(item)
    column = Like.post_id if "post_id" in target else Like.reply_id
    return select(Like.id).where(Like.user_id == actor.id, column == item.id)


def _write(item: Post | Reply, **values) -> None:
    """One UPDATE of the item; a reply's version rises with it (its thread's stamp)."""
    model = type(item)
    if model is Reply:
        values["version"] = Reply.version + 1
    db.session.execute(update(model).where(model.id == item.id).values(**values)
                       .execution_options(synchronize_session="fetch"))


def likes(actor: Actor, item: Post | Reply) -> bool:
    """Whether the actor likes the item."""
    if not actor.is_authenticated:
        return False
    return bool(db.session.scalar(select(exists(_like_of(actor, item)))))


def _commit_like(item: Post | Reply) -> None:
    """Commit a like; the same like sent twice at once leaves one (the second is told
    it is done)."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()


@writes
def like(actor: Actor, item: Post | Reply) -> bool:
    """Like the item (once: liking again changes nothing). Raises PermissionDenied."""
    if not can_like(actor, item, _course_of(item)):
        raise PermissionDenied("You cannot like this.")
    if db.session.scalar(_like_of(actor, item)) is None:
        db.session.add(Like(user_id=actor.id, **_target(item)))
        _write(item, like_count=type(item).like_count + 1)
        _commit_like(item)
    return True


@writes
def unlike(actor: Actor, item: Post | Reply) -> bool:
    """Take a like back (nothing to take back changes nothing). Raises PermissionDenied."""
    if not can_like(actor, item, _course_of(item)):
        raise PermissionDenied("You cannot like this.")
    like_id = db.session.scalar(_like_of(actor, item))
    if like_id is not None:
        db.session.delete(db.session.get(Like, like_id))
        _write(item, like_count=type(item).like_count - 1)
        db.session.commit()
    return False


@writes
def endorse(actor: Actor, item: Post | Reply, endorsed: bool = True) -> Post | Reply:
    """Endorse the item, or take the endorsement back (staff).
    Raises PermissionDenied."""
    if not can_endorse(actor, item, _course_of(item)):
        raise PermissionDenied("Only the course staff endorse posts and replies.")
    if endorsed != item.is_endorsed:
        _write(item, endorsed_at=utcnow() if endorsed else None,
               endorsed_by_id=actor.id if endorsed else None)
        db.session.commit()
    return item


def liked_in_thread(actor: Actor, post: Post) -> tuple[bool, frozenset[int]]:
    """Whether the actor likes the post, and which replies of its thread (one query;
    none where the post was read with the answer that they like nothing there)."""
    if not actor.is_authenticated or post.viewer_likes is False:
        return False, frozenset()
    rows = db.session.execute(select(Like.post_id, Like.reply_id).where(
        Like.user_id == actor.id, or_(
            Like.post_id == post.id,
            Like.reply_id.in_(select(Reply.id).where(Reply.post_id == post.id))))).all()
    return (any(post_id is not None for post_id, _ in rows),
            frozenset(reply_id for _, reply_id in rows if reply_id is not None))


def liked_among(actor: Actor, reply_ids: list[int]) -> frozenset[int]:
    """Which of these replies the actor likes (one query, none for no replies)."""
    if not actor.is_authenticated or not reply_ids:
        return frozenset()
    return frozenset(db.session.scalars(
        select(Like.reply_id).where(Like.user_id == actor.id, Like.reply_id.in_(reply_ids))))


def liked_posts(actor: Actor, post_ids: list[int]) -> frozenset[int]:
    """Which of these posts the actor likes (one query, none for no posts)."""
    if not actor.is_authenticated or not post_ids:
        return frozenset()
    return frozenset(db.session.scalars(
        select(Like.post_id).where(Like.user_id == actor.id, Like.post_id.in_(post_ids))))
