"""Search: which posts, replies and prompts a search may show, in one course or across
the actor's courses, and when an author filter may find them; predicates and scopes.

A search shows what the actor may open in the thread and is not deleted (a tombstone has
no text to find). Without a course filter it spans the actor's own courses (every one
for a site admin; public courses for a visitor who is not signed in); narrowed to one
course, that course as its pages show it (a public course to anyone). Narrowed to an
author, only items whose author the actor may know (never an anonymous classmate's).
The scopes of one course are the content scopes themselves; across courses they are the
same rules over every course at once, each course's standing read from enrollments.
"""

from __future__ import annotations

from sqlalchemy import Boolean, ColumnElement, and_, any_, func, or_, select, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal

from forum.access.actor import Actor, is_admin, takes_part
from forum.access.content import (
    _named,
    attributed_posts,
    can_see_author,
    can_view_post,
    can_view_reply,
    visible_discussions,
    visible_posts,
    visible_replies_in,
)
from forum.access.courses import can_view_course, my_courses, staff_courses, visible_courses
from forum.access.reveal import own_rows, revealed_anywhere
from forum.models import Course, Discussion, Post, Reply

# Courses


def is_searched(actor: Actor, course: Course) -> bool:
    """A course a search spans when not narrowed to one: a signed-in person's own
    courses (every course for a site admin); for a visitor, the public courses."""
    if actor.is_authenticated:
        return takes_part(actor, course)
    return can_view_course(actor, course)


def searched_courses(actor: Actor, course_id=Course.id) -> ColumnElement[bool]:
    """Twin of is_searched."""
    if actor.is_authenticated:
        return my_courses(actor, course_id)
    return visible_courses(actor, course_id)


# Posts


def can_find_post(actor: Actor, post: Post, narrowed: bool = False,
                  attributed: bool = False) -> bool:
    """A post a search may show: one the actor may open, not deleted, in a course the
    search spans (`narrowed`: the search names the post's course); with an author
    filter (`attributed`), only if the actor may know who wrote it."""
    course = post.discussion.course
    if not narrowed and not is_searched(actor, course):
        return False
    if attributed and not can_see_author(actor, post, course):
        return False
    return can_view_post(actor, post) and post.is_live


def _staffed(actor: Actor) -> ColumnElement[bool]:
    """Posts in the courses the actor teaches or assists in (all for admins)."""
    if is_admin(actor):
        return true()
    return Post.discussion_id.in_(select(Discussion.id).where(
        staff_courses(actor, Discussion.course_id)))


def _openable_anywhere(actor: Actor) -> ColumnElement[bool]:
    """visible_posts over every course the search spans at once."""
    shown = or_(Post.is_published, own_rows(actor, Post))  # drafts: their author's
    if is_admin(actor):
        return shown
    spanned = Post.discussion_id.in_(select(Discussion.id).where(
        searched_courses(actor, Discussion.course_id), visible_discussions(actor)))
    return and_(spanned, shown,
                or_(_staffed(actor), Post.is_approved, own_rows(actor, Post)),
                revealed_anywhere(actor, Post))


def _named_anywhere(actor: Actor, model: type[Post] | type[Reply]) -> ColumnElement[bool]:
    """can_see_author's twin over every course at once (join replies to their posts)."""
    if is_admin(actor):
        return true()
    return or_(model.anonymous.is_(False), own_rows(actor, model), _staffed(actor))


def found_posts(actor: Actor, within: Course | None = None,
                attributed: bool = False) -> ColumnElement[bool]:
    """The posts a search may show (twin of can_find_post): in one course, or in every
    course the search spans (within None)."""
    if within is None:
        found = and_(_openable_anywhere(actor), Post.is_live)
        return and_(found, _named_anywhere(actor, Post)) if attributed else found
    found = and_(visible_posts(actor, within), Post.is_live)
    return and_(found, attributed_posts(actor, within)) if attributed else found


# Replies and prompts


def can_attribute_reply(actor: Actor, reply: Reply) -> bool:
    """A reply the actor may read and knows the author of: what a list narrowed to one
    author's replies may hold (the replies' twin of can_attribute_post)."""
    return can_view_reply(actor, reply) and can_see_author(
        actor, reply, reply.post.discussion.course)


def attributed_replies(actor: Actor, within: Discussion | Course) -> ColumnElement[bool]:
    """Twin of can_attribute_reply (join Reply to Post)."""
    course = within.course if isinstance(within, Discussion) else within
    return and_(visible_replies_in(actor, within), _named(actor, Reply, course))


def can_find_reply(actor: Actor, reply: Reply, narrowed: bool = False,
                   attributed: bool = False) -> bool:
    """A reply or prompt a search may show: one the actor may read whole in its thread,
    not deleted, in a course the search spans; with an author filter, only if the
    actor may know who wrote it."""
    course = reply.post.discussion.course
    if not narrowed and not is_searched(actor, course):
        return False
    if attributed and not can_see_author(actor, reply, course):
        return False
    return can_view_reply(actor, reply) and reply.is_live


class _InArray(ColumnElement):
    """`column IN (subquery)`; on PostgreSQL `column = ANY (ARRAY(subquery))`: the
    subquery runs once, and its array lets the planner pair an index on the column with
    another (the text index) before reading any row."""

    inherit_cache = True
    type = Boolean()
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement),
                           ("subquery", InternalTraversal.dp_clauseelement)]

    def __init__(self, column, subquery):
        self.column, self.subquery = column, subquery


@compiles(_InArray)
def _in_subquery(element, compiler, **kw):
    return compiler.process(element.column.in_(element.subquery), **kw)


@compiles(_InArray, "postgresql")
def _in_array_postgresql(element, compiler, **kw):
    array = func.array(element.subquery.scalar_subquery())
    return compiler.process(element.column == any_(array), **kw)


def _in_searched_posts(actor: Actor) -> ColumnElement[bool]:
    """Replies under a post of a course the search spans."""
    discussions = select(Discussion.id).where(searched_courses(actor, Discussion.course_id))
    posts = select(Post.id).where(_InArray(Post.discussion_id, discussions)).correlate(None)
    return _InArray(Reply.post_id, posts)


def found_replies(actor: Actor, within: Course | None = None,
                  attributed: bool = False) -> ColumnElement[bool]:
    """The replies and prompts a search may show (twin of can_find_reply); the
    condition joins Reply to Post."""
    if within is None:
        held = or_(_staffed(actor), Reply.is_approved, own_rows(actor, Reply))
        found = and_(_openable_anywhere(actor), Reply.post_id == Post.id, Reply.is_live,
                     true() if is_admin(actor) else held, revealed_anywhere(actor, Reply))
        if not is_admin(actor):
            # Implied by the rest; it lets the database drop a reply of another course
            # before it reads the reply (most matches, at a million replies).
            found = and_(_in_searched_posts(actor), found)
        return and_(found, _named_anywhere(actor, Reply)) if attributed else found
    if attributed:
        return and_(attributed_replies(actor, within), Reply.is_live)
    return and_(visible_replies_in(actor, within), Reply.is_live)
