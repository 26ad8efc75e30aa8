"""Guest comments on public courses: the door for visitors without an account, with
its checks (time on the form, honeypot, links, repeats) and the spam filter's verdict."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from forum.access import Actor, can_comment_as_guest, can_view_post
from forum.errors import NotFound, PermissionDenied
from forum.extensions import db
from forum.models import (
    Guest,
    GuestComments,
    Moderation,
    Post,
    Reply,
    utcnow,
)
from forum.models.limits import BODY_MAX, NAME_MAX
from forum.services import events, screening, spam
from forum.services.accounts import normalize_email
from forum.services.markup import render_markdown
from forum.services.replies import parent_in, place_reply
from forum.services.validation import FieldErrors, clean_text, clean_url, collecting_errors
from forum.services.words import count_words
from forum.spam.links import count_links
from forum.spam.signals import Comment
from forum.transactions import writes

BURST_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class GuestSettings:
    min_seconds: float = 3
    max_links: int = 2
    repeat_minutes: int = 10

    @classmethod
    def current(cls) -> GuestSettings:
        config = current_app.config
        return cls(config["FORUM_GUEST_MIN_SECONDS"], config["FORUM_GUEST_MAX_LINKS"],
                   config["FORUM_GUEST_REPEAT_MINUTES"])


@dataclass(frozen=True)
class GuestInput:
    """What the visitor typed, and what the door saw of the request."""

    name: str | None
    email: str | None
    body: str | None
    website: str | None = None
    parent_id: int | None = None
    ip_address: str = ""
    honeypot: str = ""  # a field people never see; only programs fill it
    seconds_on_form: float | None = None  # None where unknown (the API)


def _clean(errors: FieldErrors, data: GuestInput, settings: GuestSettings) -> dict:
    cleaned = {
        "name": clean_text(errors, "name", data.name, max_length=NAME_MAX, label="Name"),
        "email": normalize_email(errors, data.email),
        "website": clean_url(errors, "website", data.website),
        "body": clean_text(errors, "body", data.body, max_length=BODY_MAX, label="Comment"),
    }
    if "body" not in errors and count_links(cleaned["body"]) > settings.max_links:
        errors.add("body", f"A comment may hold at most {settings.max_links} links.")
    return cleaned


def _too_fast(data: GuestInput, settings: GuestSettings) -> bool:
    return data.seconds_on_form is not None and data.seconds_on_form < settings.min_seconds


def _is_repeat(body: str, post: Post, ip_address: str, settings: GuestSettings) -> bool:
    """The same text from the same address, or on the same post, minutes ago."""
    since = utcnow() - timedelta(minutes=settings.repeat_minutes)
    same_place = Reply.post_id == post.id
    if ip_address:
        same_place = same_place | (Guest.ip_address == ip_address)
    return db.session.scalar(
        select(Reply.id).join(Guest, Reply.guest_id == Guest.id)
        .where(Reply.body == body, Reply.created_at >= since, same_place).limit(1)
    ) is not None


def _recent_from(ip_address: str) -> int:
    if not ip_address:
        return 0
    return db.session.scalar(select(func.count()).select_from(Guest).where(
        Guest.ip_address == ip_address, Guest.created_at >= utcnow() - BURST_WINDOW))


@writes
def comment_as_guest(actor: Actor, post: Post, data: GuestInput) -> Reply:
    """A visitor's comment, scored by the spam filter: published, held for review or
    put in spam as the discussion's setting and the score decide. A filled honeypot is
    accepted and put in spam, so programs learn nothing. Raises NotFound,
    PermissionDenied, Invalid."""
    if not can_view_post(actor, post):
        raise NotFound("No such post.")
    if not can_comment_as_guest(actor, post):
        raise PermissionDenied("This post does not take comments from visitors.")
    settings = GuestSettings.current()
    parent = parent_in(actor, post, data.parent_id)
    with collecting_errors() as errors:
        cleaned = _clean(errors, data, settings)
        if _too_fast(data, settings):
            errors.add("body", "That was quick: please read your comment over, then send "
                               "it again.")
        elif cleaned["body"] and "body" not in errors and _is_repeat(
                cleaned["body"], post, data.ip_address, settings):
            errors.add_conflict("body", "This comment was already posted a moment ago.")
    verdict = spam.judge(Comment(
        body=cleaned["body"], author_name=cleaned["name"], website=cleaned["website"] or "",
        post_text=screening.answered_text(post, parent), is_guest=True,
        honeypot_filled=bool(data.honeypot), seconds_to_submit=data.seconds_on_form,
        recent_comments=_recent_from(data.ip_address)))
    discussion = post.discussion
    state = spam.state_for(verdict, discussion.course,
                           hold_all=discussion.guest_policy is GuestComments.MODERATED)
    now = utcnow()
    guest = Guest(name=cleaned["name"], email=cleaned["email"], website=cleaned["website"],
                  ip_address=data.ip_address[:64], created_at=now)
    reply = Reply(post=post, parent_id=parent.id if parent else None, guest=guest,
                  body=cleaned["body"], body_html=render_markdown(cleaned["body"]),
                  word_count=count_words(cleaned["body"]), created_at=now, moderation=state)
    place_reply(post, parent, reply)
    screening.keep(post, reply, verdict)
    if state is not Moderation.SPAM:  # spam is for the queue, not for anyone's bell
        events.reply_appeared(reply)
    db.session.commit()
    return reply
