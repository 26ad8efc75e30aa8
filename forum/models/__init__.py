"""Typed SQLAlchemy models, one module per area."""

from forum.models import search as _search  # noqa: F401 - the index's DDL events
from forum.models.archive_jobs import ArchiveJob, ArchiveJobKind, ArchiveJobState
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
from forum.models.idempotency import IdempotencyKey
from forum.models.images import Image
from forum.models.lti import (
    LtiContext,
    LtiDeployment,
    LtiKey,
    LtiNonce,
    LtiPassbackAttempt,
    LtiPlatform,
    LtiResourceLink,
    LtiScorePassback,
    LtiUser,
)
from forum.models.moderation import (
    Flag,
    Guest,
    ModerationAction,
    ModerationEntry,
    SpamCheck,
    SpamFeature,
)
from forum.models.notifications import (
    Delivery,
    Event,
    EventKind,
    MailMessage,
    MailState,
    Notification,
    Preference,
    Subscription,
    SubscriptionLevel,
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
    "ArchiveJob",
    "ArchiveJobKind",
    "ArchiveJobState",
    "Course",
    "Delivery",
    "Discussion",
    "Enrollment",
    "Event",
    "EventKind",
    "Flag",
    "Grade",
    "GradeChange",
    "GradeState",
    "Guest",
    "GuestComments",
    "IdempotencyKey",
    "Image",
    "Like",
    "Likes",
    "LtiContext",
    "LtiDeployment",
    "LtiKey",
    "LtiNonce",
    "LtiPassbackAttempt",
    "LtiPlatform",
    "LtiResourceLink",
    "LtiScorePassback",
    "LtiUser",
    "MailMessage",
    "MailState",
    "Mention",
    "Moderation",
    "ModerationAction",
    "ModerationEntry",
    "Notification",
    "Post",
    "PostSource",
    "PostStatus",
    "Preference",
    "PromptState",
    "ReadMark",
    "Reply",
    "ReplyKind",
    "Reveal",
    "Revision",
    "Role",
    "SpamCheck",
    "SpamFeature",
    "Subscription",
    "SubscriptionLevel",
    "User",
    "Visibility",
    "utcnow",
]
