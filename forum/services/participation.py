"""What each student did in a discussion, counted in SQL: a fixed number of queries
whatever the class size."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import aliased, joinedload

from forum.access import Actor, can_grade, can_view_discussion, student_enrollments
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
    rows = {student.id: Participation(student) for student in students}
    _count_posts(discussion, rows)
    _count_replies(discussion, rows)
    _count_prompts(discussion, rows)
    for grade in db.session.scalars(select(Grade).where(Grade.discussion_id == discussion.id)
                                    .options(joinedload(Grade.grader))):
        if grade.student_id in rows:
            rows[grade.student_id].grade = grade
    for row in rows.values():
        row.requirements_met = requirements_met(discussion, row)
    return list(rows.values())


def requirements_met(discussion: Discussion, row: Participation) -> bool:
    return (row.posts >= discussion.min_posts
            and row.peer_replies >= discussion.min_peer_replies
            and not (discussion.require_prompt_answers and row.prompts_open))


def _late(created_at, discussion: Discussion):
    if discussion.due_at is None:
        return 0
    return case((created_at > discussion.due_at, 1), else_=0)


def _count_posts(discussion: Discussion, rows: dict[int, Participation]) -> None:
    query = select(
        Post.author_id, func.count(), func.sum(Post.word_count), func.min(Post.published_at),
        func.max(Post.published_at), func.sum(_late(Post.published_at, discussion)),
    ).where(Post.discussion_id == discussion.id, Post.is_published,
            Post.is_live).group_by(Post.author_id)
    for author_id, count, words, first, last, late in db.session.execute(query):
        if author_id in rows:
            row = rows[author_id]
            row.posts, row.words, row.first_post_at = count, words or 0, first
            row.last_activity_at, row.late_items = last, late or 0


def _count_replies(discussion: Discussion, rows: dict[int, Participation]) -> None:
    """Replies answering someone else count as peer replies; answers to prompts do not."""
    parent = aliased(Reply)
    answered_author = func.coalesce(parent.author_id, Post.author_id)
    to_peer = and_(answered_author != Reply.author_id,
                   func.coalesce(parent.kind, ReplyKind.REPLY.value) != ReplyKind.PROMPT.value)
    query = (
        select(Reply.author_id, func.sum(case((to_peer, 1), else_=0)),
               func.sum(Reply.word_count), func.max(Reply.created_at),
               func.sum(_late(Reply.created_at, discussion)))
        .join(Post, Reply.post_id == Post.id).outerjoin(parent, Reply.parent_id == parent.id)
        .where(Post.discussion_id == discussion.id, Reply.kind == ReplyKind.REPLY,
               Reply.is_live, Post.is_live)
        .group_by(Reply.author_id)
    )
    for author_id, peer, words, last, late in db.session.execute(query):
        if author_id in rows:
            row = rows[author_id]
            row.peer_replies, row.words = peer or 0, row.words + (words or 0)
            row.late_items += late or 0
            if last and (row.last_activity_at is None or last > row.last_activity_at):
                row.last_activity_at = last


def _count_prompts(discussion: Discussion, rows: dict[int, Participation]) -> None:
    query = (
        select(Post.author_id, Reply.prompt_state, func.count())
        .join(Post, Reply.post_id == Post.id)
        .where(Post.discussion_id == discussion.id, Reply.kind == ReplyKind.PROMPT,
               Reply.is_live, Post.is_live)
        .group_by(Post.author_id, Reply.prompt_state)
    )
    for author_id, state, count in db.session.execute(query):
        if author_id in rows:
            if state is PromptState.OPEN:
                rows[author_id].prompts_open += count
            else:
                rows[author_id].prompts_answered += count


def state_counts(rows: list[Participation]) -> dict[str, int]:
    counts = {"ungraded": 0, GradeState.DRAFT.value: 0, GradeState.RELEASED.value: 0}
    for row in rows:
        counts[row.grade_state] += 1
    return counts
