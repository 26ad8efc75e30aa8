"""Turn models into what a given caller may see: tombstones, no stray emails."""

from __future__ import annotations

from forum.access import role_in
from forum.models import Course, Discussion, Post, Reply, Role
from forum.services.posts import shown_as_tombstone
from forum.services.threads import PromptRow, ThreadNode, author_roles


def user_ref(user) -> dict:
    return {"id": user.id, "display_name": user.display_name}


def course_view(course: Course, viewer) -> dict:
    return {
        "id": course.id, "code": course.code, "title": course.title, "term": course.term,
        "timezone": course.timezone, "visibility": course.visibility,
        "my_role": role_in(viewer, course),
    }


def discussion_view(discussion: Discussion, counts: tuple[int, int] | None = None) -> dict:
    view = {name: getattr(discussion, name) for name in (
        "id", "course_id", "title", "prompt", "prompt_html", "opens_at", "due_at", "locks_at",
        "points_possible", "created_at", "updated_at")}
    view["closed"] = discussion.is_closed
    if counts is not None:
        view["post_count"], view["reply_count"] = counts
    return view


def post_view(post: Post, viewer, reply_count: int | None = None) -> dict:
    view = {"id": post.id, "discussion_id": post.discussion_id, "deleted": post.is_deleted}
    if reply_count is not None:
        view["reply_count"] = reply_count
    if shown_as_tombstone(viewer, post):
        return view
    view.update(
        author=user_ref(post.author), title=post.title, body=post.body,
        body_html=post.body_html, status=post.status, late=post.is_published and post.is_late,
        sources=[{"citation": s.citation, "url": s.url} for s in post.sources],
        created_at=post.created_at, published_at=post.published_at, edited_at=post.edited_at,
    )
    return view


def reply_view(reply: Reply, tombstone: bool, author_role: Role | None) -> dict:
    view = {"id": reply.id, "post_id": reply.post_id, "parent_id": reply.parent_id,
            "depth": reply.depth, "deleted": reply.is_deleted}
    if tombstone:
        return view
    view.update(
        kind=reply.kind, author=user_ref(reply.author), author_role=author_role,
        body=reply.body, body_html=reply.body_html, quote=reply.quote,
        prompt_state=reply.prompt_state, created_at=reply.created_at, edited_at=reply.edited_at,
    )
    return view


def node_view(node: ThreadNode) -> dict:
    return reply_view(node.reply, node.tombstone, node.author_role)


def single_reply_view(reply: Reply, viewer) -> dict:
    """A reply fetched on its own: the caller already passed get_reply's checks."""
    return reply_view(reply, False, role_in_course(reply.author, reply.post.discussion.course))


def role_in_course(user, course: Course) -> Role | None:
    return user.course_role(course.id)


def prompt_views(rows: list[PromptRow]) -> list[dict]:
    """Prompts with their post, presented like any reply (author_role included): the
    authors' roles are read once per course on the page."""
    authors_by_course: dict[int, set[int]] = {}
    for row in rows:
        authors_by_course.setdefault(row.post.discussion.course_id, set()).add(
            row.prompt.author_id)
    roles = {(course_id, user_id): role
             for course_id, user_ids in authors_by_course.items()
             for user_id, role in author_roles(course_id, user_ids).items()}
    return [{**reply_view(row.prompt, False,
                          roles.get((row.post.discussion.course_id, row.prompt.author_id))),
             "post_title": row.post.title, "addressed_to": user_ref(row.post.author)}
            for row in rows]


def nest(nodes: list[ThreadNode]) -> list[dict]:
    """Thread-ordered nodes into a tree: each reply's `replies` holds its children."""
    roots: list[dict] = []
    by_id: dict[int, dict] = {}
    for node in nodes:
        view = {**node_view(node), "replies": []}
        by_id[node.reply.id] = view
        parent = by_id.get(node.reply.parent_id)
        (parent["replies"] if parent else roots).append(view)
    return roots
