"""A WordPress comment written as a reply (forum/services/wordpress.py imports the
blog): by a member or a guest, in its state on the blog, scored by the spam filter where
an outsider wrote it; and what an item may hold, checked before it is stored."""

from __future__ import annotations

from typing import TYPE_CHECKING

from forum.errors import Invalid
from forum.formats.wp_markdown import to_markdown
from forum.formats.wxr import WxrComment
from forum.models import (
    Course,
    Guest,
    Moderation,
    ModerationAction,
    Post,
    PromptState,
    Reply,
    ReplyKind,
    Role,
    User,
    utcnow,
)
from forum.models.limits import EMAIL_MAX
from forum.services import screening, spam
from forum.services.markup import render_markdown
from forum.services.moderation import log_action
from forum.services.replies import place_reply
from forum.services.validation import BODY_MAX, FieldErrors, clean_url, is_storable
from forum.services.wordpress_images import IN_A_COMMENT, LeftImage, comment_images
from forum.services.wordpress_origins import guest_name
from forum.services.words import count_words
from forum.spam.signals import Comment

if TYPE_CHECKING:
    from forum.services.wordpress import ImportSummary

_COMMENT_STATES = {"1": Moderation.PUBLISHED, "0": Moderation.PENDING,
                   "spam": Moderation.SPAM, "trash": Moderation.HIDDEN}
TRASH_REASON = "In the trash of the WordPress blog when it was exported."


def refuse(what: str, message: str) -> None:
    raise Invalid({"file": [f"{what}: {message}"]})


def checked_body(what: str, markdown: str) -> str:
    if not is_storable(markdown):
        refuse(what, "it holds a NUL character or a lone surrogate")
    if len(markdown) > BODY_MAX:
        refuse(what, f"its text is longer than {BODY_MAX:,} characters")
    return markdown


def optional_url(value: str) -> str | None:
    errors = FieldErrors()
    url = clean_url(errors, "url", value)
    return None if errors else url


def import_comment(course: Course, summary: ImportSummary, matched: tuple[User, Role] | None,
                   post: Post, parent: Reply | None, comment: WxrComment,
                   student_post: bool) -> Reply:
    """The comment as a reply under `parent` (None: the post), by the member matched or
    a guest, in its state on the blog (approved guest spam held for review)."""
    what = f"comment {comment.id} on {post.title!r}"
    body = checked_body(what, to_markdown(comment.content) or "(This comment had no text.)")
    summary.images_left.extend(LeftImage(post.title, src, IN_A_COMMENT)
                               for src in comment_images(comment.content))
    state = _COMMENT_STATES.get(comment.approved, Moderation.PENDING)
    reply = Reply(post=post, parent_id=parent.id if parent else None, body=body,
                  body_html=render_markdown(body), word_count=count_words(body),
                  created_at=comment.date_gmt, moderation=state)
    verdict = None
    if matched is not None:
        user, role = matched
        reply.author_id = user.id
        summary.comments_by_members += 1
        summary.members_matched.add(user.id)
        if (role in (Role.INSTRUCTOR, Role.TA) and student_post and parent is None
                and state is Moderation.PUBLISHED and "?" in body):
            reply.kind, reply.prompt_state = ReplyKind.PROMPT, PromptState.OPEN
            summary.prompts += 1
        elif (parent is not None and parent.is_prompt and user.id == post.author_id
              and state is Moderation.PUBLISHED and parent.prompt_state is PromptState.OPEN):
            parent.prompt_state, parent.answered_at = PromptState.ANSWERED, reply.created_at
    else:
        reply.guest = Guest(
            name=guest_name(comment),
            email=comment.author_email[:EMAIL_MAX], website=optional_url(comment.author_url),
            ip_address=comment.author_ip[:64], created_at=comment.date_gmt)
        summary.guests += 1
        if state in (Moderation.PUBLISHED, Moderation.PENDING):
            verdict = spam.judge(Comment(
                body=body, author_name=reply.guest.name,
                website=reply.guest.website or "",
                post_text=screening.answered_text(post, parent), is_guest=True))
            if state is Moderation.PUBLISHED and verdict.score >= course.hold_threshold:
                state = reply.moderation = Moderation.PENDING
                summary.held_as_spam += 1
    if state is Moderation.HIDDEN:
        reply.moderation_reason, reply.moderated_at = TRASH_REASON, utcnow()
    place_reply(post, parent, reply)
    _log_state(reply, comment, verdict)
    summary.comments += 1
    setattr(summary, _COUNTER[state], getattr(summary, _COUNTER[state]) + 1)
    return reply

def _log_state(reply: Reply, comment: WxrComment, verdict) -> None:
    """The spam filter's verdict beside the reply, and a line in the moderation log
    for anything not published, saying where its state came from."""
    if verdict is not None:
        spam.record(reply.id, verdict)
    if reply.moderation is Moderation.PUBLISHED:
        return
    if comment.approved == "1":
        note = f"imported: approved on the blog; spam filter: {verdict.score:.2f}"
        log_action(reply, ModerationAction.HOLD, note=note)
    elif reply.moderation is Moderation.SPAM:
        log_action(reply, ModerationAction.SPAM, note="imported: spam on the blog")
    elif reply.moderation is Moderation.HIDDEN:
        log_action(reply, ModerationAction.HIDE, note="imported: " + TRASH_REASON)
    else:
        log_action(reply, ModerationAction.HOLD,
                   note="imported: awaiting moderation on the blog")


_COUNTER = {Moderation.PUBLISHED: "published", Moderation.PENDING: "pending",
            Moderation.SPAM: "spam", Moderation.HIDDEN: "hidden"}
