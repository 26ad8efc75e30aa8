"""Discussions, posts, replies and prompts: who sees and does what, and the SQL twins.

A scope takes the container whose rows it filters (the discussion of posts, the post of
replies) and checks the container with its own predicate, so a scope never returns rows
of something the actor may not see.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true

from forum.access.actor import (
    Actor,
    is_admin,
    is_author,
    is_instructor,
    is_member,
    is_staff,
    is_student,
)
from forum.access.courses import can_view_course, member_courses, visible_courses
from forum.access.reveal import is_unrevealed, own_rows, revealed_rows
from forum.models import (
    Anonymity,
    Course,
    Discussion,
    GuestComments,
    Likes,
    Post,
    PromptState,
    Reply,
    Visibility,
    utcnow,
)

# Discussions


def can_create_discussion(actor: Actor, course: Course) -> bool:
    return is_instructor(actor, course)


def can_edit_discussion(actor: Actor, discussion: Discussion) -> bool:
    return is_instructor(actor, discussion.course)


def can_view_discussion(actor: Actor, discussion: Discussion) -> bool:
    """Members (and admins) read every discussion of their course; others the
    discussions of a public course that are not kept to its members."""
    course = discussion.course
    return discussion.is_public or is_admin(actor) or is_member(actor, course)


def _open_to_all() -> ColumnElement[bool]:
    """Discussions not kept to members (twin of the override in Discussion.is_public)."""
    return or_(Discussion.visibility.is_(None), Discussion.visibility != Visibility.PRIVATE)


def visible_discussions(actor: Actor, course: Course | None = None) -> ColumnElement[bool]:
    """Discussions the actor may read (twin of can_view_discussion), of one course or of
    all courses."""
    if course is None:
        if is_admin(actor):
            return true()
        public = and_(visible_courses(actor, Discussion.course_id), _open_to_all())
        return or_(public, member_courses(actor, Discussion.course_id))
    if not can_view_course(actor, course):
        return false()
    if is_admin(actor) or is_member(actor, course):
        return Discussion.course_id == course.id
    return and_(Discussion.course_id == course.id, _open_to_all())


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


def can_view_held(actor: Actor, item: Post | Reply, course: Course) -> bool:
    """Items held back by moderation (pending, spam, hidden) are seen by staff and by
    their own author (a guest in the browser that wrote it), who is told why."""
    return item.is_approved or can_moderate(actor, course) or is_author(actor, item)


def is_withheld_from(actor: Actor, item: Post | Reply, course: Course) -> bool:
    """A held item shows to the actor only as a placeholder (while something the actor
    may see hangs beneath it): no text, no author."""
    return not can_view_held(actor, item, course)


def _approved_or_own(actor: Actor, model: type[Post] | type[Reply],
                     course: Course) -> ColumnElement[bool]:
    """Twin of can_view_held."""
    if can_moderate(actor, course):
        return true()
    return or_(model.is_approved, own_rows(actor, model))


# Anonymity


def can_write_anonymously(actor: Actor, discussion: Discussion) -> bool:
    """Students write without their name shown to classmates where the discussion
    allows it (staff always write as themselves)."""
    return discussion.anonymity is not Anonymity.OFF and is_student(actor, discussion.course)


def must_write_anonymously(actor: Actor, discussion: Discussion) -> bool:
    return discussion.anonymity is Anonymity.REQUIRED and is_student(actor, discussion.course)


def can_see_author(actor: Actor, item: Post | Reply, course: Course) -> bool:
    """Who wrote an item: shown to everyone, unless it was written anonymously; then
    only to its author and the course's staff (others see a pseudonym, and no id,
    profile, role or exact time)."""
    return not item.anonymous or is_author(actor, item) or is_staff(actor, course)


def _named(actor: Actor, model: type[Post] | type[Reply],
           course: Course) -> ColumnElement[bool]:
    """Twin of can_see_author."""
    if is_staff(actor, course):
        return true()
    return or_(model.anonymous.is_(False), own_rows(actor, model))


# Posts


def can_create_post(actor: Actor, discussion: Discussion, now: datetime | None = None) -> bool:
    return can_write_in(actor, discussion, now)


def can_view_post(actor: Actor, post: Post) -> bool:
    """Published posts for everyone who sees the discussion; drafts for their author;
    posts held by moderation for staff and their author."""
    discussion = post.discussion
    if not can_view_discussion(actor, discussion):
        return False
    return (post.is_published or is_author(actor, post)) and can_view_held(
        actor, post, discussion.course) and not is_unrevealed(actor, post, discussion)


def _posts_in(actor: Actor, within: Discussion | Course
              ) -> tuple[Course, ColumnElement[bool]]:
    """The course of a discussion or course, and the condition for posts inside the
    discussions of it that the actor may read."""
    if isinstance(within, Discussion):
        inside = Post.discussion_id == within.id
        return within.course, inside if can_view_discussion(actor, within) else false()
    return within, Post.discussion_id.in_(
        select(Discussion.id).where(visible_discussions(actor, within)))


def visible_posts(actor: Actor, within: Discussion | Course) -> ColumnElement[bool]:
    """The posts of a discussion (or of a whole course) that the actor may open (twin
    of can_view_post)."""
    course, inside = _posts_in(actor, within)
    if not can_view_course(actor, course):
        return false()
    shown = or_(Post.is_published, own_rows(actor, Post))
    return and_(inside, shown, _approved_or_own(actor, Post, course),
                revealed_rows(actor, Post, within))


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
    course, _ = _posts_in(actor, within)
    if can_view_deleted(actor, course):
        return shown
    answered = exists().where(Reply.post_id == Post.id, _shown_reply(actor, course),
                              revealed_rows(actor, Reply, within))
    return and_(shown, or_(Post.is_live, answered))


def can_attribute_post(actor: Actor, post: Post) -> bool:
    """A post the actor may open and knows the author of: what a list narrowed to one
    author's posts may hold, so that no filter tells who wrote an anonymous post."""
    return can_view_post(actor, post) and can_see_author(actor, post, post.discussion.course)


def attributed_posts(actor: Actor, within: Discussion | Course) -> ColumnElement[bool]:
    """Twin of can_attribute_post."""
    course, _ = _posts_in(actor, within)
    return and_(visible_posts(actor, within), _named(actor, Post, course))


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
    its tombstone in the thread while something they see hangs beneath it); a held one
    for staff and its author (others see a placeholder, likewise)."""
    post = reply.post
    course = post.discussion.course
    return can_view_post(actor, post) and not is_tombstone_for(
        actor, reply, course) and can_view_held(actor, reply, course) and not is_unrevealed(
        actor, reply, post.discussion)


def _shown_reply(actor: Actor, course: Course) -> ColumnElement[bool]:
    if can_view_deleted(actor, course):
        return true()
    return and_(Reply.is_live, _approved_or_own(actor, Reply, course))


def visible_replies(actor: Actor, post: Post) -> ColumnElement[bool]:
    """The post's replies the actor may read whole (twin of can_view_reply)."""
    if not can_view_post(actor, post):
        return false()
    return and_(Reply.post_id == post.id, _shown_reply(actor, post.discussion.course),
                revealed_rows(actor, Reply, post.discussion))


def visible_replies_in(actor: Actor, within: Discussion | Course) -> ColumnElement[bool]:
    """Replies the actor may read whole in the posts they may open in a discussion or a
    course: visible_replies' rule over many posts (join Reply to Post)."""
    course, _ = _posts_in(actor, within)
    return and_(visible_posts(actor, within), Reply.post_id == Post.id,
                _shown_reply(actor, course), revealed_rows(actor, Reply, within))


def can_view_reply_revisions(actor: Actor, reply: Reply) -> bool:
    return can_view_post(actor, reply.post) and (
        is_author(actor, reply) or can_moderate(actor, reply.post.discussion.course))


def can_see_reply_controls(actor: Actor, reply: Reply) -> bool:
    """Whether a reply's own controls (edit, delete, resolve…) concern the actor at all:
    its author's and the course staff's."""
    return is_author(actor, reply) or can_moderate(actor, reply.post.discussion.course)


def takes_replies(post: Post) -> bool:
    """A post that anyone may answer: published, approved, not deleted."""
    return post.is_published and post.is_approved and not post.is_deleted


def can_reply(actor: Actor, post: Post, now: datetime | None = None) -> bool:
    """Members answer a post while the discussion is open; a locked thread takes
    replies only from staff."""
    if not takes_replies(post) or not can_write_in(actor, post.discussion, now):
        return False
    return not post.is_locked or can_moderate(actor, post.discussion.course)


def can_comment_as_guest(actor: Actor, post: Post, now: datetime | None = None) -> bool:
    """Visitors without an account comment where the discussion takes guest comments,
    while it accepts writing and the thread is not locked."""
    discussion = post.discussion
    return (not actor.is_authenticated and takes_replies(post) and not post.is_locked
            and discussion.guest_policy is not GuestComments.OFF
            and discussion.accepts_student_writing(now or utcnow()))


def can_flag(actor: Actor, item: Post | Reply, course: Course) -> bool:
    """Members report what others wrote (staff act on it instead)."""
    return (is_member(actor, course) and not is_author(actor, item) and not item.is_deleted
            and not can_moderate(actor, course))


def _discussion_of(item: Post | Reply) -> Discussion:
    return item.discussion if isinstance(item, Post) else item.post.discussion


def _standing(item: Post | Reply) -> bool:
    """Published, approved by the moderators, not deleted: an item one may react to."""
    post = item if isinstance(item, Post) else item.post
    return post.is_published and item.is_approved and not item.is_deleted


def can_like(actor: Actor, item: Post | Reply, course: Course) -> bool:
    """Members like what others wrote, once, where the discussion has likes on."""
    return (_discussion_of(item).likes is not Likes.OFF and is_member(actor, course)
            and not is_author(actor, item) and _standing(item))


def can_see_likes(actor: Actor, discussion: Discussion) -> bool:
    """How many liked an item: for all where the discussion shows counts, else staff."""
    likes = discussion.likes
    return likes is Likes.VISIBLE or (likes is Likes.STAFF and can_moderate(
        actor, discussion.course))


def can_endorse(actor: Actor, item: Post | Reply, course: Course) -> bool:
    """Staff endorse a post or reply (and take it back)."""
    return can_moderate(actor, course) and _standing(item)


def can_lock(actor: Actor, post: Post) -> bool:
    """Lock or pin a post's thread, restore an earlier text: staff."""
    return post.is_published and can_moderate(actor, post.discussion.course)


def can_see_guest_details(actor: Actor, course: Course) -> bool:
    """A guest's email, website and address: staff only."""
    return can_moderate(actor, course)


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
    can_view_reply, can_comment_as_guest, can_moderate, can_see_guest_details, can_flag,
    can_see_author, can_like, can_see_likes, can_endorse,
)
