"""Turn models into what a given caller may see: tombstones, no stray emails."""

from __future__ import annotations

from forum.access import (
    can_moderate,
    can_see_author,
    can_see_guest_details,
    can_see_likes,
    can_view_reply,
    is_author,
    role_in,
)
from forum.api.images import post_image_view
from forum.models import Course, Discussion, Flag, Post, Reply, Role
from forum.services import reactions as reaction_service
from forum.services.authors import Byline, byline, post_byline, thread_pseudonyms
from forum.services.discussions import FOLLOW_COURSE
from forum.services.moderation import QueueItem
from forum.services.posts import shown_as_tombstone
from forum.services.reading import UnreadPosts
from forum.services.threads import PromptRow, ThreadNode, author_roles


def user_ref(user) -> dict:
    return {"id": user.id, "display_name": user.display_name}


def author_view(line: Byline) -> dict:
    """Who wrote a post or reply, as the caller may be told: a guest by the name they
    gave and nothing else of theirs (email, website and address are for the moderation
    queue); an anonymous writer the caller may not know by a pseudonym, with no id."""
    return {"id": line.user_id, "display_name": line.name, "guest": line.guest,
            "anonymous": line.anonymous}


def _reactions(item: Post | Reply, viewer, liked: bool | None) -> dict:
    discussion = item.discussion if isinstance(item, Post) else item.post.discussion
    return {
        "endorsed_by": user_ref(item.endorsed_by) if item.endorsed_by else None,
        "likes": item.like_count if can_see_likes(viewer, discussion) else None,
        "liked_by_me": liked if viewer.is_authenticated else None,
    }


def _unread(viewer, count):
    """What is unread is a member's to know; visitors without an account get null."""
    return count if viewer.is_authenticated else None


def course_view(course: Course, viewer, unread: int = 0) -> dict:
    view = {
        "id": course.id, "code": course.code, "title": course.title, "term": course.term,
        "timezone": course.timezone, "visibility": course.visibility,
        "my_role": role_in(viewer, course), "guest_comments": course.guest_comments,
        "unread": _unread(viewer, unread),
    }
    if can_moderate(viewer, course):
        view.update(spam_threshold=course.spam_threshold, hold_threshold=course.hold_threshold,
                    notify_held=course.notify_held)
    return view


def discussion_view(discussion: Discussion, counts: tuple[int, int] | None = None,
                    viewer=None, unread: int = 0) -> dict:
    view = {name: getattr(discussion, name) for name in (
        "id", "course_id", "title", "prompt", "prompt_html", "opens_at", "due_at", "locks_at",
        "points_possible", "created_at", "updated_at", "reveal", "anonymity", "likes")}
    view["closed"] = discussion.is_closed
    # None follows the course: shown as "course".
    view["visibility"] = str(discussion.visibility or FOLLOW_COURSE)
    view["guest_comments"] = str(discussion.guest_comments or FOLLOW_COURSE)
    if counts is not None:
        view["post_count"], view["reply_count"] = counts
    if viewer is not None:
        view["unread"] = _unread(viewer, unread)
    return view


def post_view(post: Post, viewer, reply_count: int | None = None,
              liked: bool | None = None, unread: UnreadPosts | None = None) -> dict:
    """A post as the caller may see it; `liked`, whether the caller likes it (asked
    when not given); `unread`, what of it is new to the caller (counted for lists)."""
    view = {"id": post.id, "discussion_id": post.discussion_id, "deleted": post.is_deleted}
    if reply_count is not None:
        view["reply_count"] = reply_count
    if unread is not None:
        view["unread"] = _unread(viewer, post.id in unread.posts)
        view["unread_replies"] = _unread(viewer, unread.replies.get(post.id, 0))
    if shown_as_tombstone(viewer, post):
        return view
    line = post_byline(viewer, post)
    timezone = post.discussion.course.timezone
    if liked is None and viewer.is_authenticated:
        liked = reaction_service.likes(viewer, post)
    view.update(
        author=author_view(line), title=post.title, body=post.body,
        body_html=post.body_html, status=post.status, late=post.is_published and post.is_late,
        sources=[{"citation": s.citation, "url": s.url} for s in post.sources],
        created_at=line.moment(post.created_at, timezone),
        published_at=line.moment(post.published_at, timezone),
        edited_at=line.moment(post.edited_at, timezone), **_reactions(post, viewer, liked),
        moderation=post.moderation, locked=post.is_locked, pinned=post.pinned_at is not None,
        images=[post_image_view(image) for image in post.images],
    )
    if is_author(viewer, post) or can_moderate(viewer, post.discussion.course):
        view["moderation_reason"] = post.moderation_reason
    return view


def reply_view(node: ThreadNode, viewer, liked: frozenset[int] = frozenset(),
               new: frozenset[int] | None = None) -> dict:
    """A reply as the caller may see it (its node says whether as a tombstone, who
    wrote it and whether its quote may be read); `liked`, the replies the caller likes."""
    reply = node.reply
    view = {"id": reply.id, "post_id": reply.post_id, "parent_id": reply.parent_id,
            "depth": reply.depth, "deleted": reply.is_deleted}
    if node.tombstone:
        return view
    course = reply.post.discussion.course
    line = node.byline or byline(viewer, reply, course)
    view.update(
        kind=reply.kind, author=author_view(line), author_role=node.author_role,
        body=reply.body, body_html=reply.body_html,
        quote=reply.quote if node.quote_shown else None,
        quoted_reply_id=reply.quoted_reply_id, prompt_state=reply.prompt_state,
        created_at=line.moment(reply.created_at, course.timezone),
        edited_at=line.moment(reply.edited_at, course.timezone),
        # Whoever is shown a held reply whole is its author or course staff.
        moderation=reply.moderation,
        moderation_reason=reply.moderation_reason if reply.is_held else None,
        **_reactions(reply, viewer, reply.id in liked),
    )
    if new is not None:
        view["unread"] = _unread(viewer, reply.id in new)
    return view


def thread_views(nodes: list[ThreadNode], viewer, liked: frozenset[int],
                 new: frozenset[int] | None = None) -> list[dict]:
    """A thread's replies in order; `liked`, those the caller likes; `new`, those new
    to the caller."""
    return [reply_view(node, viewer, liked, new) for node in nodes]


def single_reply_view(reply: Reply, viewer) -> dict:
    """A reply fetched on its own: the caller already passed get_reply's checks."""
    course = reply.post.discussion.course
    numbers = None if can_see_author(viewer, reply, course) else thread_pseudonyms(reply.post)
    line = byline(viewer, reply, course, numbers)
    role = None if line.hidden else role_in_course(reply.author, course)
    liked = (reaction_service.likes(viewer, reply) and frozenset({reply.id})) or frozenset()
    return reply_view(ThreadNode(reply, False, role, line, _quote_readable_alone(viewer, reply)),
                      viewer, liked)


def _quote_readable_alone(viewer, reply: Reply) -> bool:
    """Whether the source of the reply's quote may be read by the caller."""
    if reply.quoted_reply_id is None:
        return not shown_as_tombstone(viewer, reply.post)
    return can_view_reply(viewer, reply.quoted_reply)


def role_in_course(user, course: Course) -> Role | None:
    """A member author's role in the course; None for a guest's reply (no user)."""
    return None if user is None else user.course_role(course.id)


def prompt_views(rows: list[PromptRow], viewer) -> list[dict]:
    """Prompts with their post, presented like any reply (author_role included): the
    authors' roles are read once per course on the page."""
    authors_by_course: dict[int, set[int]] = {}
    for row in rows:
        authors_by_course.setdefault(row.post.discussion.course_id, set()).add(
            row.prompt.author_id)
    roles = {(course_id, user_id): role
             for course_id, user_ids in authors_by_course.items()
             for user_id, role in author_roles(course_id, user_ids).items()}
    liked = reaction_service.liked_among(viewer, [row.prompt.id for row in rows])
    return [{**reply_view(ThreadNode(row.prompt, False, roles.get(
                (row.post.discussion.course_id, row.prompt.author_id))), viewer, liked),
             "post_title": row.post.title, "addressed_to": author_view(
                 post_byline(viewer, row.post))}
            for row in rows]


def nest(nodes: list[ThreadNode], viewer, liked: frozenset[int],
         new: frozenset[int] | None = None) -> list[dict]:
    """Thread-ordered nodes into a tree: each reply's `replies` holds its children."""
    roots: list[dict] = []
    by_id: dict[int, dict] = {}
    for node, presented in zip(nodes, thread_views(nodes, viewer, liked, new), strict=True):
        view = {**presented, "replies": []}
        by_id[node.reply.id] = view
        parent = by_id.get(node.reply.parent_id)
        (parent["replies"] if parent else roots).append(view)
    return roots


# Moderation


def flag_view(flag: Flag) -> dict:
    return {"id": flag.id, "user": user_ref(flag.user), "reason": flag.reason,
            "created_at": flag.created_at, "resolved_at": flag.resolved_at}


def _queue_author(item: Post | Reply, details: bool) -> dict:
    """The author as staff see them in the queue: a guest's email, website and address
    for those who may see them (every moderator)."""
    guest = getattr(item, "guest", None)
    if guest is None:
        return {**user_ref(item.author), "guest": False, "email": None, "website": None,
                "ip_address": None}
    return {"id": None, "display_name": guest.name, "guest": True,
            "email": guest.email if details else None,
            "website": guest.website if details else None,
            "ip_address": guest.ip_address if details else None}


def queue_item_view(entry: QueueItem, viewer) -> dict:
    item = entry.item
    details = can_see_guest_details(viewer, entry.post.discussion.course)
    view = {
        "kind": entry.kind, "id": item.id, "body": item.body, "state": item.moderation,
        "deleted": item.is_deleted, "created_at": item.created_at, "post_id": entry.post.id,
        "post_title": entry.post.title,
        "author": _queue_author(item, details),
        "spam": None if entry.check is None else {
            "score": entry.check.score, "reasons": list(entry.check.reasons or [])},
        "flags": [flag_view(flag) for flag in entry.flags],
        "moderation_reason": item.moderation_reason,
    }
    if entry.kind == "post":
        view["title"] = item.title
    return view


def moderation_result_view(item: Post | Reply) -> dict:
    return {"kind": "post" if isinstance(item, Post) else "reply", "id": item.id,
            "state": item.moderation, "moderation_reason": item.moderation_reason,
            "moderated_at": item.moderated_at}
