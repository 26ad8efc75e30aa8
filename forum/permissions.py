"""Who may do what: pure predicates (user, object) -> bool, the only place roles are read.

`user` may be anonymous. Services check these and raise; templates call them to show
or hide controls. Deny by default: every predicate returns False unless a rule allows.
"""

from __future__ import annotations

from datetime import datetime

from forum.models import (
    Annotation,
    AnnotationVisibility,
    Course,
    Discussion,
    Grade,
    Post,
    Reply,
    Role,
    utcnow,
)
from forum.models.replies import PromptState


def is_admin(user) -> bool:
    return bool(user.is_authenticated and user.is_admin)


def role_in(user, course: Course) -> Role | None:
    """The user's role in the course, or None for outsiders and anonymous visitors."""
    if not user.is_authenticated:
        return None
    return user.course_role(course.id)


def is_member(user, course: Course) -> bool:
    return role_in(user, course) is not None


def is_staff(user, course: Course) -> bool:
    role = role_in(user, course)
    return is_admin(user) or (role is not None and role.is_staff)


def is_instructor(user, course: Course) -> bool:
    return is_admin(user) or role_in(user, course) is Role.INSTRUCTOR


def _is_author(user, item: Post | Reply) -> bool:
    return bool(user.is_authenticated and item.author_id == user.id)


# People

def can_view_profile(user, person) -> bool:
    """A profile (the display name) is for those who meet the person in some course."""
    if is_admin(user) or (user.is_authenticated and user.id == person.id):
        return True
    return any(e.course.is_public or is_member(user, e.course) for e in person.enrollments)


# Courses and members

def can_create_course(user) -> bool:
    return is_admin(user)


def can_view_course(user, course: Course) -> bool:
    return course.is_public or is_admin(user) or is_member(user, course)


def can_edit_course(user, course: Course) -> bool:
    return is_instructor(user, course)


def can_view_members(user, course: Course) -> bool:
    return is_admin(user) or is_member(user, course)


def can_manage_members(user, course: Course) -> bool:
    return is_instructor(user, course)


def can_see_member_emails(user, course: Course) -> bool:
    return is_staff(user, course)


# Discussions

def can_create_discussion(user, course: Course) -> bool:
    return is_instructor(user, course)


def can_edit_discussion(user, discussion: Discussion) -> bool:
    return is_instructor(user, discussion.course)


def can_view_discussion(user, discussion: Discussion) -> bool:
    return can_view_course(user, discussion.course)


def can_write_in(user, discussion: Discussion, now: datetime | None = None) -> bool:
    """Members write while a discussion accepts writing; staff also before it opens
    and after it locks. A discussion closed by hand is read-only for everyone."""
    course = discussion.course
    if discussion.is_closed or not (is_member(user, course) or is_admin(user)):
        return False
    return is_staff(user, course) or discussion.accepts_student_writing(now or utcnow())


# Posts

def can_create_post(user, discussion: Discussion, now: datetime | None = None) -> bool:
    return can_write_in(user, discussion, now)


def can_view_post(user, post: Post) -> bool:
    """Published posts for everyone who sees the discussion; drafts for their author."""
    if not can_view_discussion(user, post.discussion):
        return False
    return post.is_published or _is_author(user, post)


def can_moderate(user, course: Course) -> bool:
    return is_staff(user, course)


def can_view_deleted(user, course: Course) -> bool:
    return can_moderate(user, course)


def can_edit_post(user, post: Post, now: datetime | None = None) -> bool:
    return (
        _is_author(user, post)
        and not post.is_deleted
        and can_write_in(user, post.discussion, now)
    )


def can_delete_post(user, post: Post, now: datetime | None = None) -> bool:
    if post.is_deleted:
        return False
    return can_edit_post(user, post, now) or can_moderate(user, post.discussion.course)


def can_restore_post(user, post: Post) -> bool:
    return post.is_deleted and can_moderate(user, post.discussion.course)


def can_view_revisions(user, post: Post) -> bool:
    return can_view_post(user, post) and (
        _is_author(user, post) or can_moderate(user, post.discussion.course)
    )


# Replies and prompts

def can_view_reply_revisions(user, reply: Reply) -> bool:
    return can_view_post(user, reply.post) and (
        _is_author(user, reply) or can_moderate(user, reply.post.discussion.course)
    )


def can_reply(user, post: Post, now: datetime | None = None) -> bool:
    return (
        post.is_published
        and not post.is_deleted
        and can_write_in(user, post.discussion, now)
    )


def can_ask_prompt(user, post: Post, now: datetime | None = None) -> bool:
    return can_reply(user, post, now) and is_staff(user, post.discussion.course)


def can_edit_reply(user, reply: Reply, now: datetime | None = None) -> bool:
    return (
        _is_author(user, reply)
        and not reply.is_deleted
        and can_write_in(user, reply.post.discussion, now)
    )


def can_delete_reply(user, reply: Reply, now: datetime | None = None) -> bool:
    if reply.is_deleted:
        return False
    return can_edit_reply(user, reply, now) or can_moderate(user, reply.post.discussion.course)


def can_restore_reply(user, reply: Reply) -> bool:
    return reply.is_deleted and can_moderate(user, reply.post.discussion.course)


def can_resolve_prompt(user, reply: Reply) -> bool:
    return (
        reply.is_prompt
        and not reply.is_deleted
        and reply.prompt_state is not PromptState.RESOLVED
        and is_staff(user, reply.post.discussion.course)
    )


# Grading and feedback

def can_grade(user, discussion: Discussion) -> bool:
    """Score students and see draft grades: TAs and instructors."""
    return is_staff(user, discussion.course)


def can_release_grades(user, discussion: Discussion) -> bool:
    return is_instructor(user, discussion.course)


def can_edit_grading_settings(user, discussion: Discussion) -> bool:
    return is_instructor(user, discussion.course)


def can_view_grade(user, grade: Grade) -> bool:
    """Staff see every grade; a student sees their own once it is released."""
    if can_grade(user, grade.discussion):
        return True
    return bool(user.is_authenticated and grade.student_id == user.id and grade.is_released)


def can_view_gradebook(user, course: Course) -> bool:
    return is_staff(user, course)


def can_export_gradebook(user, course: Course) -> bool:
    return is_instructor(user, course)


def can_annotate(user, post: Post) -> bool:
    return post.is_published and not post.is_deleted and is_staff(user, post.discussion.course)


def can_view_annotation(user, annotation: Annotation, post: Post) -> bool:
    """Private feedback is for the post's author and staff; shared feedback for readers."""
    if annotation.is_deleted or not can_view_post(user, post):
        return False
    if is_staff(user, post.discussion.course):
        return True
    if annotation.visibility is AnnotationVisibility.CLASS:
        return not post.is_deleted
    return _is_author(user, post)


def can_delete_annotation(user, annotation: Annotation, post: Post) -> bool:
    return not annotation.is_deleted and is_staff(user, post.discussion.course)
