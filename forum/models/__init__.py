"""Typed SQLAlchemy models, one module per area."""

from forum.models import search as _search  # noqa: F401 - the index's DDL events
from forum.models.base import Moderation, utcnow
from forum.models.courses import Course, Enrollment, GuestComments, Role, Visibility
from forum.models.discussions import Anonymity, Discussion, Likes, Reveal
from forum.models.grading import (
    Annotation,
    AnnotationVisibility,
    Grade,
    GradeChange,
    GradeState,
)
from forum.models.images import Image
from forum.models.moderation import (
    Flag,
    Guest,
    ModerationAction,
    ModerationEntry,
    SpamCheck,
    SpamFeature,
)
from forum.models.posts import Post, PostSource, PostStatus, Revision
from forum.models.reactions import Like, Mention
from forum.models.reading import ReadMark
from forum.models.replies import PromptState, Reply, ReplyKind
from forum.models.tokens import ApiToken
from forum.models.users import Anonymous, User

__all__ = [
    "Annotation",
    "AnnotationVisibility",
    "Anonymity",
    "Anonymous",
    "ApiToken",
    "Course",
    "Discussion",
    "Enrollment",
    "Flag",
    "Grade",
    "GradeChange",
    "GradeState",
    "Guest",
    "GuestComments",
    "Image",
    "Like",
    "Likes",
    "Mention",
    "Moderation",
    "ModerationAction",
    "ModerationEntry",
    "Post",
    "PostSource",
    "PostStatus",
    "PromptState",
    "ReadMark",
    "Reply",
    "ReplyKind",
    "Reveal",
    "Revision",
    "Role",
    "SpamCheck",
    "SpamFeature",
    "User",
    "Visibility",
    "utcnow",
]
