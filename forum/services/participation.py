"""What each student did in a discussion, counted in SQL: a fixed number of queries
whatever the class size."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import aliased, joinedload

from forum.access import (
    Actor,
    can_grade,
    can_release_grades,
    can_view_discussion,
    student_enrollments,
    visible_grades,
)
from forum.errors import NotFound, PermissionDenied
from forum.extensions import db
from forum.models import (
    Discussion,
    Enrollment,
    Grade,
    GradeState,
    Post,
    PromptState,
    Reply,
    ReplyKind,
    User,
)


@dataclass
class Participation:
    student: User
    posts: int = 0
    peer_replies: int = 0
    prompts_answered: int = 0
    prompts_open: int = 0
    words: int = 0
    first_post_at: datetime | None = None
    last_activity_at: datetime | None = None
    late_items: int = 0
    grade: Grade | None = None
    requirements_met: bool = False

    @property
    def grade_state(self) -> str:
        return self.grade.state.value if self.grade else "ungraded"


def authorize_grading(actor: Actor, discussion: Discussion) -> None:
    """Raises NotFound or PermissionDenied unless the actor grades this discussion."""
    if not can_view_discussion(actor, discussion):
        raise NotFound("No such discussion.")
    if not can_grade(actor, discussion):
        raise PermissionDenied("Only instructors and TAs grade.")


def participation(actor: Actor, discussion: Discussion) -> list[Participation]:
    """Every student of the course with their figures for this discussion, by name."""
    authorize_grading(actor, discussion)
    students = db.session.scalars(
        select(User).join(Enrollment, Enrollment.user_id == User.id)
        .where(student_enrollments(discussion.course_id))
        .order_by(func.lower(User.display_name), User.id)
    ).all()
    rows = {(discussion.id, student.id): Participation(student) for student in students}
    count_figures([discussion.id], rows)
    for grade in db.session.scalars(select(Grade).where(Grade.discussion_id == discussion.id)
                                    .options(joinedload(Grade.grader))):
        if (discussion.id, grade.student_id) in rows:
            rows[discussion.id, grade.student_id].grade = grade
    for row in rows.values():
        row.requirements_met = requirements_met(discussion, row)
    return list(rows.values())


def figures_of(student: User, discussions: list[Discussion]) -> dict[int, Participation]:
    """One student's figures in each of the discussions (by discussion id), in three
    statements however many discussions; no grade attached. The caller decides who may
    see them (services/progress.py: a student their own)."""
    rows = {(d.id, student.id): Participation(student) for d in discussions}
    count_figures([d.id for d in discussions], rows, student.id)
    for discussion in discussions:
        row = rows[discussion.id, student.id]
        row.requirements_met = requirements_met(discussion, row)
    return {discussion_id: row for (discussion_id, _), row in rows.items()}


def requirements_met(discussion: Discussion, row: Participation) -> bool:
    return (row.posts >= discussion.min_posts
            and row.peer_replies >= discussion.min_peer_replies
            and not (discussion.require_prompt_answers and row.prompts_open))


def count_figures(discussion_ids: list[int], rows: dict[tuple[int, int], Participation],
                  author_id: int | None = None) -> None:
    """Fill the rows, keyed by (discussion id, student id), with what each student wrote
    in each discussion: three statements whatever the numbers of both. `author_id`
    narrows the counting to one student."""
    if not discussion_ids:
        return
    _count_posts(discussion_ids, rows, author_id)
    _count_replies(discussion_ids, rows, author_id)
    _count_prompts(discussion_ids, rows, author_id)


def _late(created_at):
    """1 for an item written after its discussion's due date (none: never late)."""
    return case((and_(Discussion.due_at.is_not(None), created_at > Discussion.due_at), 1),
                else_=0)


def _count_posts(discussion_ids: list[int], rows: dict, author_id: int | None) -> None:
    query = (
        select(Post.discussion_id, Post.author_id, func.count(), func.sum(Post.word_count),
               func.min(Post.published_at), func.max(Post.published_at),
               func.sum(_late(Post.published_at)))
        .join(Discussion, Post.discussion_id == Discussion.id)
        .where(Post.discussion_id.in_(discussion_ids), Post.is_published, Post.is_live)
        .group_by(Post.discussion_id, Post.author_id)
    )
    if author_id is not None:
        query = query.where(Post.author_id == author_id)
    for discussion_id, author, count, words, first, last, late in db.session.execute(query):
        row = rows.get((discussion_id, author))
        if row is not None:
            row.posts, row.words, row.first_post_at = count, words or 0, first
            row.last_activity_at, row.late_items = last, late or 0


def _count_replies(discussion_ids: list[int], rows: dict, author_id: int | None) -> None:
    """Replies answering someone else count as peer replies; answers to prompts do not."""
    parent = aliased(Reply)
    answered_author = func.coalesce(parent.author_id, Post.author_id)
    to_peer = and_(answered_author != Reply.author_id,
                   func.coalesce(parent.kind, ReplyKind.REPLY.value) != ReplyKind.PROMPT.value)
    query = (
        select(Post.discussion_id, Reply.author_id, func.sum(case((to_peer, 1), else_=0)),
               func.sum(Reply.word_count), func.max(Reply.created_at),
               func.sum(_late(Reply.created_at)))
        .join(Post, Reply.post_id == Post.id)
        .join(Discussion, Post.discussion_id == Discussion.id)
        .outerjoin(parent, Reply.parent_id == parent.id)
        .where(Post.discussion_id.in_(discussion_ids), Reply.kind == ReplyKind.REPLY,
               Reply.is_live, Post.is_live)
        .group_by(Post.discussion_id, Reply.author_id)
    )
    if author_id is not None:
        query = query.where(Reply.author_id == author_id)
    for discussion_id, author, peer, words, last, late in db.session.execute(query):
        row = rows.get((discussion_id, author))
        if row is not None:
            row.peer_replies, row.words = peer or 0, row.words + (words or 0)
            row.late_items += late or 0
            if last and (row.last_activity_at is None or last > row.last_activity_at):
                row.last_activity_at = last


def _count_prompts(discussion_ids: list[int], rows: dict, author_id: int | None) -> None:
    query = (
        select(Post.discussion_id, Post.author_id, Reply.prompt_state, func.count())
        .join(Post, Reply.post_id == Post.id)
        .where(Post.discussion_id.in_(discussion_ids), Reply.kind == ReplyKind.PROMPT,
               Reply.is_live, Post.is_live)
        .group_by(Post.discussion_id, Post.author_id, Reply.prompt_state)
    )
    if author_id is not None:
        query = query.where(Post.author_id == author_id)
    for discussion_id, author, state, count in db.session.execute(query):
        row = rows.get((discussion_id, author))
        if row is not None:
            if state is PromptState.OPEN:
                row.prompts_open += count
            else:
                row.prompts_answered += count


def state_counts(rows: list[Participation]) -> dict[str, int]:
    counts = {"ungraded": 0, GradeState.DRAFT.value: 0, GradeState.RELEASED.value: 0}
    for row in rows:
        counts[row.grade_state] += 1
    return counts


# The roster's order and filters (the grading page and its API twin)

ROSTER_SORTS = ("name", "state", "late", "met", "score")
ROSTER_ORDERS = ("asc", "desc")
ROSTER_STATES = ("ungraded", GradeState.DRAFT.value, GradeState.RELEASED.value)
_FLAGS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


@dataclass(frozen=True)
class RosterQuery:
    """How to order and narrow the roster: `late` and `met` True/False, None for any."""

    sort: str = "name"
    order: str = "asc"
    state: str | None = None
    late: bool | None = None
    met: bool | None = None

    @property
    def narrowed(self) -> bool:
        return self.state is not None or self.late is not None or self.met is not None

    def params(self, **changes) -> dict[str, str]:
        """The query string of this view (with changes), leaving out the defaults."""
        view = {**self.__dict__, **changes}
        params = {}
        if view["sort"] != "name" or view["order"] != "asc":
            params["sort"], params["order"] = view["sort"], view["order"]
        if view["state"] is not None:
            params["state"] = view["state"]
        for name in ("late", "met"):
            if view[name] is not None:
                params[name] = "1" if view[name] else "0"
        return params


def parse_roster_query(args) -> tuple[RosterQuery, dict[str, list[str]]]:
    """Read a roster view from query arguments (a mapping of strings). Values that are
    not understood are left at their default and reported, field by field."""
    errors: dict[str, list[str]] = {}
    chosen: dict = {}

    def pick(name: str, allowed: tuple[str, ...]) -> None:
        value = (args.get(name) or "").strip().lower()
        if not value:
            return
        if value in allowed:
            chosen[name] = value
        else:
            errors[name] = [f"{name.capitalize()} is one of {', '.join(allowed)}."]

    pick("sort", ROSTER_SORTS)
    pick("order", ROSTER_ORDERS)
    pick("state", ROSTER_STATES)
    for name in ("late", "met"):
        value = (args.get(name) or "").strip().lower()
        if value in _FLAGS:
            chosen[name] = _FLAGS[value]
        elif value:
            errors[name] = [f"{name.capitalize()} is 1 (yes) or 0 (no)."]
    return RosterQuery(**chosen), errors


_STATE_ORDER = {state: n for n, state in enumerate(ROSTER_STATES)}


def arrange(rows: list[Participation], query: RosterQuery) -> list[Participation]:
    """The roster's rows narrowed and ordered as asked; ties stay in name order, and
    students without a score come last whichever way scores are ordered."""
    shown = [row for row in rows
             if (query.state is None or row.grade_state == query.state)
             and (query.late is None or (row.late_items > 0) is query.late)
             and (query.met is None or row.requirements_met is query.met)]
    shown.sort(key=lambda row: (row.student.display_name.lower(), row.student.id))
    descending = query.order == "desc"
    if query.sort == "name":
        return shown[::-1] if descending else shown
    if query.sort == "score":
        scored = [row for row in shown if row.grade is not None and row.grade.score is not None]
        unscored = [row for row in shown if row.grade is None or row.grade.score is None]
        scored.sort(key=lambda row: row.grade.score, reverse=descending)
        return scored + unscored
    key = {"state": lambda row: _STATE_ORDER[row.grade_state],
           "late": lambda row: row.late_items,
           "met": lambda row: row.requirements_met}[query.sort]
    shown.sort(key=key, reverse=descending)
    return shown


def drafts_to_release(actor: Actor, discussion: Discussion) -> list[User]:
    """The students whose draft grade "Release all" would release now (every draft of
    the discussion, as release_grades does), by name. Raises NotFound,
    PermissionDenied."""
    authorize_grading(actor, discussion)
    if not can_release_grades(actor, discussion):
        raise PermissionDenied("Only instructors release grades.")
    return list(db.session.scalars(
        select(User).join(Grade, Grade.student_id == User.id)
        .where(visible_grades(actor, discussion), Grade.state == GradeState.DRAFT)
        .order_by(func.lower(User.display_name), User.id)))
