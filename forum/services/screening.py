"""Which new replies the spam filter reads, and what its verdict does to them: every
guest comment, and a member's first few replies or any from an account under a day old."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from forum.access import Actor, can_moderate
from forum.extensions import db
from forum.models import (
    Course,
    Moderation,
    ModerationAction,
    Post,
    Reply,
    User,
    utcnow,
)
from forum.services import spam
from forum.services.moderation import log_action
from forum.spam.model import Verdict
from forum.spam.signals import Comment


def answered_text(post: Post, parent: Reply | None) -> str:
    """What a comment answers, for the filter's "shares words with the post" signal."""
    text = f"{post.title}\n{post.body}"
    return f"{parent.body}\n{text}" if parent is not None else text


def _is_newcomer(user: User) -> bool:
    """An account younger than the site's new-account age (a day by default), or one
    with fewer replies than the site scores (three by default)."""
    config = current_app.config
    if utcnow() - user.created_at < timedelta(hours=config["FORUM_NEW_ACCOUNT_HOURS"]):
        return True
    first = config["FORUM_SCORE_FIRST_REPLIES"]
    if first <= 0:
        return False
    written = db.session.scalar(
        select(func.count()).select_from(Reply).where(Reply.author_id == user.id))
    return written < first


def screen_member_reply(actor: Actor, post: Post, parent: Reply | None,
                        body: str) -> Verdict | None:
    """The filter's verdict on a newcomer's reply; None where it does not run (staff,
    members with a history)."""
    if can_moderate(actor, post.discussion.course):
        return None
    user = db.session.get(User, actor.id)
    if user is None or not _is_newcomer(user):
        return None
    age = (utcnow() - user.created_at).total_seconds() / 86400
    return spam.judge(Comment(body=body, author_name=user.display_name,
                              post_text=answered_text(post, parent), is_guest=False,
                              account_age_days=age))


def member_state(verdict: Verdict | None, course: Course) -> Moderation:
    """A member's suspicious reply waits for review; members' replies never go
    straight to spam."""
    if verdict is not None and verdict.score >= course.hold_threshold:
        return Moderation.PENDING
    return Moderation.PUBLISHED


def keep(post: Post, reply: Reply, verdict: Verdict) -> None:
    """Record the verdict beside the reply, and log a hold (in the caller's unit)."""
    spam.record(reply.id, verdict)
    if reply.moderation is not Moderation.PUBLISHED:
        log_action(reply, ModerationAction.HOLD, note=f"spam filter: {verdict.score:.2f}")
