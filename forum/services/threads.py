"""Reading threads and prompts: one ordered query per thread, visibility applied."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, exists, func, select
from sqlalchemy.orm import joinedload

from forum.access import (
    Actor,
    can_view_discussion,
    can_view_post,
    can_view_prompt_list,
    is_tombstone_for,
    is_unrevealed,
    is_withheld_from,
    my_courses,
    peers_revealed,
)
from forum.errors import NotFound, PermissionDenied
from forum.extensions import db
from forum.models import (
    Discussion,
    Enrollment,
    Moderation,
    Post,
    PromptState,
    Reply,
    ReplyKind,
    Role,
    User,
)
from forum.services.authors import Byline, byline, pseudonyms


@dataclass(frozen=True)
class ThreadNode:
    """One reply as a viewer sees it; a tombstone (deleted, or held back by the
    moderators) hides its body and author. Its byline is who wrote it as the viewer
    may be told; a quote of something the viewer may not read shows no text."""

    reply: Reply
    tombstone: bool
    author_role: Role | None
    byline: Byline | None = None
    quote_shown: bool = True

    @property
    def depth(self) -> int:
        return self.reply.depth


def author_roles(course_id: int, user_ids: set[int]) -> dict[int, Role]:
    """Course roles of the given users, in one query."""
    if not user_ids:
        return {}
    return dict(db.session.execute(
        select(Enrollment.user_id, Enrollment.role)
        .where(Enrollment.course_id == course_id, Enrollment.user_id.in_(user_ids))
    ).all())


def load_thread(actor: Actor, post: Post) -> list[ThreadNode]:
    """Every reply of the post in tree order, in two queries whatever the size.

    Others see a deleted or held reply only as a tombstone, and only while something
    visible hangs beneath it; staff see every reply whole, and authors their own held
    ones.
    """
    if not can_view_post(actor, post):
        raise NotFound("No such post.")
    discussion = post.discussion
    revealed = peers_revealed(actor, discussion)  # once, not once per reply
    author = joinedload(Reply.author)
    if not revealed:  # the rule reads whether each writer is staff
        author = author.selectinload(User.enrollments)
    replies = list(db.session.scalars(
        select(Reply).where(Reply.post_id == post.id).order_by(Reply.path)
        .options(author, joinedload(Reply.guest), joinedload(Reply.endorsed_by))
    ))
    course = discussion.course
    tombstones = {r.id for r in replies if is_tombstone_for(actor, r, course)
                  or is_withheld_from(actor, r, course)
                  or is_unrevealed(actor, r, discussion, revealed)}
    shown = _shown_ids(replies, tombstones)
    roles = author_roles(course.id, {r.author_id for r in replies if r.author_id}
                         | {post.author_id})
    numbers = pseudonyms(post, replies)
    readable = {r.id for r in replies if r.id in shown and r.id not in tombstones}
    post_readable = not is_tombstone_for(actor, post, course)
    return [_node(actor, r, course, r.id in tombstones, roles, numbers,
                  _quote_readable(r, readable, post_readable))
            for r in replies if r.id in shown]


def _quote_readable(reply: Reply, readable: set[int], post_readable: bool) -> bool:
    """Whether the passage a reply quotes may be shown: its source is read whole."""
    if reply.quoted_reply_id is not None:
        return reply.quoted_reply_id in readable
    return post_readable


def _node(actor: Actor, reply: Reply, course, tombstone: bool, roles: dict,
          numbers: dict[int, int], quote_shown: bool) -> ThreadNode:
    line = byline(actor, reply, course, numbers)
    role = None if line.hidden else roles.get(reply.author_id)
    return ThreadNode(reply, tombstone=tombstone, author_role=role, byline=line,
                      quote_shown=quote_shown)


# A number that grows with every write to a post's thread: a new reply adds its version
# (1), and any change to a reply raises its version. Replies are never removed.
_STAMP = select(func.coalesce(func.sum(Reply.version), 0))
THREAD_STAMP = _STAMP.where(Reply.post_id == Post.id).correlate(Post).scalar_subquery()
_STAMP_OF = _STAMP.where(Reply.post_id == bindparam("post_id"))


def held_reply_by(actor: Actor, post: Post) -> bool:
    """Whether the actor wrote a reply in the post's thread that the moderators hold."""
    return db.session.scalar(select(
        exists().where(Reply.post_id == post.id, Reply.author_id == actor.id,
                       Reply.moderation != Moderation.PUBLISHED))) or False


def thread_stamp(post: Post) -> int:
    """The post's thread stamp: read with the post where it was asked for, else now."""
    if post.thread_stamp is not None:
        return post.thread_stamp
    return db.session.scalar(_STAMP_OF, {"post_id": post.id})


def _shown_ids(replies: list[Reply], tombstones: set[int]) -> set[int]:
    """Replies shown whole, plus tombstones that still carry something shown beneath."""
    shown: set[int] = set()
    carries: set[int] = set()
    for reply in reversed(replies):  # children come after their parent in path order
        if reply.id not in tombstones or reply.id in carries:
            shown.add(reply.id)
            if reply.parent_id is not None:
                carries.add(reply.parent_id)
    return shown


@dataclass(frozen=True)
class PromptRow:
    prompt: Reply
    post: Post


def prompts_in_discussion(
    actor: Actor, discussion: Discussion, state: PromptState | None = None
) -> list[PromptRow]:
    """The discussion's prompts with their posts, for staff.
    Raises NotFound, PermissionDenied."""
    if not can_view_discussion(actor, discussion):
        raise NotFound("No such discussion.")
    if not can_view_prompt_list(actor, discussion):
        raise PermissionDenied("Only instructors and TAs see the list of prompts.")
    query = (
        select(Reply).join(Post, Reply.post_id == Post.id)
        .where(Post.discussion_id == discussion.id, Reply.kind == ReplyKind.PROMPT,
               Reply.is_live, Post.is_live)
        .options(joinedload(Reply.author), joinedload(Reply.endorsed_by),
                 joinedload(Reply.post).joinedload(Post.author))
        .order_by(Reply.created_at)
    )
    if state is not None:
        query = query.where(Reply.prompt_state == state)
    return [PromptRow(reply, reply.post) for reply in db.session.scalars(query)]


def prompts_awaiting(actor: Actor) -> list[PromptRow]:
    """Open prompts addressed to the actor in courses they still belong to."""
    if not actor.is_authenticated:
        return []
    query = (
        select(Reply).join(Post, Reply.post_id == Post.id)
        .join(Discussion, Post.discussion_id == Discussion.id)
        .where(my_courses(actor, Discussion.course_id), Post.author_id == actor.id,
               Reply.kind == ReplyKind.PROMPT, Reply.prompt_state == PromptState.OPEN,
               Reply.is_live, Post.is_live)
        .options(joinedload(Reply.author), joinedload(Reply.endorsed_by),
                 joinedload(Reply.post).joinedload(Post.discussion)
                 .joinedload(Discussion.course))
        .order_by(Reply.created_at)
    )
    return [PromptRow(reply, reply.post) for reply in db.session.scalars(query)]
