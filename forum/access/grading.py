"""Grading and passage feedback: who grades, who sees which grade and comment, and the
SQL twins."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_, select, true

from forum.access.actor import Actor, is_author, is_instructor, is_member, is_staff
from forum.access.content import can_view_post
from forum.access.courses import staff_courses
from forum.models import (
    Annotation,
    AnnotationVisibility,
    Course,
    Discussion,
    Grade,
    GradeState,
    Post,
)


def can_grade(actor: Actor, discussion: Discussion) -> bool:
    """Score students and see draft grades: TAs and instructors."""
    return is_staff(actor, discussion.course)


def can_release_grades(actor: Actor, discussion: Discussion) -> bool:
    return is_instructor(actor, discussion.course)


def can_edit_grading_settings(actor: Actor, discussion: Discussion) -> bool:
    return is_instructor(actor, discussion.course)


def can_view_grade(actor: Actor, grade: Grade) -> bool:
    """Staff see every grade; a student sees their own once it is released."""
    if can_grade(actor, grade.discussion):
        return True
    return bool(actor.is_authenticated and grade.student_id == actor.id and grade.is_released)


def visible_grades(actor: Actor, discussion: Discussion | None = None) -> ColumnElement[bool]:
    """Grades the actor may see (twin of can_view_grade), of one discussion or of all."""
    own = false()
    if actor.is_authenticated and actor.id is not None:
        own = and_(Grade.student_id == actor.id, Grade.state == GradeState.RELEASED)
    if discussion is not None:
        seen = true() if can_grade(actor, discussion) else own
        return and_(Grade.discussion_id == discussion.id, seen)
    graded = Grade.discussion_id.in_(
        select(Discussion.id).where(staff_courses(actor, Discussion.course_id)))
    return or_(graded, own)


def can_view_gradebook(actor: Actor, course: Course) -> bool:
    return is_staff(actor, course)


def can_export_gradebook(actor: Actor, course: Course) -> bool:
    return is_instructor(actor, course)


# Passage feedback


def can_annotate(actor: Actor, post: Post) -> bool:
    return post.is_published and not post.is_deleted and is_staff(actor, post.discussion.course)


def _sees_shared_feedback(actor: Actor, post: Post) -> bool:
    """Feedback shared "with the class" is for the course's members (and staff), never
    for outsiders of a public course; it goes with the post's text."""
    return is_member(actor, post.discussion.course) and not post.is_deleted


def can_view_annotation(actor: Actor, annotation: Annotation, post: Post) -> bool:
    """Private feedback is for the post's author and staff; shared feedback for the
    course's members."""
    if annotation.is_deleted or not can_view_post(actor, post):
        return False
    if is_staff(actor, post.discussion.course):
        return True
    if annotation.visibility is AnnotationVisibility.CLASS and _sees_shared_feedback(actor, post):
        return True
    return is_author(actor, post)


def visible_annotations(actor: Actor, post: Post) -> ColumnElement[bool]:
    """The post's standing annotations the actor may read (twin of can_view_annotation)."""
    if not can_view_post(actor, post):
        return false()
    standing = and_(Annotation.post_id == post.id, Annotation.is_live)
    if is_staff(actor, post.discussion.course) or is_author(actor, post):
        return standing
    if _sees_shared_feedback(actor, post):
        return and_(standing, Annotation.visibility == AnnotationVisibility.CLASS)
    return false()


def can_delete_annotation(actor: Actor, annotation: Annotation, post: Post) -> bool:
    return not annotation.is_deleted and is_staff(actor, post.discussion.course)
