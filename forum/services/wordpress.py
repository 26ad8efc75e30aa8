"""Importing a WordPress course blog (read by forum/formats/wxr.py) into a course: its
categories as discussions, its posts, and their comments as threads of replies, with
members matched by email, outsiders as guests and old approved spam held for review."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select

from forum.access import Actor, can_create_discussion
from forum.errors import Invalid, PermissionDenied
from forum.extensions import db
from forum.formats.wp_markdown import to_markdown
from forum.formats.wxr import WxrBlog, WxrComment, WxrPost
from forum.models import (
    Course,
    Discussion,
    Enrollment,
    Guest,
    Moderation,
    ModerationAction,
    Post,
    PostSource,
    PostStatus,
    PromptState,
    Reply,
    ReplyKind,
    Role,
    User,
    utcnow,
)
from forum.models.limits import CITATION_MAX, EMAIL_MAX, NAME_MAX, TITLE_MAX
from forum.services import screening, spam
from forum.services.markup import render_markdown
from forum.services.moderation import log_action
from forum.services.replies import place_reply
from forum.services.validation import BODY_MAX, FieldErrors, clean_url, is_storable
from forum.services.words import count_words
from forum.spam.signals import Comment
from forum.transactions import writes

UNCATEGORIZED = "Course blog"  # the discussion of posts without a category
_UNCATEGORIZED_NICENAMES = {"", "uncategorized"}
_PUBLISHED_STATES = {"publish"}
_DRAFT_STATES = {"draft", "pending", "private", "future"}
_COMMENT_STATES = {"1": Moderation.PUBLISHED, "0": Moderation.PENDING,
                   "spam": Moderation.SPAM, "trash": Moderation.HIDDEN}
TRASH_REASON = "In the trash of the WordPress blog when it was exported."
_TAGS = re.compile(r"<[^>]+>")
_REMOTE_IMAGE = re.compile(r"!\[[^\]]*\]\(https?://")


@dataclass
class ImportSummary:
    """What an import did, for the instructor."""

    posts: int = 0
    drafts: int = 0
    posts_by_members: int = 0
    posts_by_importer: int = 0  # the author is no member: the importer's, named in it
    already_imported: int = 0
    other_items: int = 0  # pages, attachments, menu items, trashed posts: not imported
    discussions_created: list[str] = field(default_factory=list)
    comments: int = 0
    comments_by_members: int = 0
    members_matched: set[int] = field(default_factory=set)
    guests: int = 0
    prompts: int = 0
    published: int = 0
    pending: int = 0  # held for review as they were on the blog
    held_as_spam: int = 0  # approved on the blog, held now by the spam filter
    spam: int = 0
    hidden: int = 0
    pingbacks: int = 0  # pingbacks and trackbacks: not imported
    remote_images: int = 0  # images left at their blog address (nothing is fetched)


def _plain(text: str) -> str:
    return " ".join(html.unescape(_TAGS.sub("", text)).split())


def _refuse(what: str, message: str) -> None:
    raise Invalid({"file": [f"{what}: {message}"]})


def _checked_body(what: str, markdown: str) -> str:
    if not is_storable(markdown):
        _refuse(what, "it holds a NUL character or a lone surrogate")
    if len(markdown) > BODY_MAX:
        _refuse(what, f"its text is longer than {BODY_MAX:,} characters")
    return markdown


def _url(value: str) -> str | None:
    errors = FieldErrors()
    url = clean_url(errors, "url", value)
    return None if errors else url


class _Import:
    """One import's state: the course's members and discussions, what was written."""

    def __init__(self, actor: Actor, course: Course, blog: WxrBlog):
        self.actor, self.course, self.blog = actor, course, blog
        self.summary = ImportSummary()
        self.members: dict[str, tuple[User, Role]] = {
            user.email.lower(): (user, role) for user, role in db.session.execute(
                select(User, Enrollment.role).join(Enrollment, Enrollment.user_id == User.id)
                .where(Enrollment.course_id == course.id))}
        self.discussions: dict[str, Discussion] = {
            d.title: d for d in db.session.scalars(
                select(Discussion).where(Discussion.course_id == course.id))}
        self.existing = {(title, _naive(created)) for title, created in db.session.execute(
            select(Post.title, Post.created_at).join(Discussion)
            .where(Discussion.course_id == course.id))}
        self.attachments = {p.id: p.attachment_url for p in blog.posts
                            if p.post_type == "attachment" and p.attachment_url}
        self.blog_name = _plain(blog.title) or "the course blog"

    def discussion_for(self, post: WxrPost) -> Discussion:
        named = [(nice, name) for nice, name in post.categories
                 if nice not in _UNCATEGORIZED_NICENAMES]
        title = (_plain(named[0][1]) or named[0][0]) if named else UNCATEGORIZED
        title = title[:TITLE_MAX]
        if title not in self.discussions:
            prompt = f"Posts imported from {self.blog_name} ({title})."
            discussion = Discussion(course=self.course, title=title, prompt=prompt,
                                    prompt_html=render_markdown(prompt), points_possible=0,
                                    created_by_id=self.actor.id, created_at=utcnow(),
                                    updated_at=utcnow())
            db.session.add(discussion)
            self.discussions[title] = discussion
            self.summary.discussions_created.append(title)
        return self.discussions[title]

    def author_of(self, email: str) -> tuple[User, Role] | None:
        return self.members.get(email.lower()) if email else None

    def import_post(self, item: WxrPost) -> None:
        if item.post_type != "post" or item.status not in _PUBLISHED_STATES | _DRAFT_STATES:
            self.summary.other_items += 1
            return
        title = (_plain(item.title) or f"Untitled post of {item.date_gmt:%d %B %Y}")[:TITLE_MAX]
        if (title, _naive(item.date_gmt)) in self.existing:
            self.summary.already_imported += 1
            return
        what = f"the post {title!r} (WordPress id {item.id})"
        wp_author = self.blog.authors.get(item.author_login)
        name = (wp_author.display_name if wp_author else "") or item.author_login or "unknown"
        matched = self.author_of(wp_author.email if wp_author else "")
        body = to_markdown(item.content, self.attachments) or _plain(item.excerpt)
        if matched is None:
            body = f"*Written by {name} on {self.blog_name}.*\n\n{body}".strip()
        body = _checked_body(what, body or "(This post had no text.)")
        published = item.status in _PUBLISHED_STATES
        citation = (f"First published on {self.blog_name} by {name}, "
                    f"{item.date_gmt:%d %B %Y}")[:CITATION_MAX]
        post = Post(discussion=self.discussion_for(item),
                    author_id=matched[0].id if matched else self.actor.id, title=title,
                    body=body, body_html=render_markdown(body), word_count=count_words(body),
                    status=PostStatus.PUBLISHED if published else PostStatus.DRAFT,
                    created_at=item.date_gmt, published_at=item.date_gmt if published else None,
                    sources=[PostSource(position=0, citation=citation, url=_url(item.link))])
        db.session.add(post)
        self.existing.add((title, _naive(item.date_gmt)))
        summary = self.summary
        summary.posts += 1
        summary.drafts += not published
        summary.remote_images += len(_REMOTE_IMAGE.findall(body))
        if matched:
            summary.posts_by_members += 1
            summary.members_matched.add(matched[0].id)
        else:
            summary.posts_by_importer += 1
        post_author_role = matched[1] if matched else None
        self.import_comments(post, item, post_author_role)

    def import_comments(self, post: Post, item: WxrPost, post_author_role: Role | None) -> None:
        comments = [c for c in item.comments if c.comment_type in ("", "comment")]
        self.summary.pingbacks += len(item.comments) - len(comments)
        known = {c.id for c in comments}
        children: dict[int | None, list[WxrComment]] = {}
        for comment in comments:
            parent = comment.parent_id if comment.parent_id in known else None
            children.setdefault(parent, []).append(comment)
        student_post = post_author_role is Role.STUDENT
        stack: list[tuple[WxrComment, Reply | None]] = [
            (c, None) for c in sorted(children.get(None, []), key=_order, reverse=True)]
        while stack:  # depth first, parents before their children, each level in order
            comment, parent = stack.pop()
            reply = self.import_comment(post, parent, comment, student_post)
            stack.extend((c, reply) for c in sorted(children.get(comment.id, []), key=_order,
                                                    reverse=True))

    def import_comment(self, post: Post, parent: Reply | None, comment: WxrComment,
                       student_post: bool) -> Reply:
        what = f"comment {comment.id} on {post.title!r}"
        body = _checked_body(what, to_markdown(comment.content) or "(This comment had no text.)")
        state = _COMMENT_STATES.get(comment.approved, Moderation.PENDING)
        matched = self.author_of(comment.author_email)
        reply = Reply(post=post, parent_id=parent.id if parent else None, body=body,
                      body_html=render_markdown(body), word_count=count_words(body),
                      created_at=comment.date_gmt, moderation=state)
        summary = self.summary
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
                  and state is Moderation.PUBLISHED):
                parent.prompt_state, parent.answered_at = PromptState.ANSWERED, reply.created_at
        else:
            reply.guest = Guest(
                name=(comment.author_name or "Anonymous")[:NAME_MAX],
                email=comment.author_email[:EMAIL_MAX], website=_url(comment.author_url),
                ip_address=comment.author_ip[:64], created_at=comment.date_gmt)
            summary.guests += 1
            if state in (Moderation.PUBLISHED, Moderation.PENDING):
                verdict = spam.judge(Comment(
                    body=body, author_name=reply.guest.name,
                    website=reply.guest.website or "",
                    post_text=screening.answered_text(post, parent), is_guest=True))
                if state is Moderation.PUBLISHED and verdict.score >= self.course.hold_threshold:
                    state = reply.moderation = Moderation.PENDING
                    summary.held_as_spam += 1
        if state is Moderation.HIDDEN:
            reply.moderation_reason, reply.moderated_at = TRASH_REASON, utcnow()
        place_reply(post, parent, reply)
        self.log_state(reply, comment, verdict)
        summary.comments += 1
        setattr(summary, _COUNTER[state], getattr(summary, _COUNTER[state]) + 1)
        return reply

    def log_state(self, reply: Reply, comment: WxrComment, verdict) -> None:
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


def _order(comment: WxrComment) -> tuple[datetime, int]:
    return comment.date_gmt, comment.id


def _naive(moment: datetime) -> datetime:
    """A moment compared across databases: UTC, without its zone, to the second."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0)


@writes
def import_wordpress(actor: Actor, course: Course, blog: WxrBlog) -> ImportSummary:
    """Import a WordPress blog's posts and comments into the course (its instructors),
    all or nothing. A post already in the course (same title, same time) is skipped, so
    importing the same export twice adds nothing. Raises PermissionDenied, Invalid."""
    if not can_create_discussion(actor, course):
        raise PermissionDenied("Only the course's instructors import a blog into it.")
    work = _Import(actor, course, blog)
    try:
        for item in sorted(blog.posts, key=lambda p: (p.date_gmt, p.id)):
            work.import_post(item)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return work.summary
