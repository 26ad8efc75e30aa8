"""Typed SQLAlchemy models, one module per area."""

from forum.models.base import utcnow
from forum.models.courses import Course, Enrollment, Role, Visibility
from forum.models.discussions import Discussion, ReadMark
from forum.models.grading import (
    Annotation,
    AnnotationVisibility,
    Grade,
    GradeChange,
    GradeState,
)
from forum.models.posts import Post, PostSource, PostStatus, Revision
from forum.models.replies import PromptState, Reply, ReplyKind
from forum.models.tokens import ApiToken
from forum.models.users import Anonymous, User

__all__ = [
    "Annotation",
    "AnnotationVisibility",
    "Anonymous",
    "ApiToken",
    "Course",
    "Discussion",
    "Enrollment",
    "Grade",
    "GradeChange",
    "GradeState",
    "Post",
    "PostSource",
    "PostStatus",
    "PromptState",
    "ReadMark",
    "Reply",
    "ReplyKind",
    "Revision",
    "Role",
    "User",
    "Visibility",
    "utcnow",
]
