"""Marshmallow schemas: what the API accepts (strict) and what it returns."""

from __future__ import annotations

from datetime import UTC

from marshmallow import Schema, fields, validate

from forum.api.common import (
    HAS_TEXT,
    STORABLE,
    Number,
    StrictSchema,
    TextRule,
    body_field,
    flag,
    optional_text,
    title_field,
    whole_number,
)
from forum.models import PostStatus, PromptState, ReplyKind, Role, Visibility
from forum.models.limits import (
    BODY_MAX,
    COURSE_CODE_MAX,
    EMAIL_MAX,
    NAME_MAX,
    PASSWORD_MAX,
    POINTS_MAX,
    TERM_MAX,
    TIMEZONE_MAX,
    URL_MAX,
)
from forum.services.posts import CITATION_MAX, SOURCES_MAX
from forum.services.replies import QUOTE_MAX
from forum.services.tokens import EXPIRY_DAYS_DEFAULT, EXPIRY_DAYS_MAX

Timestamp = fields.AwareDateTime
ROLES = [role.value for role in Role]


def moment(**kwargs) -> fields.AwareDateTime:
    """An input moment: ISO 8601 with an offset (a bare time is taken as UTC)."""
    return fields.AwareDateTime(default_timezone=UTC, allow_none=True, **kwargs)


class UserRefSchema(Schema):
    id = fields.Integer(required=True)
    display_name = fields.String(required=True)


# Accounts and tokens

class MeSchema(Schema):
    id = fields.Integer(required=True)
    display_name = fields.String(required=True)
    email = fields.String(required=True)
    is_admin = fields.Boolean(required=True)
    created_at = Timestamp(required=True)


class MeUpdateSchema(StrictSchema):
    display_name = fields.String(required=True,
                                 validate=[validate.Length(min=1, max=NAME_MAX), HAS_TEXT])


class TokenRequestSchema(StrictSchema):
    email = fields.String(required=True, validate=[validate.Length(max=EMAIL_MAX), STORABLE])
    password = fields.String(required=True, validate=[validate.Length(max=PASSWORD_MAX), STORABLE],
                             load_only=True)
    name = fields.String(load_default="API token",
                         validate=[validate.Length(min=1, max=NAME_MAX), HAS_TEXT])
    expires_in_days = whole_number(
        allow_none=True, load_default=EXPIRY_DAYS_DEFAULT,
        validate=validate.Range(min=1, max=EXPIRY_DAYS_MAX),
        metadata={"description": f"Days until the token expires: {EXPIRY_DAYS_DEFAULT} "
                                 "when omitted (as on the web page), null for never"})


class TokenSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    prefix = fields.String(required=True, metadata={"description": "First characters"})
    created_at = Timestamp(required=True)
    expires_at = Timestamp(allow_none=True)
    last_used_at = Timestamp(allow_none=True)
    revoked_at = Timestamp(allow_none=True)


class NewTokenSchema(TokenSchema):
    token = fields.String(required=True,
                          metadata={"description": "The secret, shown this once only"})


# Courses and members

class CourseSchema(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    title = fields.String(required=True)
    term = fields.String(required=True)
    timezone = fields.String(required=True)
    visibility = fields.Enum(Visibility, by_value=True, required=True)
    my_role = fields.Enum(Role, by_value=True, allow_none=True,
                          metadata={"description": "The caller's role; null if not a member"})


class CourseInputSchema(StrictSchema):
    code = fields.String(required=True,
                         validate=[validate.Length(min=1, max=COURSE_CODE_MAX), HAS_TEXT])
    title = title_field(required=True)
    term = optional_text(TERM_MAX)
    timezone = fields.String(validate=[validate.Length(min=1, max=TIMEZONE_MAX), STORABLE],
                             metadata={"example": "Europe/London"})
    visibility = fields.String(validate=validate.OneOf([v.value for v in Visibility]))


class CourseUpdateSchema(CourseInputSchema):
    code = fields.String(validate=[validate.Length(min=1, max=COURSE_CODE_MAX), HAS_TEXT])
    title = title_field()


class MemberSchema(Schema):
    id = fields.Integer(required=True, metadata={"description": "The membership's id"})
    user = fields.Nested(UserRefSchema, required=True)
    role = fields.Enum(Role, by_value=True, required=True)
    email = fields.String(metadata={"description": "Only for course staff and admins"})


class MemberAddSchema(StrictSchema):
    email = fields.String(required=True, validate=[validate.Length(min=1, max=EMAIL_MAX), STORABLE])
    role = fields.String(required=True, validate=validate.OneOf(ROLES))


class MemberUpdateSchema(StrictSchema):
    role = fields.String(required=True, validate=validate.OneOf(ROLES))


# Discussions

class DiscussionSchema(Schema):
    id = fields.Integer(required=True)
    course_id = fields.Integer(required=True)
    title = fields.String(required=True)
    prompt = fields.String(required=True)
    prompt_html = fields.String(required=True)
    opens_at = Timestamp(allow_none=True)
    due_at = Timestamp(allow_none=True)
    locks_at = Timestamp(allow_none=True)
    points_possible = fields.Float(required=True)
    closed = fields.Boolean(required=True)
    post_count = fields.Integer()
    reply_count = fields.Integer()
    created_at = Timestamp(required=True)
    updated_at = Timestamp(required=True)


class DiscussionInputSchema(StrictSchema):
    title = title_field(required=True)
    prompt = optional_text(BODY_MAX)
    opens_at = moment()
    due_at = moment()
    locks_at = moment()
    points_possible = Number(validate=validate.Range(min=0, max=POINTS_MAX))


class DiscussionUpdateSchema(DiscussionInputSchema):
    title = title_field()
    closed = flag(metadata={"description": "Close (read-only) or reopen"})


# Posts

class SourceSchema(StrictSchema):
    citation = fields.String(required=True,
                             validate=[validate.Length(min=1, max=CITATION_MAX), HAS_TEXT])
    url = fields.String(allow_none=True, validate=[
        validate.Length(max=URL_MAX),
        # No spaces or control characters; the same in Python and in JSON Schema.
        TextRule(r"^https?://[^/?#\x00-\x20]+[^\x00-\x20]*$",
                 error="A link starts with http:// or https:// and a host."),
    ])


class PostSchema(Schema):
    """A post; a deleted one shown to non-staff is a tombstone: id, deleted, counts."""

    id = fields.Integer(required=True)
    discussion_id = fields.Integer(required=True)
    deleted = fields.Boolean(required=True)
    reply_count = fields.Integer()
    author = fields.Nested(UserRefSchema)
    title = fields.String()
    body = fields.String()
    body_html = fields.String()
    sources = fields.List(fields.Nested(SourceSchema))
    status = fields.Enum(PostStatus, by_value=True)
    late = fields.Boolean()
    created_at = Timestamp()
    published_at = Timestamp(allow_none=True)
    edited_at = Timestamp(allow_none=True)


class PostInputSchema(StrictSchema):
    title = title_field(required=True)
    body = body_field(required=True)
    sources = fields.List(fields.Nested(SourceSchema),
                          validate=validate.Length(max=SOURCES_MAX))
    publish = flag(load_default=True,
                             metadata={"description": "False saves a draft only you see"})


class PostUpdateSchema(PostInputSchema):
    title = title_field()
    body = body_field()
    publish = flag(metadata={"description": "True publishes a draft"})


class PostListArgsSchema(StrictSchema):
    author_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))  # from a query
    since = moment(metadata={"description": "Only posts published at or after this moment"})


class RevisionSchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(allow_none=True)
    body = fields.String(required=True)
    editor = fields.Nested(UserRefSchema, required=True)
    created_at = Timestamp(required=True, metadata={"description": "When it was replaced"})


# Replies and prompts

class ReplySchema(Schema):
    """A reply; a tombstone has only id, post_id, parent_id, depth and deleted."""

    id = fields.Integer(required=True)
    post_id = fields.Integer(required=True)
    parent_id = fields.Integer(allow_none=True, required=True)
    depth = fields.Integer(required=True)
    deleted = fields.Boolean(required=True)
    kind = fields.Enum(ReplyKind, by_value=True)
    author = fields.Nested(UserRefSchema)
    author_role = fields.Enum(Role, by_value=True, allow_none=True)
    body = fields.String()
    body_html = fields.String()
    quote = fields.String(allow_none=True)
    prompt_state = fields.Enum(PromptState, by_value=True, allow_none=True)
    created_at = Timestamp()
    edited_at = Timestamp(allow_none=True)


class ReplyNodeSchema(ReplySchema):
    replies = fields.List(fields.Nested(lambda: ReplyNodeSchema()), required=True)


class ThreadSchema(PostSchema):
    replies = fields.List(fields.Nested(ReplyNodeSchema), required=True)


class ReplyInputSchema(StrictSchema):
    body = body_field(required=True)
    parent_id = whole_number(allow_none=True, validate=validate.Range(min=1, max=2**31 - 1))
    kind = fields.String(load_default="reply",
                         validate=validate.OneOf([kind.value for kind in ReplyKind]),
                         metadata={"description": "'prompt' is for instructors and TAs"})
    quote = fields.String(allow_none=True, validate=[validate.Length(max=QUOTE_MAX), STORABLE],
                          metadata={"description": "Prompts: a passage copied from the post"})


class ReplyUpdateSchema(StrictSchema):
    body = body_field(required=True)


class PromptSchema(ReplySchema):
    post_title = fields.String(required=True)
    addressed_to = fields.Nested(UserRefSchema, required=True)


class PromptArgsSchema(StrictSchema):
    state = fields.String(validate=validate.OneOf([state.value for state in PromptState]))
