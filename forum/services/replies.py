"""Replies and prompts in a post's thread: writing, editing, deleting, resolving."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from forum.access import (
    Actor,
    can_ask_prompt,
    can_delete_reply,
    can_edit_reply,
    can_reply,
    can_resolve_prompt,
    can_restore_reply,
    can_view_post,
    can_view_reply,
    can_view_reply_revisions,
    is_admin,
    is_member,
)
from forum.errors import Invalid, NotFound, PermissionDenied
from forum.extensions import db
from forum.models import Discussion, Post, PromptState, Reply, ReplyKind, Revision, utcnow
from forum.models.replies import path_ids, path_segment
from forum.services import events, mentions, screening
from forum.services.validation import (
    BODY_MAX,
    QUOTE_MAX,
    FieldErrors,
    anonymity_choice,
    clean_text,
    collecting_errors,
)
from forum.services.versions import commit_versioned, expect_version
from forum.services.words import count_words
from forum.transactions import writes

REPEAT_WINDOW = timedelta(hours=1)
LOCKED_MESSAGE = "This thread is locked by the course staff; it takes no more replies."


def get_reply(actor: Actor, reply_id: int) -> Reply:
    """The reply, if the actor may see its post; deleted ones only for staff.
    Raises NotFound."""
    reply = db.session.get(Reply, reply_id, options=[
        joinedload(Reply.post).joinedload(Post.discussion).joinedload(Discussion.course),
        joinedload(Reply.author),
    ])
    if reply is None or not can_view_reply(actor, reply):
        raise NotFound("No such reply.")
    return reply


def parent_in(actor: Actor, post: Post, parent_id: int | None) -> Reply | None:
    """The reply being answered: in this thread, not deleted, seen by the actor.
    Raises Invalid (a conflict with the thread as stored)."""
    if parent_id is None:
        return None
    parent = db.session.get(Reply, parent_id)
    if parent is None or parent.post_id != post.id:
        raise Invalid({"parent_id": ["The message you answer is not in this thread."]},
                      conflict=True)
    if parent.is_deleted:
        raise Invalid({"parent_id": ["The message you answer was deleted."]}, conflict=True)
    if not can_view_reply(actor, parent):  # held back from this actor
        raise Invalid({"parent_id": ["The message you answer is not in this thread."]},
                      conflict=True)
    return parent


def _refusal(actor: Actor, post: Post) -> str:
    """Why the actor may not reply here, in words that are true for them."""
    if post.is_deleted:
        return "This post was deleted; it takes no more replies."
    course = post.discussion.course
    if not (is_member(actor, course) or is_admin(actor)):
        return "Only members of this course can reply."
    if post.is_locked:
        return LOCKED_MESSAGE
    if not post.is_approved:
        return "This post is held by the moderators; it takes no replies for now."
    return "This discussion is closed for replies."


def _normalized(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _clean_quote(errors: FieldErrors, post: Post, quote: str | None) -> str | None:
    quote = clean_text(errors, "quote", quote, max_length=QUOTE_MAX, required=False,
                       label="Quoted passage")
    if quote and "quote" not in errors and _normalized(quote) not in _normalized(post.body):
        errors.add_conflict("quote", "The quoted passage must be copied from the post.")
    return quote or None


def place_reply(post: Post, parent: Reply | None, reply: Reply) -> None:
    """Add the reply to the session at its place in the tree (not committed)."""
    db.session.add(reply)
    db.session.flush()  # the path needs the reply's own id
    reply.path = (parent.path if parent else "") + path_segment(reply.id)
    reply.depth = parent.depth + 1 if parent else 0


def _add_reply(actor: Actor, post: Post, parent: Reply | None, reply: Reply,
               verdict=None) -> Reply:
    """Place the reply in the tree, mark answered prompts, keep the spam filter's
    verdict where it ran, commit."""
    place_reply(post, parent, reply)
    if verdict is not None:
        screening.keep(post, reply, verdict)
    events.reply_appeared(reply)
    if parent is not None and actor.id == post.author_id and reply.is_approved:
        answered = db.session.execute(
            update(Reply)
            .where(Reply.id.in_(path_ids(parent.path)), Reply.kind == ReplyKind.PROMPT,
                   Reply.prompt_state == PromptState.OPEN, Reply.is_live)
            .values(prompt_state=PromptState.ANSWERED, answered_at=reply.created_at,
                    version=Reply.version + 1)
            .returning(Reply.author_id)
            .execution_options(synchronize_session="fetch")
        ).scalars().all()
        events.prompts_answered(reply, {a for a in answered if a is not None})
    db.session.commit()
    return reply


def _is_repeat(actor: Actor, post: Post, body: str) -> bool:
    """The same words by the same person in the same thread, moments ago: a double
    submission or spam, never a new contribution."""
    since = utcnow() - REPEAT_WINDOW
    return db.session.scalar(
        select(Reply.id).where(Reply.post_id == post.id, Reply.author_id == actor.id,
                               Reply.body == body, Reply.created_at >= since,
                               Reply.is_live).limit(1)
    ) is not None


def _clean_quoted(errors: FieldErrors, actor: Actor, post: Post, quote: str | None,
                  quoted_reply_id: int | None) -> tuple[str | None, int | None]:
    """A passage a reply quotes: from the post, or from a reply of the same thread that
    the writer sees whole."""
    if quoted_reply_id is None or not (quote or "").strip():  # no passage: no source
        return _clean_quote(errors, post, quote), None
    quoted = db.session.get(Reply, quoted_reply_id)
    if quoted is None or quoted.post_id != post.id or not can_view_reply(actor, quoted):
        errors.add_conflict("quoted_reply_id", "The reply you quote is not in this thread.")
        return None, None
    quote = clean_text(errors, "quote", quote, max_length=QUOTE_MAX, label="Quoted passage")
    if quote and "quote" not in errors and _normalized(quote) not in _normalized(quoted.body):
        errors.add_conflict("quote", "The quoted passage must be copied from that reply.")
    return quote, quoted.id


@writes
def reply_to(actor: Actor, post: Post, parent_id: int | None, body: str | None, *,
             anonymous: bool | None = None, quote: str | None = None,
             quoted_reply_id: int | None = None) -> Reply:
    """Answer the post or one of its replies, optionally quoting a passage of the post
    or of a reply in its thread; anonymous to classmates where the discussion allows or
    requires it. The post's author answering beneath an open prompt marks it answered.
    Raises NotFound, PermissionDenied, Invalid."""
    if not can_view_post(actor, post):
        raise NotFound("No such post.")
    if not can_reply(actor, post):
        raise PermissionDenied(_refusal(actor, post))
    parent = parent_in(actor, post, parent_id)
    with collecting_errors() as errors:
        body = clean_text(errors, "body", body, max_length=BODY_MAX, label="Reply")
        if body and _is_repeat(actor, post, body):
            errors.add_conflict("body", "You already posted this reply here.")
        quote, quoted_reply_id = _clean_quoted(errors, actor, post, quote, quoted_reply_id)
        anonymous = anonymity_choice(errors, actor, post.discussion, anonymous)
    verdict = screening.screen_member_reply(actor, post, parent, body)
    reply = Reply(
        post=post, parent_id=parent_id, author_id=actor.id, body=body, quote=quote,
        quoted_reply_id=quoted_reply_id, anonymous=anonymous,
        body_html=mentions.render(post.discussion.course, body), word_count=count_words(body),
        created_at=utcnow(), moderation=screening.member_state(verdict, post.discussion.course),
    )
    mentions.record(reply)
    return _add_reply(actor, post, parent, reply, verdict)


@writes
def ask_prompt(
    actor: Actor, post: Post, parent_id: int | None, body: str | None, quote: str | None = None
) -> Reply:
    """Ask the post's author a question (staff), optionally quoting a passage of the post.
    Raises NotFound, PermissionDenied, Invalid."""
    if not can_view_post(actor, post):
        raise NotFound("No such post.")
    if not can_ask_prompt(actor, post):
        raise PermissionDenied("Only instructors and TAs ask prompts, while the discussion "
                               "is not closed.")
    parent = parent_in(actor, post, parent_id)
    with collecting_errors() as errors:
        body = clean_text(errors, "body", body, max_length=BODY_MAX, label="Question")
        quote = _clean_quote(errors, post, quote)
    prompt = Reply(
        post=post, parent_id=parent_id, author_id=actor.id, kind=ReplyKind.PROMPT,
        body=body, body_html=mentions.render(post.discussion.course, body),
        word_count=count_words(body), quote=quote, prompt_state=PromptState.OPEN,
        created_at=utcnow(),
    )
    mentions.record(prompt)
    return _add_reply(actor, post, parent, prompt)


def authorize_edit_reply(actor: Actor, reply: Reply) -> None:
    """Raises PermissionDenied unless the actor may edit the reply now."""
    if not can_edit_reply(actor, reply):
        raise PermissionDenied("You can no longer edit this reply.")


@writes
def update_reply(actor: Actor, reply: Reply, *, version: int | None, body: str | None) -> Reply:
    """Edit a reply, keeping its earlier text as a revision.
    Raises PermissionDenied, Invalid, Conflict."""
    authorize_edit_reply(actor, reply)
    expect_version(reply, version)
    with collecting_errors() as errors:
        body = clean_text(errors, "body", body, max_length=BODY_MAX, label="Reply")
    now = utcnow()
    db.session.add(Revision(reply_id=reply.id, body=reply.body, editor_id=actor.id,
                            created_at=now))
    reply.body, reply.edited_at = body, now
    reply.body_html = mentions.render(reply.post.discussion.course, body)
    mentions.record(reply)
    reply.word_count = count_words(body)
    commit_versioned()
    return reply


@writes
def delete_reply(actor: Actor, reply: Reply) -> Reply:
    """Delete to a tombstone; the replies beneath stay. Raises PermissionDenied."""
    if not can_delete_reply(actor, reply):
        raise PermissionDenied("You cannot delete this reply.")
    reply.mark_deleted(actor.id)
    commit_versioned()
    return reply


@writes
def restore_reply(actor: Actor, reply: Reply) -> Reply:
    """Bring a deleted reply back (staff). Raises PermissionDenied."""
    if not can_restore_reply(actor, reply):
        raise PermissionDenied("You cannot restore this reply.")
    reply.mark_restored()
    commit_versioned()
    return reply


@writes
def resolve_prompt(actor: Actor, reply: Reply) -> Reply:
    """Mark a prompt resolved (staff). Raises PermissionDenied."""
    if not can_resolve_prompt(actor, reply):
        raise PermissionDenied("Only instructors and TAs resolve open or answered prompts.")
    reply.prompt_state, reply.resolved_at = PromptState.RESOLVED, utcnow()
    commit_versioned()
    return reply


def revisions_of_reply(actor: Actor, reply: Reply) -> list[Revision]:
    """Earlier texts of a reply, newest first (its author and staff).
    Raises PermissionDenied."""
    if not can_view_reply_revisions(actor, reply):
        raise PermissionDenied("Only the author and the course staff see earlier versions.")
    return list(db.session.scalars(
        select(Revision).where(Revision.reply_id == reply.id).order_by(Revision.id.desc())
    ))
