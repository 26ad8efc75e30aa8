"""Discussions, posts, replies and prompts: who sees and does what, and the SQL twins.

A scope takes the container whose rows it filters (the discussion of posts, the post of
replies) and checks the container with its own predicate, so a scope never returns rows
of something the actor may not see.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true

from forum.access.actor import Actor, is_admin, is_author, is_instructor, is_member, is_staff
from forum.access.courses import can_view_course, visible_courses
from forum.models import Course, Discussion, Post, PromptState, Reply, utcnow

# Discussions


def can_create_discussion(actor: Actor, course: Course) -> bool:
    return is_instructor(actor, course)


def can_edit_discussion(actor: Actor, discussion: Discussion) -> bool:
    return is_instructor(actor, discussion.course)


def can_view_discussion(actor: Actor, discussion: Discussion) -> bool:
    return can_view_course(actor, discussion.course)


def visible_discussions(actor: Actor, course: Course | None = None) -> ColumnElement[bool]:
    """Discussions the actor may read (twin of can_view_discussion), of one course or of
    all courses."""
    if course is None:
        return visible_courses(actor, Discussion.course_id)
    return Discussion.course_id == course.id if can_view_course(actor, course) else false()


def can_write_in(actor: Actor, discussion: Discussion, now: datetime | None = None) -> bool:
    """Members write while a discussion accepts writing; staff also before it opens
    and after it locks. A discussion closed by hand is read-only for everyone."""
    course = discussion.course
    if discussion.is_closed or not (is_member(actor, course) or is_admin(actor)):
        return False
    return is_staff(actor, course) or discussion.accepts_student_writing(now or utcnow())


def can_moderate(actor: Actor, course: Course) -> bool:
    return is_staff(actor, course)


def can_view_deleted(actor: Actor, course: Course) -> bool:
    return can_moderate(actor, course)


def is_tombstone_for(actor: Actor, item: Post | Reply, course: Course) -> bool:
    """A deleted post or reply shows to the actor as a tombstone: no text, no author."""
    return item.is_deleted and not can_view_deleted(actor, course)


# Posts


def can_create_post(actor: Actor, discussion: Discussion, now: datetime | None = None) -> bool:
    return can_write_in(actor, discussion, now)


def can_view_post(actor: Actor, post: Post) -> bool:
    """Published posts for everyone who sees the discussion; drafts for their author."""
    if not can_view_discussion(actor, post.discussion):
        return False
    return post.is_published or is_author(actor, post)


def _posts_in(within: Discussion | Course) -> tuple[Course, ColumnElement[bool]]:
    """The course of a discussion or course, and the condition for posts inside it."""
    if isinstance(within, Discussion):
        return within.course, Post.discussion_id == within.id
    return within, Post.discussion_id.in_(
        select(Discussion.id).where(Discussion.course_id == within.id))


def visible_posts(actor: Actor, within: Discussion | Course) -> ColumnElement[bool]:
    """The posts of a discussion (or of a whole course) that the actor may open (twin
    of can_view_post)."""
    course, inside = _posts_in(within)
    if not can_view_course(actor, course):
        return false()
    shown = Post.is_published
    if actor.is_authenticated and actor.id is not None:
        shown = or_(shown, Post.author_id == actor.id)
    return and_(inside, shown)


def can_list_post(actor: Actor, post: Post) -> bool:
    """A post on the discussion's list: a deleted one stays as a tombstone while a reply
    the actor may see hangs beneath it; staff list every post they may open."""
    if not can_view_post(actor, post):
        return False
    course = post.discussion.course
    return not is_tombstone_for(actor, post, course) or any(
        can_view_reply(actor, reply) for reply in post.replies)


def listed_posts(actor: Actor, within: Discussion | Course) -> ColumnElement[bool]:
    """The posts on the actor's list of a discussion, or of all of a course's
    discussions (twin of can_list_post)."""
    shown = visible_posts(actor, within)
    course, _ = _posts_in(within)
    if can_view_deleted(actor, course):
        return shown
    answered = exists().where(Reply.post_id == Post.id, _shown_reply(actor, course))
    return and_(shown, or_(Post.is_live, answered))


def can_edit_post(actor: Actor, post: Post, now: datetime | None = None) -> bool:
    return is_author(actor, post) and not post.is_deleted and can_write_in(
        actor, post.discussion, now)


def can_delete_post(actor: Actor, post: Post, now: datetime | None = None) -> bool:
    if post.is_deleted:
        return False
    return can_edit_post(actor, post, now) or can_moderate(actor, post.discussion.course)


def can_restore_post(actor: Actor, post: Post) -> bool:
    return post.is_deleted and can_moderate(actor, post.discussion.course)


def can_view_revisions(actor: Actor, post: Post) -> bool:
    return can_view_post(actor, post) and (
        is_author(actor, post) or can_moderate(actor, post.discussion.course))


# Replies and prompts


def can_view_reply(actor: Actor, reply: Reply) -> bool:
    """A reply of a post the actor sees; a deleted one whole only for staff (others see
    its tombstone in the thread while something they see hangs beneath it)."""
    post = reply.post
    return can_view_post(actor, post) and not is_tombstone_for(
        actor, reply, post.discussion.course)


def _shown_reply(actor: Actor, course: Course) -> ColumnElement[bool]:
    return true() if can_view_deleted(actor, course) else Reply.is_live


def visible_replies(actor: Actor, post: Post) -> ColumnElement[bool]:
    """The post's replies the actor may read whole (twin of can_view_reply)."""
    if not can_view_post(actor, post):
        return false()
    return and_(Reply.post_id == post.id, _shown_reply(actor, post.discussion.course))


def visible_replies_in(actor: Actor, within: Discussion | Course) -> ColumnElement[bool]:
    """Replies the actor may read whole in the posts they may open in a discussion or a
    course: visible_replies' rule over many posts (join Reply to Post)."""
    course, _ = _posts_in(within)
    return and_(visible_posts(actor, within), Reply.post_id == Post.id,
                _shown_reply(actor, course))


def can_view_reply_revisions(actor: Actor, reply: Reply) -> bool:
    return can_view_post(actor, reply.post) and (
        is_author(actor, reply) or can_moderate(actor, reply.post.discussion.course))


def can_see_reply_controls(actor: Actor, reply: Reply) -> bool:
    """Whether a reply's own controls (edit, delete, resolve…) concern the actor at all:
    its author's and the course staff's."""
    return is_author(actor, reply) or can_moderate(actor, reply.post.discussion.course)


def can_reply(actor: Actor, post: Post, now: datetime | None = None) -> bool:
    return post.is_published and not post.is_deleted and can_write_in(
        actor, post.discussion, now)


def can_ask_prompt(actor: Actor, post: Post, now: datetime | None = None) -> bool:
    return can_reply(actor, post, now) and is_staff(actor, post.discussion.course)


def can_edit_reply(actor: Actor, reply: Reply, now: datetime | None = None) -> bool:
    return is_author(actor, reply) and not reply.is_deleted and can_write_in(
        actor, reply.post.discussion, now)


def can_delete_reply(actor: Actor, reply: Reply, now: datetime | None = None) -> bool:
    if reply.is_deleted:
        return False
    return can_edit_reply(actor, reply, now) or can_moderate(actor, reply.post.discussion.course)


def can_restore_reply(actor: Actor, reply: Reply) -> bool:
    return reply.is_deleted and can_moderate(actor, reply.post.discussion.course)


def can_resolve_prompt(actor: Actor, reply: Reply) -> bool:
    return (reply.is_prompt and not reply.is_deleted
            and reply.prompt_state is not PromptState.RESOLVED
            and is_staff(actor, reply.post.discussion.course))


def can_view_prompt_list(actor: Actor, discussion: Discussion) -> bool:
    return can_moderate(actor, discussion.course)


# Predicates the thread cache renders once per kind of viewer (forum/web/thread_view.py):
# they may read of the actor only its kind and whether it wrote the reply at hand.
THREAD_RULES = (
    can_view_deleted, can_reply, can_ask_prompt, can_see_reply_controls, can_edit_reply,
    can_view_reply_revisions, can_resolve_prompt, can_delete_reply, can_restore_reply,
    can_view_reply,
)
