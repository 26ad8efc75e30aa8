"""@mentions of course members: resolved when text is written, found on dashboards.

The stored syntax is `@[Display Name]` (display names have spaces), which the writing
form's autocomplete inserts. When a post, reply or prompt is written or edited, the
names are matched against the members of its course (exactly, ignoring case and runs
of spaces) and rendered as profile links in its body_html; the Mention rows are derived
from those links, in the same transaction as the write. A name that no member has, or
that two members share, stays plain text: there is no way to tell which one was meant,
and refusing the text would leave the writer no way to post it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, false, func, or_, select

from forum.access import (
    Actor,
    can_view_members,
    is_member,
    member_courses,
    visible_enrollments,
    visible_people,
    visible_posts,
    visible_replies_in,
)
from forum.errors import NotFound
from forum.extensions import db
from forum.models import Course, Discussion, Enrollment, Post, Reply, User
from forum.models.limits import NAME_MAX
from forum.models.reactions import Mention
from forum.services import events
from forum.services.markup import mention_key, mention_names, render_markdown

MENTIONABLE_MAX = 10  # names the autocomplete offers at once
RECENT_MENTIONS = 20  # mentions on the dashboard

# The renderer writes exactly this for a mention (forum/services/markup.py), and nothing
# else it writes carries the class: the links are the record of who was mentioned.
_LINKED = re.compile(r'<a class="mention" href="/users/(\d+)"')


# Writing


def resolve(course: Course, body: str) -> dict[str, int]:
    """The members of the course named `@[Name]` in the body, as the renderer takes
    them: mention_key of the name → user id. Names no member has, or that several
    members share, are left out (they stay text)."""
    names = mention_names(body)
    if not names:
        return {}
    with db.session.no_autoflush:  # the edit in progress is flushed by its commit alone
        members = db.session.execute(
            select(User.id, User.display_name).join(Enrollment, Enrollment.user_id == User.id)
            .where(Enrollment.course_id == course.id)
        ).all()
    found: dict[str, list[int]] = {}
    for user_id, display_name in members:
        key = mention_key(display_name)
        if key in names:
            found.setdefault(key, []).append(user_id)
    return {key: ids[0] for key, ids in found.items() if len(ids) == 1}


def render(course: Course, body: str) -> str:
    """The body's safe HTML, its members' mentions linked to their profiles."""
    return render_markdown(body, resolve(course, body))


def mentioned_in(html: str) -> set[int]:
    """The people a rendered body links as mentions (never those in code)."""
    return {int(user_id) for user_id in _LINKED.findall(html or "")}


def named_in(item: Post | Reply) -> set[int]:
    """The people the item mentions, its author aside."""
    return mentioned_in(item.body_html) - {item.author_id}


def record(item: Post | Reply) -> list[int]:
    """Make the item's Mention rows match the mentions in its rendered body (not its
    author's own): new ones added, dropped ones removed, kept ones untouched; tells
    the newly named (forum/services/events.py). Not committed: the write that changed
    the item commits them with it. Returns the ids of the newly named."""
    wanted = named_in(item)
    column = Mention.post_id if isinstance(item, Post) else Mention.reply_id
    existing: dict[int, Mention] = {}
    if item.id is not None:
        with db.session.no_autoflush:  # a versioned edit flushes once, at its commit
            existing = {row.user_id: row for row in db.session.scalars(
                select(Mention).where(column == item.id))}
    for user_id, row in existing.items():
        if user_id not in wanted:
            db.session.delete(row)
    target = {"post": item} if isinstance(item, Post) else {"reply": item}
    added = sorted(wanted - existing.keys())
    for user_id in added:
        db.session.add(Mention(user_id=user_id, **target))
    events.mentioned(item, added)
    return added


# Finding them


@dataclass(frozen=True)
class MentionRow:
    """A mention of the viewer, as the dashboard and the API show it: where and when,
    never by whom (the item may be anonymous to classmates)."""

    id: int
    created_at: datetime
    post: Post
    reply_id: int | None
    course: Course


def _shown(actor: Actor, courses: list[Course]) -> ColumnElement[bool]:
    """The actor's mentions in items they may open now, in these courses: the posts'
    and replies' scopes of each course (drafts, held and deleted items, discussions
    and reveal rules as forum.access says), and of those only live, approved ones."""
    terms = []
    for course in courses:
        terms.append(and_(Mention.post_id.is_not(None), visible_posts(actor, course)))
        terms.append(and_(Mention.reply_id.is_not(None), visible_replies_in(actor, course),
                          Reply.is_live, Reply.is_approved))
    return and_(Mention.user_id == actor.id, Post.is_published, Post.is_live,
                Post.is_approved, or_(*terms) if terms else false())


def _mentions_query(actor: Actor, courses: list[Course]):
    return (
        select(Mention, Post, Discussion.course_id)
        .outerjoin(Reply, Mention.reply_id == Reply.id)
        .join(Post, Post.id == func.coalesce(Mention.post_id, Reply.post_id))
        .join(Discussion, Post.discussion_id == Discussion.id)
        .where(_shown(actor, courses))
    )


def _rows(actor: Actor, courses: list[Course], offset: int, limit: int) -> list[MentionRow]:
    by_id = {course.id: course for course in courses}
    found = db.session.execute(
        _mentions_query(actor, courses)
        .order_by(Mention.created_at.desc(), Mention.id.desc()).offset(offset).limit(limit)
    ).all()
    return [MentionRow(mention.id, mention.created_at, post, mention.reply_id,
                       by_id[course_id]) for mention, post, course_id in found]


def _my_courses(actor: Actor, courses: list[Course] | None) -> list[Course]:
    """The courses whose mentions the actor finds: those they are a member of (a
    course they left keeps its mentions out of sight)."""
    if not actor.is_authenticated:
        return []
    if courses is None:
        courses = list(db.session.scalars(select(Course).where(member_courses(actor))))
    return [course for course in courses if is_member(actor, course)]


def recent_mentions(actor: Actor, courses: list[Course] | None = None,
                    limit: int = RECENT_MENTIONS) -> list[MentionRow]:
    """The newest mentions of the actor in what they may see now; `courses` are those
    already loaded for the page (the actor's own), spared a statement. One statement
    for the list."""
    courses = _my_courses(actor, courses)
    return _rows(actor, courses, 0, limit) if courses else []


def page_of_mentions(actor: Actor, *, offset: int, limit: int) -> tuple[list[MentionRow], int]:
    """One page of the actor's mentions, newest first, and the total of all pages."""
    courses = _my_courses(actor, None)
    if not courses:
        return [], 0
    total = db.session.scalar(
        select(func.count()).select_from(_mentions_query(actor, courses).subquery()))
    return _rows(actor, courses, offset, limit), total


# The autocomplete


@dataclass(frozen=True)
class Mentionable:
    id: int
    display_name: str


def mentionable(actor: Actor, course: Course, query: str | None,
                limit: int = MENTIONABLE_MAX) -> list[Mentionable]:
    """Members of the course the actor may name, whose display name holds the query
    (ignoring case), names starting with it first; never the actor. Only for those who
    see the course's members. Raises NotFound."""
    if not can_view_members(actor, course):
        raise NotFound("No such course.")
    wanted = mention_key((query or "")[:NAME_MAX])
    members = db.session.execute(
        select(User.id, User.display_name).join(Enrollment, Enrollment.user_id == User.id)
        .where(visible_enrollments(actor, course), visible_people(actor),
               User.id != actor.id)
    ).all()
    ranked = []
    for user_id, display_name in members:
        key = mention_key(display_name)
        if wanted not in key:
            continue
        starts = 0 if key.startswith(wanted) else 1 if (" " + wanted) in key else 2
        ranked.append((starts, key, user_id, display_name))
    ranked.sort()
    return [Mentionable(user_id, name) for _, _, user_id, name in ranked[:limit]]
