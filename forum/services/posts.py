"""Posts: writing, editing with revisions, deleting to a tombstone, restoring."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from forum.errors import NotFound, PermissionDenied
from forum.extensions import db
from forum.models import Discussion, Post, PostSource, PostStatus, Reply, Revision, utcnow
from forum.permissions import (
    can_create_post,
    can_delete_post,
    can_edit_post,
    can_restore_post,
    can_view_deleted,
    can_view_discussion,
    can_view_post,
    can_view_revisions,
)
from forum.services.markup import render_markdown
from forum.services.validation import (
    BODY_MAX,
    TITLE_MAX,
    FieldErrors,
    clean_text,
    clean_url,
    collecting_errors,
)
from forum.services.versions import commit_versioned, expect_version

SOURCES_MAX = 30
CITATION_MAX = 500


def get_post(actor, post_id: int) -> Post:
    """The post, if the actor may see it (drafts only by their author). Raises NotFound."""
    post = db.session.get(Post, post_id, options=[
        joinedload(Post.discussion).joinedload(Discussion.course),
        joinedload(Post.author), selectinload(Post.sources),
    ])
    if post is None or not can_view_post(actor, post):
        raise NotFound("No such post.")
    return post


def _clean_sources(errors: FieldErrors, sources: Iterable[dict] | None) -> list[PostSource]:
    cleaned: list[PostSource] = []
    for index, source in enumerate(sources or []):
        citation = (source.get("citation") or "").strip()
        url = (source.get("url") or "").strip()
        if not citation and not url:
            continue
        field = f"sources-{index}"
        citation = clean_text(errors, f"{field}-citation", citation, max_length=CITATION_MAX,
                              label="Citation")
        cleaned.append(PostSource(position=len(cleaned), citation=citation,
                                  url=clean_url(errors, f"{field}-url", url)))
    if len(cleaned) > SOURCES_MAX:
        errors.add("sources", f"At most {SOURCES_MAX} sources.")
    return cleaned


def _clean_post(errors: FieldErrors, title, body, sources) -> tuple[str, str, list[PostSource]]:
    return (
        clean_text(errors, "title", title, max_length=TITLE_MAX),
        clean_text(errors, "body", body, max_length=BODY_MAX),
        _clean_sources(errors, sources),
    )


def authorize_edit_post(actor, post: Post) -> None:
    """Raises PermissionDenied unless the actor may edit the post now."""
    if not can_edit_post(actor, post):
        raise PermissionDenied("You can no longer edit this post.")


def authorize_create_post(actor, discussion: Discussion) -> None:
    """Raises NotFound or PermissionDenied unless the actor may post in the discussion."""
    if not can_view_discussion(actor, discussion):
        raise NotFound("No such discussion.")
    if not can_create_post(actor, discussion):
        raise PermissionDenied("This discussion is not open for posts.")


def create_post(
    actor, discussion: Discussion, *, title: str | None, body: str | None,
    sources: Iterable[dict] | None = None, publish: bool = True,
) -> Post:
    """Write a post, published or as a draft only its author sees.
    Raises NotFound, PermissionDenied, Invalid."""
    authorize_create_post(actor, discussion)
    with collecting_errors() as errors:
        title, body, source_rows = _clean_post(errors, title, body, sources)
    now = utcnow()
    post = Post(
        discussion=discussion, author_id=actor.id, title=title, body=body,
        body_html=render_markdown(body), sources=source_rows,
        status=PostStatus.PUBLISHED if publish else PostStatus.DRAFT,
        created_at=now, published_at=now if publish else None,
    )
    db.session.add(post)
    db.session.commit()
    return post


def update_post(
    actor, post: Post, *, version: int | None, title: str | None, body: str | None,
    sources: Iterable[dict] | None = None, publish: bool = False,
) -> Post:
    """Edit a post; a published post keeps its earlier text as a revision.
    Raises PermissionDenied, Invalid, Conflict."""
    authorize_edit_post(actor, post)
    expect_version(post, version)
    with collecting_errors() as errors:
        title, body, source_rows = _clean_post(errors, title, body, sources)
    now = utcnow()
    if post.is_published:
        db.session.add(Revision(post_id=post.id, title=post.title, body=post.body,
                                editor_id=actor.id, created_at=now))
        post.edited_at = now
    elif publish:
        post.status, post.published_at = PostStatus.PUBLISHED, now
    post.title, post.body, post.body_html = title, body, render_markdown(body)
    post.sources = source_rows
    commit_versioned()
    return post


def delete_post(actor, post: Post) -> Post:
    """Delete to a tombstone; replies beneath stay. Raises PermissionDenied."""
    if not can_delete_post(actor, post):
        raise PermissionDenied("You cannot delete this post.")
    post.mark_deleted(actor.id)
    commit_versioned()
    return post


def restore_post(actor, post: Post) -> Post:
    """Bring a deleted post back (staff). Raises PermissionDenied."""
    if not can_restore_post(actor, post):
        raise PermissionDenied("You cannot restore this post.")
    post.mark_restored()
    commit_versioned()
    return post


def revisions_of(actor, post: Post) -> list[Revision]:
    """Earlier texts of the post, newest first (author and staff).
    Raises NotFound, PermissionDenied."""
    if not can_view_post(actor, post):
        raise NotFound("No such post.")
    if not can_view_revisions(actor, post):
        raise PermissionDenied("Only the author and the course staff see earlier versions.")
    return list(db.session.scalars(
        select(Revision).where(Revision.post_id == post.id)
        .options(joinedload(Revision.editor)).order_by(Revision.id.desc())
    ))


@dataclass(frozen=True)
class PostSummary:
    post: Post
    reply_count: int

    @property
    def is_tombstone(self) -> bool:
        return self.post.is_deleted


def list_posts(actor, discussion: Discussion, with_sources: bool = False
               ) -> list[PostSummary]:
    """The discussion's posts the actor may see, with response counts.

    Published posts in order of publication, the actor's own drafts first. A deleted
    post shows as a tombstone while it still has replies; staff see every deleted post.
    """
    if not can_view_discussion(actor, discussion):
        raise NotFound("No such discussion.")
    staff_view = can_view_deleted(actor, discussion.course)
    visible = Post.status == PostStatus.PUBLISHED
    if actor.is_authenticated:
        visible = or_(visible, Post.author_id == actor.id)
    reply_filter = [] if staff_view else [Reply.deleted_at.is_(None)]
    counts = (  # only this discussion's replies: never a scan of every thread
        select(Reply.post_id, func.count().label("n"))
        .join(Post, Reply.post_id == Post.id)
        .where(Post.discussion_id == discussion.id, *reply_filter)
        .group_by(Reply.post_id).subquery()
    )
    rows = db.session.execute(
        select(Post, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.post_id == Post.id)
        .where(Post.discussion_id == discussion.id, visible)
        .options(joinedload(Post.author), *([selectinload(Post.sources)] if with_sources else []))
        .order_by(Post.status == PostStatus.PUBLISHED, Post.published_at, Post.id)
    ).all()
    return [
        PostSummary(post, count) for post, count in rows
        if staff_view or not post.is_deleted or count > 0
    ]

