"""The dashboard: what needs the actor's attention across their courses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select, union
from sqlalchemy.orm import joinedload

from forum.access import Actor, is_student, my_courses, revealed_anywhere, staff_courses
from forum.extensions import db
from forum.models import (
    Course,
    Discussion,
    Grade,
    Post,
    PromptState,
    Reply,
    ReplyKind,
    utcnow,
)
from forum.services.courses import courses_for
from forum.services.mentions import MentionRow, recent_mentions
from forum.services.progress import Progress, my_progress, new_grades
from forum.services.reading import UnreadCourses, unread_in_courses
from forum.services.threads import PromptRow, prompts_awaiting
from forum.services.todo import Todo, staff_todo

DUE_SOON = timedelta(days=14)
NEW_POSTS = timedelta(days=7)
RECENT_LIMIT = 10


@dataclass
class Dashboard:
    courses: list[Course]
    due_soon: list[Discussion] = field(default_factory=list)
    awaiting_me: list[PromptRow] = field(default_factory=list)
    open_prompts: list[PromptRow] = field(default_factory=list)
    new_posts: list[Post] = field(default_factory=list)
    recent_replies: list[Reply] = field(default_factory=list)
    mentions: list[MentionRow] = field(default_factory=list)
    # What needs me: a student's progress and new grades, the staff's to-do list.
    progress: list[Progress] = field(default_factory=list)
    new_grades: list[Grade] = field(default_factory=list)
    todo: Todo = field(default_factory=Todo)
    unread: UnreadCourses = field(default_factory=UnreadCourses)


def build_dashboard(actor: Actor) -> Dashboard:
    """Everything on the actor's dashboard, in a fixed number of queries."""
    now = utcnow()
    board = Dashboard(courses=courses_for(actor))
    board.due_soon = list(db.session.scalars(
        select(Discussion).where(
            my_courses(actor, Discussion.course_id),
            Discussion.closed_at.is_(None),
            Discussion.due_at.between(now, now + DUE_SOON),
        ).options(joinedload(Discussion.course)).order_by(Discussion.due_at)
    ))
    board.awaiting_me = prompts_awaiting(actor)
    board.open_prompts = _open_prompts_for_staff(actor)
    board.new_posts = list(db.session.scalars(
        select(Post).join(Discussion).where(
            staff_courses(actor, Discussion.course_id),
            Post.is_published, Post.is_live,
            Post.published_at >= now - NEW_POSTS,
        ).options(joinedload(Post.author), joinedload(Post.discussion)
                  .joinedload(Discussion.course))
        .order_by(Post.published_at.desc()).limit(RECENT_LIMIT)
    ))
    board.recent_replies = _replies_to_me(actor)
    board.mentions = recent_mentions(actor, board.courses)  # in the courses loaded above
    board.unread = unread_in_courses(actor, board.courses)
    if any(is_student(actor, course) for course in board.courses):
        board.progress = my_progress(actor)
        for progress in board.progress:
            progress.unread = board.unread.discussions.get(progress.discussion.id, 0)
        board.new_grades = new_grades(actor)
    board.todo = staff_todo(actor, board.courses)
    return board


def _open_prompts_for_staff(actor: Actor) -> list[PromptRow]:
    replies = db.session.scalars(
        select(Reply).join(Post, Reply.post_id == Post.id).join(Discussion).where(
            staff_courses(actor, Discussion.course_id),
            Reply.kind == ReplyKind.PROMPT, Reply.prompt_state != PromptState.RESOLVED,
            Reply.is_live, Post.is_live,
        ).options(joinedload(Reply.author), joinedload(Reply.post).joinedload(Post.author),
                  joinedload(Reply.post).joinedload(Post.discussion))
        .order_by(Reply.prompt_state, Reply.created_at).limit(RECENT_LIMIT * 2)
    )
    return [PromptRow(reply, reply.post) for reply in replies]


def _replies_to_me(actor: Actor) -> list[Reply]:
    """Newest replies by others to the actor's posts or replies, in courses they are in."""
    mine = select(Reply.id).where(Reply.author_id == actor.id)
    my_posts = select(Post.id).where(Post.author_id == actor.id)
    # The answers first, each way through its own index (by parent, by post): one OR
    # over both would make the database read every reply of every course.
    answers = union(select(Reply.id).where(Reply.parent_id.in_(mine)),
                    select(Reply.id).where(Reply.parent_id.is_(None),
                                           Reply.post_id.in_(my_posts)))
    return list(db.session.scalars(
        select(Reply).join(Post, Reply.post_id == Post.id).join(Discussion)
        .where(
            my_courses(actor, Discussion.course_id),
            Reply.author_id.is_distinct_from(actor.id), Reply.is_live, Post.is_live,
            Reply.is_approved, Post.is_approved, revealed_anywhere(actor, Reply),
            Reply.id.in_(answers),
        ).options(joinedload(Reply.author), joinedload(Reply.guest), joinedload(Reply.post))
        .order_by(Reply.created_at.desc()).limit(RECENT_LIMIT)
    ))
