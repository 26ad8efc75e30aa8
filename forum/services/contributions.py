"""One student's whole contribution to a discussion, with the context of each reply."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from forum.access import Actor
from forum.extensions import db
from forum.models import (
    Annotation,
    Discussion,
    Post,
    Reply,
    ReplyKind,
)
from forum.models.replies import path_ids
from forum.services.grading import student_of
from forum.services.participation import authorize_grading


@dataclass
class PromptWithAnswers:
    prompt: Reply
    answers: list[Reply] = field(default_factory=list)


@dataclass
class StudentWork:
    posts: list[Post]
    replies: list[Reply]  # each with .parent (or its post) loaded, for context
    prompts: list[PromptWithAnswers]
    annotations: dict[int, list[Annotation]] = field(default_factory=dict)  # by post id


def student_work(actor: Actor, discussion: Discussion, student_id: int) -> StudentWork:
    """Posts, replies (with what they answer) and prompts with answers, in 3 queries.
    Raises NotFound, PermissionDenied."""
    authorize_grading(actor, discussion)
    student_of(discussion, student_id)
    posts = list(db.session.scalars(
        select(Post).where(Post.discussion_id == discussion.id, Post.author_id == student_id,
                           Post.is_published, Post.is_live)
        .options(selectinload(Post.sources)).order_by(Post.published_at)))
    replies = list(db.session.scalars(
        select(Reply).join(Post, Reply.post_id == Post.id)
        .where(Post.discussion_id == discussion.id, Reply.author_id == student_id,
               Reply.kind == ReplyKind.REPLY, Reply.is_live)
        .options(joinedload(Reply.post).joinedload(Post.author),
                 joinedload(Reply.parent).joinedload(Reply.author))
        .order_by(Reply.created_at)))
    prompts = [PromptWithAnswers(prompt) for prompt in db.session.scalars(
        select(Reply).join(Post, Reply.post_id == Post.id)
        .where(Post.discussion_id == discussion.id, Post.author_id == student_id,
               Reply.kind == ReplyKind.PROMPT, Reply.is_live)
        .options(joinedload(Reply.author), joinedload(Reply.post))
        .order_by(Reply.created_at))]
    by_id = {item.prompt.id: item for item in prompts}
    for reply in replies:
        for ancestor in path_ids(reply.path)[:-1]:
            if ancestor in by_id:
                by_id[ancestor].answers.append(reply)
    notes: dict[int, list[Annotation]] = {}
    for note in db.session.scalars(
            select(Annotation).where(Annotation.post_id.in_([p.id for p in posts]),
                                     Annotation.is_live)
            .options(joinedload(Annotation.author)).order_by(Annotation.id)):
        notes.setdefault(note.post_id, []).append(note)
    return StudentWork(posts, replies, prompts, notes)
