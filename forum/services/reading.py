"""Reading: what is new to each person, and read marks (forum/models/reading.py).

A post is unread by someone who never opened it; a reply is unread while it appeared
in its thread after the person last saw the thread, or it was a classmate's kept back
from them by a post-first discussion then. Only what the person may read counts (the
access scopes), never their own writing, nor deleted or held items. Every count is a
fixed number of statements, whatever the number of posts and replies.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, case, false, func, literal, or_, select, true, union_all
from sqlalchemy.dialects import postgresql, sqlite

from forum.access import (
    Actor,
    by_classmate,
    peers_revealed,
    revealed_discussions,
    visible_posts,
    visible_replies_in,
)
from forum.extensions import db
from forum.models import Course, Discussion, Post, ReadMark, Reply, utcnow
from forum.services.threads import ThreadNode
from forum.transactions import writes


@dataclass(frozen=True)
class ReadState:
    """How far the viewer had read a thread before this page: what shows as new."""

    viewer_id: int | None = None  # None: nobody to mark (a visitor without an account)
    through: int | None = None  # the thread's reply_seq they saw; None: never opened
    unrevealed: bool = False  # classmates' writing was kept from them then

    @property
    def post_is_new(self) -> bool:
        return self.viewer_id is not None and self.through is None

    def is_new(self, seq: int, author_id: int | None, classmate: bool) -> bool:
        """A reply (live, published, one the viewer reads whole) new to the viewer."""
        if self.viewer_id is None or author_id == self.viewer_id:
            return False
        return self.through is None or seq > self.through or (self.unrevealed and classmate)


def _state(actor: Actor, post: Post, through: int | None, unrevealed: bool | None
           ) -> ReadState:
    """The actor's read state of a post from their mark (through None: no mark)."""
    if not _members(actor):
        return ReadState()
    if through is None and actor.id == post.author_id:  # their own post is never new
        through = 0
    return ReadState(actor.id, through, bool(unrevealed))


def read_state(actor: Actor, post: Post) -> ReadState:
    """The viewer's read mark of the post, as read with it for its page."""
    return _state(actor, post, post.viewer_read_through, post.viewer_read_unrevealed)


# Read with the post for its page (forum.services.posts.get_post).
def read_through_column(viewer_id) -> ColumnElement:
    return select(ReadMark.through).where(
        ReadMark.post_id == Post.id, ReadMark.user_id == viewer_id).scalar_subquery()


def read_unrevealed_column(viewer_id) -> ColumnElement:
    return select(ReadMark.unrevealed).where(
        ReadMark.post_id == Post.id, ReadMark.user_id == viewer_id).scalar_subquery()


def _upsert(rows):
    """Write read marks (values, or a select of post_id, through, unrevealed): a mark
    never goes back to less than it had seen."""
    insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
    columns = ["user_id", "post_id", "through", "unrevealed", "read_at"]
    statement = (insert(ReadMark).from_select(columns, rows) if hasattr(rows, "subquery")
                 else insert(ReadMark).values(rows))
    table, excluded = ReadMark.__table__.c, statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[ReadMark.user_id, ReadMark.post_id],
        set_={"through": case((excluded.through > table.through, excluded.through),
                              else_=table.through),
              "unrevealed": excluded.unrevealed, "read_at": excluded.read_at})


def mark_post_read(actor: Actor, post: Post) -> None:
    """The post and its thread as the page just showed them are read by the actor.

    The one write a page view makes: a single statement, inside the page's read unit
    (see forum.transactions). Call it after the page is rendered: it commits.
    """
    if not _members(actor):
        return
    unrevealed = not peers_revealed(actor, post.discussion)
    if post.viewer_read_through == post.reply_seq and \
            bool(post.viewer_read_unrevealed) == unrevealed:
        return  # nothing appeared since: a page read again writes nothing
    db.session.execute(_upsert({
        "user_id": actor.id, "post_id": post.id, "through": post.reply_seq,
        "unrevealed": unrevealed, "read_at": utcnow()}))
    db.session.commit()


@writes
def mark_discussion_read(actor: Actor, discussion: Discussion) -> None:
    """Every post of the discussion the actor may open, and its thread, read now."""
    unrevealed = literal(not peers_revealed(actor, discussion))
    _mark_all(actor, visible_posts(actor, discussion), unrevealed)


@writes
def mark_course_read(actor: Actor, course: Course) -> None:
    """Every post of the course the actor may open, and its thread, read now."""
    revealed = Post.discussion_id.in_(select(Discussion.id).where(
        Discussion.course_id == course.id, revealed_discussions(actor, course)))
    _mark_all(actor, visible_posts(actor, course), case((revealed, false()), else_=true()))


def _mark_all(actor: Actor, posts: ColumnElement[bool], unrevealed: ColumnElement) -> None:
    if not _members(actor):
        return
    rows = select(literal(actor.id), Post.id, Post.reply_seq, unrevealed,
                  literal(utcnow())).where(posts)
    db.session.execute(_upsert(rows))
    db.session.commit()


def _marked(actor: Actor, post_id) -> ColumnElement[bool]:
    return and_(ReadMark.post_id == post_id, ReadMark.user_id == actor.id)


def _new_post(actor: Actor) -> ColumnElement[bool]:
    """Posts (outer-joined to the actor's read marks) the actor never opened."""
    return and_(ReadMark.post_id.is_(None), Post.is_published, Post.is_live,
                Post.is_approved, Post.author_id != actor.id)


def _new_reply(actor: Actor, course: Course) -> ColumnElement[bool]:
    """Replies (outer-joined to the actor's read marks of their posts) new to them."""
    return and_(Reply.is_live, Reply.is_approved, Reply.author_id.is_distinct_from(actor.id),
                or_(ReadMark.through.is_(None), Reply.seq > ReadMark.through,
                    and_(ReadMark.unrevealed, by_classmate(actor, Reply, course))))


def _per_post(actor: Actor, within: Discussion | Course, *keys):
    """Each post of `within` the actor may open (with `keys` beside it): 1 if they never
    opened it, and how many of its replies are new to them. The replies are counted post
    by post (a correlated count over the index on post and seq), so a course's count
    reads its own replies only, whatever the size of the database."""
    course = within.course if isinstance(within, Discussion) else within
    new_replies = (select(func.count()).select_from(Reply)
                   .where(visible_replies_in(actor, within), _new_reply(actor, course))
                   .correlate(Post, ReadMark).scalar_subquery())
    return (select(*keys, case((_new_post(actor), 1), else_=0).label("post_new"),
                   new_replies.label("replies_new"))
            .select_from(Post).outerjoin(ReadMark, _marked(actor, Post.id))
            .where(visible_posts(actor, within)))


def _members(actor: Actor) -> bool:
    return actor.is_authenticated and actor.id is not None


def unread_by_discussion(actor: Actor, course: Course) -> dict[int, int]:
    """Unread posts and replies in each discussion of the course, in one statement."""
    if not _members(actor):
        return {}
    rows = _per_post(actor, course, Post.discussion_id.label("key")).subquery()
    return _summed(select(rows.c.key, func.sum(rows.c.post_new + rows.c.replies_new))
                   .group_by(rows.c.key))


@dataclass(frozen=True)
class UnreadCourses:
    """Unread posts and replies of several courses, by course and by discussion."""

    courses: dict[int, int] = field(default_factory=dict)
    discussions: dict[int, int] = field(default_factory=dict)


def unread_in_courses(actor: Actor, courses: list[Course]) -> UnreadCourses:
    """Unread posts and replies in each of the courses and each of their discussions,
    in one statement whatever the number of courses."""
    if not _members(actor) or not courses:
        return UnreadCourses()
    rows = union_all(*(_per_post(actor, course, literal(course.id).label("course"),
                                 Post.discussion_id.label("key")) for course in courses)
                     ).subquery()
    found = UnreadCourses()
    for course_id, discussion_id, n in db.session.execute(
            select(rows.c.course, rows.c.key, func.sum(rows.c.post_new + rows.c.replies_new))
            .group_by(rows.c.course, rows.c.key)):
        if n:
            found.courses[course_id] = found.courses.get(course_id, 0) + int(n)
            found.discussions[discussion_id] = int(n)
    return found


def unread_by_course(actor: Actor, courses: list[Course]) -> dict[int, int]:
    """Unread posts and replies in each of the courses, in one statement."""
    return unread_in_courses(actor, courses).courses


def _summed(statement) -> dict[int, int]:
    return {key: int(n) for key, n in db.session.execute(statement) if n}


@dataclass(frozen=True)
class UnreadPosts:
    """Of a list of posts: those never opened, and how many replies are new in each."""

    posts: frozenset[int] = frozenset()
    replies: dict[int, int] = field(default_factory=dict)

    def total(self) -> int:
        return len(self.posts) + sum(self.replies.values())


def unread_in_discussion(actor: Actor, discussion: Discussion,
                         post_ids: list[int] | None = None) -> UnreadPosts:
    """Which posts of the discussion (or of just these) the actor never opened, and
    their new replies by post: one statement."""
    if not _members(actor) or post_ids == []:
        return UnreadPosts()
    narrow = true() if post_ids is None else Post.id.in_(post_ids)
    rows = db.session.execute(_per_post(actor, discussion, Post.id).where(narrow)).all()
    return UnreadPosts(frozenset(post_id for post_id, new, _ in rows if new),
                       {post_id: n for post_id, _, n in rows if n})


def stored_read_state(actor: Actor, post: Post) -> ReadState:
    """The actor's read mark of a post loaded without it: one statement."""
    if not _members(actor):
        return ReadState()
    mark = db.session.get(ReadMark, (actor.id, post.id))
    return _state(actor, post, mark and mark.through, mark and mark.unrevealed)


def by_classmate_node(node: ThreadNode) -> bool:
    """A reply in a thread that a post-first discussion may keep back: by a guest or a
    student, not by staff nor a site admin (the thread's twin of by_classmate)."""
    reply = node.reply
    if reply.author_id is None:
        return True
    return not (node.author_role is not None and node.author_role.is_staff) \
        and not reply.author.is_admin


def is_new_node(read: ReadState, node: ThreadNode) -> bool:
    """A reply of a loaded thread new to the reader: shown whole, live, published."""
    reply = node.reply
    return not node.tombstone and reply.is_live and not reply.is_held and read.is_new(
        reply.seq, reply.author_id, by_classmate_node(node))
