"""Discussions: creating, editing, closing, and the course page's summaries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from forum.access import (
    Actor,
    can_create_discussion,
    can_edit_discussion,
    can_view_discussion,
    listed_posts,
    visible_discussions,
    visible_posts,
    visible_replies_in,
)
from forum.errors import NotFound, PermissionDenied
from forum.extensions import db
from forum.models import (
    Anonymity,
    Course,
    Discussion,
    GuestComments,
    Likes,
    Post,
    Reply,
    Reveal,
    Visibility,
    utcnow,
)
from forum.services.markup import render_markdown
from forum.services.reading import unread_by_discussion
from forum.services.validation import (
    BODY_MAX,
    TITLE_MAX,
    FieldErrors,
    clean_points,
    clean_text,
    collecting_errors,
)
from forum.services.versions import commit_versioned, expect_version
from forum.transactions import writes


def get_discussion(actor: Actor, discussion_id: int) -> Discussion:
    """The discussion, if the actor may see its course. Raises NotFound."""
    discussion = db.session.get(
        Discussion, discussion_id, options=[joinedload(Discussion.course)]
    )
    if discussion is None or not can_view_discussion(actor, discussion):
        raise NotFound("No such discussion.")
    return discussion


FOLLOW_COURSE = "course"  # a discussion setting that follows its course's


def _clean_overrides(errors: FieldErrors, fields: dict, course: Course) -> dict:
    """Visibility and guest comments: the course's (None, "course") or the discussion's
    own; a field not given keeps its value. Only a public course's discussions may be
    public."""
    cleaned = {}
    for name, kind, message in (
            ("visibility", Visibility, "Visibility is course, private or public."),
            ("guest_comments", GuestComments, "Guest comments are course, off, moderated "
                                              "or auto.")):
        if name not in fields:
            continue
        value = fields[name]
        try:
            cleaned[name] = None if value in (None, "", FOLLOW_COURSE) else kind(value)
        except ValueError:
            errors.add(name, message)
    if cleaned.get("visibility") is Visibility.PUBLIC and not course.is_public:
        # Well formed, but it clashes with the course as stored.
        errors.add_conflict("visibility", "Only a public course's discussions can be "
                                          "public; make the course public first.")
    return cleaned


_WRITING_SETTINGS = (
    ("reveal", Reveal, "Reveal is always, after_posting, after_due or after_release."),
    ("anonymity", Anonymity, "Anonymity is off, allowed or required."),
    ("likes", Likes, "Likes are visible, staff or off."),
)


def _clean_writing_settings(errors: FieldErrors, fields: dict) -> dict:
    """When students see classmates' writing, whether they may write anonymously, and
    likes; a field not given keeps its value (or the default)."""
    cleaned = {}
    for name, kind, message in _WRITING_SETTINGS:
        if fields.get(name) is None:
            continue
        try:
            cleaned[name] = kind(fields[name])
        except ValueError:
            errors.add(name, message)
    return cleaned


def _clean_fields(errors: FieldErrors, fields: dict, course: Course) -> dict:
    cleaned = {
        "title": clean_text(errors, "title", fields.get("title"), max_length=TITLE_MAX),
        "prompt": clean_text(errors, "prompt", fields.get("prompt"), max_length=BODY_MAX,
                             required=False),
        "opens_at": fields.get("opens_at"),
        "due_at": fields.get("due_at"),
        "locks_at": fields.get("locks_at"),
    }
    points = fields.get("points_possible")
    cleaned["points_possible"] = clean_points(errors, "points_possible",
                                              0 if points is None else points)
    _check_date_order(errors, cleaned)
    cleaned.update(_clean_overrides(errors, fields, course))
    cleaned.update(_clean_writing_settings(errors, fields))
    return cleaned


def _check_date_order(errors: FieldErrors, cleaned: dict) -> None:
    opens, due, locks = cleaned["opens_at"], cleaned["due_at"], cleaned["locks_at"]
    if opens and due and due < opens:
        errors.add("due_at", "The due date must come after the discussion opens.")
    if due and locks and locks < due:
        errors.add("locks_at", "The lock date must not come before the due date.")
    if opens and locks and locks <= opens:
        errors.add("locks_at", "The lock date must come after the discussion opens.")


def authorize_create_discussion(actor: Actor, course: Course) -> None:
    """Raises PermissionDenied unless the actor may start discussions in the course."""
    if not can_create_discussion(actor, course):
        raise PermissionDenied("Only instructors start discussions.")


def authorize_edit_discussion(actor: Actor, discussion: Discussion) -> None:
    """Raises PermissionDenied unless the actor may change the discussion."""
    if not can_edit_discussion(actor, discussion):
        raise PermissionDenied("Only instructors change discussions.")


@writes
def create_discussion(actor: Actor, course: Course, **fields) -> Discussion:
    """Start a discussion in a course (instructors). Raises PermissionDenied, Invalid."""
    authorize_create_discussion(actor, course)
    with collecting_errors() as errors:
        cleaned = _clean_fields(errors, fields, course)
    discussion = Discussion(
        course=course, created_by_id=actor.id,
        prompt_html=render_markdown(cleaned["prompt"]), **cleaned,
    )
    db.session.add(discussion)
    db.session.commit()
    return discussion


@writes
def update_discussion(
    actor: Actor, discussion: Discussion, version: int | None, closed: bool | None = None, **fields
) -> Discussion:
    """Edit title, prompt, dates and points, and optionally close or reopen it.
    Raises PermissionDenied, Invalid, Conflict."""
    authorize_edit_discussion(actor, discussion)
    expect_version(discussion, version)
    if fields:
        with collecting_errors() as errors:
            cleaned = _clean_fields(errors, fields, discussion.course)
        for name, value in cleaned.items():
            setattr(discussion, name, value)
        discussion.prompt_html = render_markdown(cleaned["prompt"])
    if closed is not None and closed != discussion.is_closed:
        discussion.closed_at = utcnow() if closed else None
    discussion.updated_at = utcnow()
    commit_versioned()
    return discussion


@dataclass(frozen=True)
class DiscussionSummary:
    discussion: Discussion
    post_count: int
    reply_count: int
    unread: int
    last_activity: datetime | None


def _listed_posts(actor: Actor, course: Course):
    """The published posts on the actor's lists of the course's discussions."""
    return select(Post.id, Post.discussion_id, Post.created_at).where(
        listed_posts(actor, course), Post.is_published).subquery()


def _counted_replies(actor: Actor, course: Course):
    """Per post the actor may open in the course: how many of its replies they may read,
    and the latest. Counted post by post (correlated, over the index on the replies'
    post), so a course reads its own replies only, whatever the size of the database."""
    def of_post(column):
        return (select(column).select_from(Reply)
                .where(visible_replies_in(actor, course), Post.is_published)
                .correlate(Post).scalar_subquery())
    return select(Post.discussion_id, of_post(func.count()).label("n"),
                  of_post(func.max(Reply.created_at)).label("latest")).where(
        visible_posts(actor, course), Post.is_published).subquery()


def summarize_discussions(actor: Actor, course: Course) -> list[DiscussionSummary]:
    """Each discussion of the course with its counts (and what is unread by the actor),
    in four queries whatever the size: the same posts and replies the discussion's list
    shows the actor."""
    discussions = list(db.session.scalars(
        select(Discussion).where(visible_discussions(actor, course))
        .order_by(Discussion.due_at.is_(None), Discussion.due_at, Discussion.id)
    ))
    posts, replies = _listed_posts(actor, course), _counted_replies(actor, course)
    post_rows = db.session.execute(
        select(posts.c.discussion_id, func.count(), func.max(posts.c.created_at))
        .group_by(posts.c.discussion_id)
    ).all()
    reply_rows = db.session.execute(
        select(replies.c.discussion_id, func.sum(replies.c.n), func.max(replies.c.latest))
        .group_by(replies.c.discussion_id)
    ).all()
    new_counts = unread_by_discussion(actor, course)
    post_stats = {row[0]: (row[1], row[2]) for row in post_rows}
    reply_stats = {row[0]: (int(row[1] or 0), row[2]) for row in reply_rows}
    summaries = []
    for discussion in discussions:
        post_count, post_last = post_stats.get(discussion.id, (0, None))
        reply_count, reply_last = reply_stats.get(discussion.id, (0, None))
        moments = [m for m in (post_last, reply_last) if m is not None]
        summaries.append(DiscussionSummary(
            discussion, post_count, reply_count, new_counts.get(discussion.id, 0),
            max(moments) if moments else None,
        ))
    return summaries
