"""Search posts, replies and prompts in the courses the actor may read.

The text is matched by the database's own index (forum/models/search.py: FTS5 on
SQLite, tsvector on PostgreSQL), the rows by the search scopes of forum/access/search.py.
A page costs the same few statements whatever the number of hits: one for the ranked
page (with the total), two to load its posts and replies, two for their snippets, which
the database makes only for the page's rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from markupsafe import Markup
from sqlalchemy import (
    ColumnElement,
    case,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.orm import joinedload, selectinload

from forum.access import (
    Actor,
    can_view_course,
    can_view_discussion,
    found_posts,
    found_replies,
)
from forum.errors import Invalid, NotFound
from forum.extensions import db
from forum.formats.search_query import Query, parse
from forum.models import Course, Discussion, Post, Reply, ReplyKind, User
from forum.models.search import posts_fts, replies_fts
from forum.services.authors import Byline, byline
from forum.services.search_text import matchers, snippet_markup, snippets

KINDS = ("post", "reply", "prompt")
ORDERS = ("relevance", "date")
PAGE_SIZE_MAX = 100


@dataclass(frozen=True)
class Filters:
    """What narrows a search (all optional)."""

    course_id: int | None = None
    discussion_id: int | None = None
    author_id: int | None = None
    kinds: frozenset[str] = frozenset()  # empty: every kind
    since: datetime | None = None
    until: datetime | None = None
    order: str = "relevance"


@dataclass(frozen=True)
class Hit:
    """One found item as the actor may see it; `reply` is None for a post."""

    kind: str
    post: Post
    reply: Reply | None
    course: Course
    snippet: Markup
    byline: Byline
    created_at: datetime

    @property
    def id(self) -> int:
        return self.reply.id if self.reply is not None else self.post.id

    @property
    def title(self) -> str:
        return self.post.title


@dataclass
class Results:
    hits: list[Hit]
    total: int
    query: Query
    course: Course | None = None
    discussion: Discussion | None = None
    notes: list[str] = field(default_factory=list)


def _validated(actor: Actor, filters: Filters) -> tuple[Course | None, Discussion | None]:
    """The course and discussion a search is narrowed to: NotFound for one the actor may
    not read, as for one that does not exist."""
    errors: dict[str, list[str]] = {}
    course = discussion = None
    if filters.course_id is not None:
        course = db.session.get(Course, filters.course_id)
        if course is None or not can_view_course(actor, course):
            raise NotFound("No course you can read has this id.")
    if filters.discussion_id is not None:
        discussion = db.session.get(Discussion, filters.discussion_id)
        if discussion is None or not can_view_discussion(actor, discussion) or (
                course is not None and discussion.course_id != course.id):
            raise NotFound("No discussion you can read has this id in this course.")
        course = course or discussion.course
    unknown = set(filters.kinds) - set(KINDS)
    if unknown:
        errors["kind"] = [f"Kinds are {', '.join(KINDS)}."]
    if filters.order not in ORDERS:
        errors["order"] = [f"Order by {' or '.join(ORDERS)}."]
    if errors:
        raise Invalid(errors)
    return course, discussion


def _author_of(model, filters: Filters, query: Query) -> list[ColumnElement[bool]]:
    conditions = []
    if filters.author_id is not None:
        conditions.append(model.author_id == filters.author_id)
    if query.author:
        conditions.append(model.author_id.in_(select(User.id).where(
            func.lower(User.display_name) == query.author.lower())))
    return conditions


def _ranked(actor: Actor, query: Query, filters: Filters, course: Course | None,
            discussion: Discussion | None):
    """The union of matching posts and replies the actor may find, with their rank."""
    dialect = db.session.get_bind().dialect.name
    (post_match, post_rank), (reply_match, reply_rank) = matchers(dialect, query)
    attributed = filters.author_id is not None or query.author is not None
    kinds = filters.kinds or frozenset(KINDS)
    parts = []
    if "post" in kinds:
        moment = func.coalesce(Post.published_at, Post.created_at)
        conditions = [post_match, found_posts(actor, course, attributed=attributed),
                      *_author_of(Post, filters, query), *_dated(moment, filters)]
        if discussion is not None:
            conditions.append(Post.discussion_id == discussion.id)
        posts = select(literal("post").label("kind"), Post.id.label("id"),
                       moment.label("moment"), post_rank.label("rank")).where(*conditions)
        if dialect == "sqlite":
            posts = posts.select_from(posts_fts).join(Post, Post.id == posts_fts.c.rowid)
        parts.append(posts)
    reply_kinds = [k for k in ("reply", "prompt") if k in kinds]
    if reply_kinds:
        conditions = [reply_match, found_replies(actor, course, attributed=attributed),
                      *_author_of(Reply, filters, query), *_dated(Reply.created_at, filters)]
        if len(reply_kinds) == 1:
            conditions.append(Reply.kind == ReplyKind(reply_kinds[0]))
        if discussion is not None:
            conditions.append(Post.discussion_id == discussion.id)
        kind = case((Reply.kind == ReplyKind.PROMPT, literal("prompt")), else_=literal("reply"))
        replies = select(kind.label("kind"), Reply.id.label("id"),
                         Reply.created_at.label("moment"), reply_rank.label("rank"))
        if dialect == "sqlite":
            replies = replies.select_from(replies_fts).join(Reply, Reply.id == replies_fts.c.rowid)
        else:
            replies = replies.select_from(Reply)
        parts.append(replies.join(Post, Post.id == Reply.post_id).where(*conditions))
    return union_all(*parts).subquery("found") if len(parts) > 1 else parts[0].subquery("found")


def _day(moment: datetime, later: bool = False) -> datetime:
    day = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day + timedelta(days=1) if later and day < moment else day


def _dated(moment, filters: Filters) -> list[ColumnElement[bool]]:
    """A date range in whole days (UTC): a finer one would tell the minute an anonymous
    item was written, which its byline keeps to the day."""
    conditions = []
    if filters.since is not None:
        conditions.append(moment >= _day(filters.since))
    if filters.until is not None:
        conditions.append(moment < _day(filters.until, later=True))
    return conditions


def search(actor: Actor, text: str, filters: Filters = Filters(), offset: int = 0,
           limit: int = 20) -> Results:
    """One page of what the actor may find for `text` (the search box's syntax: words,
    "phrases", -exclusions, OR, author:Name), narrowed by `filters`, with the total.
    Raises NotFound for a course or discussion filter naming what the actor may not
    read (or nothing), Invalid for an unknown kind or order. A date range that ends
    before it starts finds nothing."""
    course, discussion = _validated(actor, filters)
    query = parse(text)
    results = Results([], 0, query, course, discussion, list(query.notes))
    if query.is_empty:
        return results
    found = _ranked(actor, query, filters, course, discussion)
    order = ((found.c.rank, found.c.id) if filters.order == "relevance"
             else (found.c.moment.desc(), found.c.id.desc()))
    rows = db.session.execute(
        select(found.c.kind, found.c.id, func.count().over().label("total"))
        .order_by(*order).offset(offset).limit(min(limit, PAGE_SIZE_MAX))).all()
    if rows:
        results.total = rows[0].total
    elif offset:
        results.total = db.session.scalar(select(func.count()).select_from(found))
    results.hits = _hits(actor, query, rows)
    return results


def _hits(actor: Actor, query: Query, rows) -> list[Hit]:
    post_ids = [row.id for row in rows if row.kind == "post"]
    reply_ids = [row.id for row in rows if row.kind != "post"]
    course_of = (joinedload(Post.discussion).joinedload(Discussion.course),
                 joinedload(Post.author))
    posts = {post.id: post for post in db.session.scalars(
        select(Post).where(Post.id.in_(post_ids)).options(*course_of))} if post_ids else {}
    replies = {reply.id: reply for reply in db.session.scalars(
        select(Reply).where(Reply.id.in_(reply_ids)).options(
            joinedload(Reply.author), selectinload(Reply.guest),
            joinedload(Reply.post).options(*course_of)))} if reply_ids else {}
    found_marks = snippets(query, post_ids, reply_ids)
    hits = []
    for row in rows:
        if row.kind == "post":
            post, reply = posts[row.id], None
            item, moment = post, post.published_at or post.created_at
        else:
            reply = replies[row.id]
            post, item, moment = reply.post, reply, reply.created_at
        course = post.discussion.course
        shown = byline(actor, item, course)
        hits.append(Hit(row.kind, post, reply, course,
                        snippet_markup(found_marks.get((row.kind == "post", row.id), "")),
                        shown, shown.moment(moment, course.timezone)))
    return hits


def kinds_of(values: list[str]) -> frozenset[str]:
    """Kinds named by a form or query string ('post', 'reply', 'prompt'); blanks dropped."""
    return frozenset(v.strip().lower() for v in values if v and v.strip())


__all__ = ["KINDS", "ORDERS", "Filters", "Hit", "Results", "search", "snippet_markup"]
