"""Posts: writing, editing with revisions, deleting to a tombstone, restoring."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, String, bindparam, exists, func, or_, select, text
from sqlalchemy.orm import joinedload, load_only, selectinload, with_expression
from sqlalchemy.orm.attributes import set_committed_value

from forum.access import (
    Actor,
    attributed_posts,
    can_create_post,
    can_delete_post,
    can_edit_post,
    can_restore_post,
    can_view_discussion,
    can_view_post,
    can_view_revisions,
    is_tombstone_for,
    listed_posts,
    visible_replies_in,
)
from forum.errors import NotFound, PermissionDenied
from forum.extensions import db
from forum.models import (
    Discussion,
    Like,
    Post,
    PostSource,
    PostStatus,
    Reply,
    Revision,
    Subscription,
    User,
    utcnow,
)
from forum.models.base import HELD_SQL
from forum.models.limits import CITATION_MAX
from forum.services import events, mentions
from forum.services import images as image_service
from forum.services.annotations import ANY_ANNOTATION
from forum.services.reading import read_through_column, read_unrevealed_column
from forum.services.threads import THREAD_STAMP
from forum.services.validation import (
    BODY_MAX,
    TITLE_MAX,
    FieldErrors,
    anonymity_choice,
    clean_text,
    clean_url,
    collecting_errors,
)
from forum.services.versions import commit_versioned, expect_version
from forum.services.words import count_words
from forum.transactions import writes

SOURCES_MAX = 30


_POST_WITH_PLACE = (  # built once: read on every request about a post
    select(Post).where(Post.id == bindparam("post_id")).options(
        joinedload(Post.discussion).joinedload(Discussion.course),
        joinedload(Post.author), joinedload(Post.sources), joinedload(Post.endorsed_by))
)
_POST_FOR_PAGE = _POST_WITH_PLACE.options(with_expression(Post.thread_stamp, THREAD_STAMP),
                                          with_expression(Post.has_annotations, ANY_ANNOTATION))
# For a signed-in viewer, also whether they wrote a reply in the thread that the
# moderators hold back: read as a column beside the post, not as a loader option, so a
# refresh after a commit never needs the viewer again.
# And whether they like the post or any reply of it (most often not: then the page asks
# nothing more about likes).
_POST_FOR_MEMBER_PAGE = _POST_FOR_PAGE.add_columns(exists().where(
    Reply.author_id == bindparam("viewer_id"), Reply.post_id == Post.id,
    text(f"replies.{HELD_SQL}")).label("viewer_holds"), exists().where(
    Like.user_id == bindparam("viewer_id"), or_(
        Like.post_id == Post.id,
        Like.reply_id.in_(select(Reply.id).where(Reply.post_id == Post.id)))
).label("viewer_likes"), read_through_column(bindparam("viewer_id")).label("read_through"),
    read_unrevealed_column(bindparam("viewer_id")).label("read_unrevealed"),
    func.coalesce(select(Subscription.level).where(
        Subscription.user_id == bindparam("viewer_id"), Subscription.target == "post",
        Subscription.target_id == Post.id).scalar_subquery(), "", type_=String).label("follows"))


def get_post(actor: Actor, post_id: int, *, for_page: bool = False) -> Post:
    """The post, if the actor may see it (drafts only by their author). For its page,
    also what spares the page other statements: its thread stamp (the page keeps
    rendered threads), whether it has annotations and whether the viewer wrote a held
    reply in its thread. Raises NotFound."""
    if for_page and actor.is_authenticated:
        row = db.session.execute(_POST_FOR_MEMBER_PAGE, {
            "post_id": post_id, "viewer_id": actor.id}).unique().one_or_none()
        post = None if row is None else row[0]
        if post is not None:
            set_committed_value(post, "viewer_holds", row.viewer_holds)
            set_committed_value(post, "viewer_likes", row.viewer_likes)
            set_committed_value(post, "viewer_read_through", row.read_through)
            set_committed_value(post, "viewer_read_unrevealed", row.read_unrevealed)
            set_committed_value(post, "viewer_follows", row.follows)
    else:
        query = _POST_FOR_PAGE if for_page else _POST_WITH_PLACE
        post = db.session.scalars(query, {"post_id": post_id}).unique().one_or_none()
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


def shown_as_tombstone(actor: Actor, post: Post) -> bool:
    """Whether the actor sees the post as a tombstone (deleted; no text, no author)."""
    return is_tombstone_for(actor, post, post.discussion.course)


def authorize_edit_post(actor: Actor, post: Post) -> None:
    """Raises PermissionDenied unless the actor may edit the post now."""
    if not can_edit_post(actor, post):
        raise PermissionDenied("You can no longer edit this post.")


def authorize_create_post(actor: Actor, discussion: Discussion) -> None:
    """Raises NotFound or PermissionDenied unless the actor may post in the discussion."""
    if not can_view_discussion(actor, discussion):
        raise NotFound("No such discussion.")
    if not can_create_post(actor, discussion):
        raise PermissionDenied("This discussion is not open for posts.")


@writes
def create_post(
    actor: Actor, discussion: Discussion, *, title: str | None, body: str | None,
    sources: Iterable[dict] | None = None, publish: bool = True,
    anonymous: bool | None = None, images: list[dict] | None = None,
) -> Post:
    """Write a post, published or as a draft only its author sees; anonymous to
    classmates where the discussion allows or requires it; with the writer's uploaded
    `images` ({id, alt, credit, credit_url}, in order).
    Raises NotFound, PermissionDenied, Invalid."""
    authorize_create_post(actor, discussion)
    with collecting_errors() as errors:
        title, body, source_rows = _clean_post(errors, title, body, sources)
        anonymous = anonymity_choice(errors, actor, discussion, anonymous)
        image_plan = image_service.check_images(errors, actor, images)
    now = utcnow()
    post = Post(anonymous=anonymous,
        discussion=discussion, author_id=actor.id, title=title, body=body,
        body_html=mentions.render(discussion.course, body), word_count=count_words(body),
        sources=source_rows,
        status=PostStatus.PUBLISHED if publish else PostStatus.DRAFT,
        created_at=now, published_at=now if publish else None,
    )
    db.session.add(post)
    mentions.record(post)
    if publish:
        events.post_published(post)
    image_service.attach_images(post, image_plan)
    db.session.commit()
    return post


@writes
def update_post(
    actor: Actor, post: Post, *, version: int | None, title: str | None, body: str | None,
    sources: Iterable[dict] | None = None, publish: bool = False,
    images: list[dict] | None = None,
) -> Post:
    """Edit a post; a published post keeps its earlier text as a revision. `images`
    (a list) replaces the post's images; None leaves them.
    Raises PermissionDenied, Invalid, Conflict."""
    authorize_edit_post(actor, post)
    expect_version(post, version)
    with collecting_errors() as errors:
        title, body, source_rows = _clean_post(errors, title, body, sources)
        image_plan = image_service.check_images(errors, actor, images, post)
    now = utcnow()
    if post.is_published:
        db.session.add(Revision(post_id=post.id, title=post.title, body=post.body,
                                editor_id=actor.id, created_at=now))
        post.edited_at = now
    elif publish:
        post.status, post.published_at = PostStatus.PUBLISHED, now
    post.title, post.body = title, body
    post.body_html = mentions.render(post.discussion.course, body)
    added = mentions.record(post)
    if publish and post.published_at == now:  # a draft published now tells its mentions
        events.post_published(post)
        events.mentioned(post, sorted(mentions.named_in(post) - set(added)))
    post.word_count = count_words(body)
    post.sources = source_rows
    image_service.attach_images(post, image_plan)
    commit_versioned()
    return post


@writes
def delete_post(actor: Actor, post: Post) -> Post:
    """Delete to a tombstone; replies beneath stay. Raises PermissionDenied."""
    if not can_delete_post(actor, post):
        raise PermissionDenied("You cannot delete this post.")
    post.mark_deleted(actor.id)
    commit_versioned()
    return post


@writes
def restore_post(actor: Actor, post: Post) -> Post:
    """Bring a deleted post back (staff). Raises PermissionDenied."""
    if not can_restore_post(actor, post):
        raise PermissionDenied("You cannot restore this post.")
    post.mark_restored()
    commit_versioned()
    return post


def revisions_of(actor: Actor, post: Post) -> list[Revision]:
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
    tombstone: bool  # deleted, and the viewer sees neither its text nor its author


# The actor's own drafts first, then pinned posts, then in order of publication.
_LISTING_ORDER = (Post.is_published, Post.pinned_at.is_(None), Post.published_at, Post.id)


def _listing_rules(actor: Actor, discussion: Discussion
                   ) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """What the actor's list of the discussion shows: (which posts, which of their
    replies count as responses), both from forum.access. Raises NotFound."""
    if not can_view_discussion(actor, discussion):
        raise NotFound("No such discussion.")
    return listed_posts(actor, discussion), visible_replies_in(actor, discussion)


def _listing_filters(author_id: int | None, since: datetime | None
                     ) -> list[ColumnElement[bool]]:
    """Narrow a listing to one author's posts (never their tombstones) and to posts
    published at or after a moment (never drafts)."""
    filters = []
    if author_id is not None:
        filters += [Post.author_id == author_id, Post.is_live]
    if since is not None:
        filters.append(Post.published_at >= since)  # a draft's NULL never matches
    return filters


# A list of hundreds of posts shows their titles, not their texts.
_SUMMARY_ONLY = (
    load_only(Post.id, Post.discussion_id, Post.author_id, Post.title, Post.status,
              Post.published_at, Post.deleted_at, Post.moderation, Post.pinned_at,
              Post.locked_at, Post.anonymous),
    joinedload(Post.author).load_only(User.display_name),
)


def list_posts(actor: Actor, discussion: Discussion,
               narrow: ColumnElement[bool] | None = None) -> list[PostSummary]:
    """The discussion's posts the actor may see, with response counts; `narrow`: only
    those of them it also selects (never more).

    Published posts in order of publication, the actor's own drafts first. A deleted
    post shows as a tombstone while it still has replies; staff see every deleted post.
    Raises NotFound.
    """
    shown, counted = _listing_rules(actor, discussion)
    if narrow is not None:  # a few posts: each one's replies counted, not the discussion's
        rows = db.session.execute(
            select(Post, select(func.count()).select_from(Reply).where(counted)
                   .scalar_subquery())
            .where(shown, narrow).options(*_SUMMARY_ONLY).order_by(*_LISTING_ORDER)
        ).all()
        return _summaries(actor, discussion, rows)
    counts = (  # only this discussion's replies: never a scan of every thread
        select(Reply.post_id, func.count().label("n"))
        .join(Post, Reply.post_id == Post.id).where(counted)
        .group_by(Reply.post_id).subquery()
    )
    rows = db.session.execute(
        select(Post, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.post_id == Post.id)
        .where(shown).options(*_SUMMARY_ONLY).order_by(*_LISTING_ORDER)
    ).all()
    return _summaries(actor, discussion, rows)


def _summaries(actor: Actor, discussion: Discussion, rows) -> list[PostSummary]:
    for post, _count in rows:  # all of one discussion: no lazy load per post for it
        set_committed_value(post, "discussion", discussion)
    return [_summary(actor, post, count) for post, count in rows]


def page_of_posts(
    actor: Actor, discussion: Discussion, *, offset: int, limit: int,
    author_id: int | None = None, since: datetime | None = None,
) -> tuple[list[PostSummary], int]:
    """One page of what list_posts gives (with sources), optionally narrowed to one
    author's posts or to those published since a moment, and the total of all pages.
    Costs the same statements whatever the discussion's size. Raises NotFound."""
    listed, counted = _listing_rules(actor, discussion)
    shown = [listed, *_listing_filters(author_id, since)]
    if author_id is not None:  # never tell who wrote an anonymous post by a filter
        shown.append(attributed_posts(actor, discussion))
    total = db.session.scalar(select(func.count()).select_from(Post).where(*shown))
    posts = db.session.scalars(
        select(Post).where(*shown).options(joinedload(Post.author), selectinload(Post.sources),
                                             joinedload(Post.endorsed_by))
        .order_by(*_LISTING_ORDER).offset(offset).limit(limit)
    ).all()
    counts = _reply_counts([post.id for post in posts], counted)
    return [_summary(actor, post, counts.get(post.id, 0)) for post in posts], total


def _summary(actor: Actor, post: Post, reply_count: int) -> PostSummary:
    return PostSummary(post, reply_count,
                       is_tombstone_for(actor, post, post.discussion.course))


def _reply_counts(post_ids: list[int], counted: ColumnElement[bool]) -> dict[int, int]:
    """Counted replies of just these posts, by post id."""
    if not post_ids:
        return {}
    return dict(db.session.execute(
        select(Reply.post_id, func.count()).join(Post, Reply.post_id == Post.id)
        .where(Reply.post_id.in_(post_ids), counted).group_by(Reply.post_id)
    ).all())
