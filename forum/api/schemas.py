"""Marshmallow schemas: what the API accepts (strict) and what it returns."""

from __future__ import annotations

from datetime import UTC

from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

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
from forum.models import (
    Anonymity,
    GuestComments,
    Likes,
    Moderation,
    PostStatus,
    PromptState,
    ReplyKind,
    Reveal,
    Role,
    Visibility,
)
from forum.models.limits import (
    ALT_MAX,
    BODY_MAX,
    COURSE_CODE_MAX,
    EMAIL_MAX,
    NAME_MAX,
    PASSWORD_MAX,
    POINTS_MAX,
    REASON_MAX,
    TERM_MAX,
    URL_MAX,
)
from forum.services.courses import TIMEZONES
from forum.services.discussions import FOLLOW_COURSE
from forum.services.images import IMAGES_PER_POST
from forum.services.moderation import ACTIONS, QUEUE_STATES
from forum.services.posts import CITATION_MAX, SOURCES_MAX
from forum.services.replies import QUOTE_MAX
from forum.services.tokens import EXPIRY_DAYS_DEFAULT, EXPIRY_DAYS_MAX
from forum.services.validation import LINK_MESSAGE, LINK_PATTERN

Timestamp = fields.AwareDateTime
ROLES = [role.value for role in Role]
GUEST_COMMENTS = [setting.value for setting in GuestComments]
# A discussion's own settings, or "course": follow the course's.
DISCUSSION_VISIBILITY = [FOLLOW_COURSE, *(v.value for v in Visibility)]
DISCUSSION_GUEST_COMMENTS = [FOLLOW_COURSE, *GUEST_COMMENTS]
ID_MAX = 2**31 - 1


def moment(**kwargs) -> fields.AwareDateTime:
    """An input moment: ISO 8601 with an offset (a bare time is taken as UTC)."""
    return fields.AwareDateTime(default_timezone=UTC, allow_none=True, **kwargs)


class UserRefSchema(Schema):
    id = fields.Integer(required=True)
    display_name = fields.String(required=True)


class AuthorRefSchema(Schema):
    """Who wrote a reply: a member, or a guest of a public course (no id; a guest's
    email, website and address are never shown here)."""

    id = fields.Integer(required=True, allow_none=True,
                        metadata={"description": "The member's id; null for a guest"})
    display_name = fields.String(required=True)
    guest = fields.Boolean(required=True,
                           metadata={"description": "Written by a visitor without an account"})
    anonymous = fields.Boolean(metadata={
        "description": "Written anonymously to classmates: its author and the course staff "
                       "see the name; others a pseudonym stable within the thread "
                       "(\"Anonymous 2\"), no id, no role, and times rounded to the day"})


class ReactionsSchema(Schema):
    """What a post and a reply say about endorsements and likes."""

    endorsed_by = fields.Nested(UserRefSchema, allow_none=True, metadata={
        "description": "The staff member who endorsed it"})
    likes = fields.Integer(allow_none=True, metadata={
        "description": "How many members like it; null where the discussion shows the "
                       "count only to staff, or has likes off"})
    liked_by_me = fields.Boolean(allow_none=True, metadata={
        "description": "Whether you like it; null for visitors without an account"})


def threshold(**kwargs) -> Number:
    return Number(validate=validate.Range(min=0, max=1), **kwargs)


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
    guest_comments = fields.Enum(GuestComments, by_value=True, required=True, metadata={
        "description": "Whether visitors without an account comment on a public course: "
                       "off, moderated (each waits for staff) or auto (clean ones published)"})
    spam_threshold = fields.Float(metadata={
        "description": "Spam scores from this up go to spam (course staff only)"})
    hold_threshold = fields.Float(metadata={
        "description": "Spam scores from this up wait for review (course staff only)"})
    notify_held = fields.Boolean(metadata={
        "description": "Whether staff are told of comments waiting for review (course "
                       "staff only)"})
    unread = fields.Integer(allow_none=True, metadata={
        "description": "Posts and replies you have not read yet; null for visitors"})


class CourseInputSchema(StrictSchema):
    code = fields.String(required=True,
                         validate=[validate.Length(min=1, max=COURSE_CODE_MAX), HAS_TEXT])
    title = title_field(required=True)
    term = optional_text(TERM_MAX)
    timezone = fields.String(
        validate=validate.OneOf(sorted(TIMEZONES),
                                error="Choose a timezone from the list, such as Europe/Paris."),
        metadata={"example": "Europe/London", "description": "An IANA time zone name"})
    visibility = fields.String(validate=validate.OneOf([v.value for v in Visibility]))
    guest_comments = fields.String(validate=validate.OneOf(GUEST_COMMENTS))
    spam_threshold = threshold(metadata={"description": "0 to 1; at least hold_threshold"})
    hold_threshold = threshold(metadata={"description": "0 to 1; at most spam_threshold"})
    notify_held = fields.Boolean(metadata={
        "description": "Tell the course's staff of comments waiting for review"})


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
    visibility = fields.String(required=True, validate=validate.OneOf(DISCUSSION_VISIBILITY),
                               metadata={"description": "'course' follows the course's"})
    guest_comments = fields.String(
        required=True, validate=validate.OneOf(DISCUSSION_GUEST_COMMENTS),
        metadata={"description": "'course' follows the course's"})
    reveal = fields.Enum(Reveal, by_value=True, required=True, metadata={
        "description": "When students see classmates' posts and replies"})
    anonymity = fields.Enum(Anonymity, by_value=True, required=True, metadata={
        "description": "Whether students may (or must) write anonymously to classmates"})
    likes = fields.Enum(Likes, by_value=True, required=True, metadata={
        "description": "Likes on, on with counts for staff only, or off"})
    post_count = fields.Integer()
    reply_count = fields.Integer()
    unread = fields.Integer(allow_none=True, metadata={
        "description": "Posts and replies you have not read yet; null for visitors"})
    created_at = Timestamp(required=True)
    updated_at = Timestamp(required=True)


class DiscussionInputSchema(StrictSchema):
    title = title_field(required=True)
    prompt = optional_text(BODY_MAX)
    # The order of the dates joins two fields, which JSON Schema cannot compare: the
    # service checks it (422 naming due_at or locks_at) and the descriptions say it.
    opens_at = moment(metadata={"description": "When students may start; null: at once"})
    due_at = moment(metadata={"description": "At or after opens_at"})
    locks_at = moment(metadata={"description": "At or after due_at, and after opens_at; "
                                               "null: never"})
    points_possible = Number(validate=validate.Range(min=0, max=POINTS_MAX))
    visibility = fields.String(
        allow_none=True, validate=validate.OneOf(DISCUSSION_VISIBILITY),
        metadata={"description": "'course' (or null) follows the course; only a public "
                                 "course's discussions may be public"})
    guest_comments = fields.String(
        allow_none=True, validate=validate.OneOf(DISCUSSION_GUEST_COMMENTS),
        metadata={"description": "'course' (or null) follows the course"})
    reveal = fields.Enum(Reveal, by_value=True, metadata={
        "description": "always (default), after_posting (after the student's own post), "
                       "after_due, after_release (after the student's grade is released)"})
    anonymity = fields.Enum(Anonymity, by_value=True)
    likes = fields.Enum(Likes, by_value=True)


class DiscussionUpdateSchema(DiscussionInputSchema):
    title = title_field()
    closed = flag(metadata={"description": "Close (read-only) or reopen"})


# Posts

class Link(TextRule):
    """The services' rule on links (LINK_PATTERN), which the document states; matched
    whole, as JSON Schema does. A port urlparse cannot read (http://host:99999) is
    refused by the services, and only said in the field's description."""

    def __init__(self):
        super().__init__(LINK_PATTERN, error=LINK_MESSAGE)

    def __call__(self, value: str) -> str:
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return super().__call__(value)


LINK_DESCRIPTION = "An http or https URL, with a port (if any) from 0 to 65535"


def link_field(**kwargs) -> fields.String:
    description = kwargs.pop("description", LINK_DESCRIPTION)
    return fields.String(validate=[validate.Length(max=URL_MAX), Link()],
                         metadata={"description": description}, **kwargs)


class SourceSchema(StrictSchema):
    citation = fields.String(required=True,
                             validate=[validate.Length(min=1, max=CITATION_MAX), HAS_TEXT])
    url = link_field(allow_none=True)


class PostSchema(ReactionsSchema):
    """A post; a deleted one shown to non-staff is a tombstone: id, deleted, counts."""

    id = fields.Integer(required=True)
    discussion_id = fields.Integer(required=True)
    deleted = fields.Boolean(required=True)
    reply_count = fields.Integer()
    author = fields.Nested(AuthorRefSchema)
    title = fields.String()
    body = fields.String()
    body_html = fields.String()
    sources = fields.List(fields.Nested(SourceSchema))
    status = fields.Enum(PostStatus, by_value=True)
    late = fields.Boolean()
    created_at = Timestamp()
    published_at = Timestamp(allow_none=True)
    edited_at = Timestamp(allow_none=True)
    moderation = fields.Enum(Moderation, by_value=True, metadata={
        "description": "published, or held back: pending, spam, hidden"})
    moderation_reason = fields.String(allow_none=True, metadata={
        "description": "Why staff hid it: only for its author and course staff"})
    locked = fields.Boolean(metadata={"description": "Takes no more replies but staff's"})
    pinned = fields.Boolean(metadata={"description": "Listed first in its discussion"})
    images = fields.List(fields.Nested(lambda: PostImageSchema()), metadata={
        "description": "In order; each shown with its alt text and, under it, its credit"})
    unread = fields.Boolean(allow_none=True, metadata={
        "description": "You have never opened it (its page, or POST /posts/{id}/read); "
                       "null for visitors"})
    unread_replies = fields.Integer(allow_none=True, metadata={
        "description": "Replies in its thread that are new to you; null for visitors"})


class PostInputSchema(StrictSchema):
    title = title_field(required=True)
    body = body_field(required=True)
    sources = fields.List(fields.Nested(SourceSchema),
                          validate=validate.Length(max=SOURCES_MAX))
    publish = flag(load_default=True,
                             metadata={"description": "False saves a draft only you see"})
    anonymous = flag(metadata={
        "description": "Anonymous to classmates, where the discussion allows it (where it "
                       "requires it, students' posts are anonymous whatever this says)"})
    images = fields.List(fields.Nested(lambda: PostImageInputSchema()), metadata={
        "description": "Images you uploaded (POST /images), in order, at most "
                       f"{IMAGES_PER_POST}. On an update, the list replaces the post's "
                       "images (one left out is let go, and removed a day later); "
                       "omitted, they stay as they are."},
        validate=validate.Length(max=IMAGES_PER_POST))


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

class ReplySchema(ReactionsSchema):
    """A reply; a tombstone (deleted, or held back by the moderators) has only id,
    post_id, parent_id, depth and deleted."""

    id = fields.Integer(required=True)
    post_id = fields.Integer(required=True)
    parent_id = fields.Integer(allow_none=True, required=True)
    depth = fields.Integer(required=True)
    deleted = fields.Boolean(required=True)
    kind = fields.Enum(ReplyKind, by_value=True)
    author = fields.Nested(AuthorRefSchema)
    author_role = fields.Enum(Role, by_value=True, allow_none=True,
                              metadata={"description": "Null for guests"})
    body = fields.String()
    body_html = fields.String()
    quote = fields.String(allow_none=True, metadata={
        "description": "The passage it quotes (null where you may not read its source)"})
    quoted_reply_id = fields.Integer(allow_none=True, metadata={
        "description": "The reply quoted; null when the passage is from the post"})
    prompt_state = fields.Enum(PromptState, by_value=True, allow_none=True)
    created_at = Timestamp()
    edited_at = Timestamp(allow_none=True)
    moderation = fields.Enum(Moderation, by_value=True, metadata={
        "description": "published, or held back (then seen only by staff and its author)"})
    moderation_reason = fields.String(allow_none=True, metadata={
        "description": "Why staff hid it (held replies only)"})
    unread = fields.Boolean(allow_none=True, metadata={
        "description": "New to you since you last read its thread (in a thread only)"})


class ReplyNodeSchema(ReplySchema):
    replies = fields.List(fields.Nested(lambda: ReplyNodeSchema()), required=True)


class ThreadSchema(PostSchema):
    replies = fields.List(fields.Nested(ReplyNodeSchema), required=True)


class ReplyInputSchema(StrictSchema):
    """A reply, or (kind prompt) a prompt: a prompt is asked by name, about a passage
    of the post only."""

    # The same rule as _prompts_ask_by_name_about_the_post, as the document states it.
    json_schema_rule = {"anyOf": [
        {"properties": {"kind": {"enum": ["reply"]}}},
        {"required": ["kind"],
         "properties": {"kind": {"enum": ["prompt"]}, "anonymous": {"enum": [False]}},
         "not": {"required": ["quote", "quoted_reply_id"],
                 "properties": {"quote": {"type": "string", "minLength": 1},
                                "quoted_reply_id": {"type": "integer"}}}},
    ]}

    body = body_field(required=True)
    parent_id = whole_number(allow_none=True, validate=validate.Range(min=1, max=2**31 - 1))
    kind = fields.String(load_default="reply",
                         validate=validate.OneOf([kind.value for kind in ReplyKind]),
                         metadata={"description": "'prompt' is for instructors and TAs"})
    quote = fields.String(allow_none=True, validate=[validate.Length(max=QUOTE_MAX), STORABLE],
                          metadata={"description": "A passage copied word for word from the "
                                                   "post (or, for a reply, from the reply "
                                                   "quoted_reply_id)"})
    quoted_reply_id = whole_number(allow_none=True,
                                   validate=validate.Range(min=1, max=2**31 - 1), metadata={
                                       "description": "Replies: the reply of this thread "
                                                      "whose passage `quote` holds (without "
                                                      "a quote, it is not read); a prompt "
                                                      "quotes the post only"})
    anonymous = flag(metadata={
        "description": "Replies: anonymous to classmates, where the discussion allows it "
                       "(a prompt is never anonymous: true is refused)"})

    @validates_schema
    def _prompts_ask_by_name_about_the_post(self, data, **_kwargs):
        if data.get("kind") != ReplyKind.PROMPT.value:
            return
        errors = {}
        if data.get("anonymous"):
            errors["anonymous"] = ["A prompt is asked by name."]
        if data.get("quoted_reply_id") and data.get("quote"):
            errors["quoted_reply_id"] = ["A prompt quotes the post, not a reply."]
        if errors:
            raise ValidationError(errors)


class ReplyUpdateSchema(StrictSchema):
    body = body_field(required=True)


class PromptSchema(ReplySchema):
    post_title = fields.String(required=True)
    addressed_to = fields.Nested(UserRefSchema, required=True)


class PromptArgsSchema(StrictSchema):
    state = fields.String(validate=validate.OneOf([state.value for state in PromptState]))


class GuestCommentInputSchema(StrictSchema):
    name = fields.String(required=True,
                         validate=[validate.Length(min=1, max=NAME_MAX), HAS_TEXT])
    email = fields.String(required=True, validate=[validate.Length(min=1, max=EMAIL_MAX), STORABLE],
                          metadata={"description": "Seen only by the course staff"})
    website = link_field(allow_none=True,
                         description=f"{LINK_DESCRIPTION}; seen only by the course staff")
    body = body_field(required=True)
    parent_id = whole_number(allow_none=True, validate=validate.Range(min=1, max=ID_MAX))


class GuestCommentSchema(Schema):
    id = fields.Integer(required=True)
    state = fields.String(required=True, validate=validate.OneOf(["published", "pending"]),
                          metadata={"description": "published, or pending: held for review"})
    message = fields.String(required=True)


# Moderation

class ModerationAuthorSchema(AuthorRefSchema):
    email = fields.String(allow_none=True, metadata={"description": "A guest's email"})
    website = fields.String(allow_none=True, metadata={"description": "A guest's website"})
    ip_address = fields.String(allow_none=True,
                               metadata={"description": "A guest's network address"})


class SpamVerdictSchema(Schema):
    score = fields.Float(required=True, metadata={"description": "0 (clean) to 1 (spam)"})
    reasons = fields.List(fields.String(), required=True)


class FlagSchema(Schema):
    id = fields.Integer(required=True)
    user = fields.Nested(UserRefSchema, required=True, metadata={"description": "Who reported"})
    reason = fields.String(required=True)
    created_at = Timestamp(required=True)
    resolved_at = Timestamp(allow_none=True,
                            metadata={"description": "When staff acted on the item"})


class FlagInputSchema(StrictSchema):
    reason = fields.String(required=True,
                           validate=[validate.Length(min=1, max=REASON_MAX), HAS_TEXT])


class ModerationItemSchema(Schema):
    """A post or reply in the moderation queue, with what staff need to decide."""

    kind = fields.String(required=True, validate=validate.OneOf(["post", "reply"]))
    id = fields.Integer(required=True)
    title = fields.String(metadata={"description": "Posts only"})
    body = fields.String(required=True)
    state = fields.Enum(Moderation, by_value=True, required=True)
    deleted = fields.Boolean(required=True)
    created_at = Timestamp(required=True)
    post_id = fields.Integer(required=True,
                             metadata={"description": "The post, or the post it answers"})
    post_title = fields.String(required=True)
    author = fields.Nested(ModerationAuthorSchema, required=True)
    spam = fields.Nested(SpamVerdictSchema, allow_none=True, required=True)
    flags = fields.List(fields.Nested(FlagSchema), required=True,
                        metadata={"description": "Open reports"})
    moderation_reason = fields.String(allow_none=True, required=True)


class ModerationQueueArgsSchema(StrictSchema):
    state = fields.String(validate=validate.OneOf(QUEUE_STATES), metadata={
        "description": "Only these; without it, everything held back or flagged"})


class ModerationInputSchema(StrictSchema):
    action = fields.String(required=True, validate=validate.OneOf(ACTIONS))
    reason = fields.String(allow_none=True,
                           validate=[validate.Length(max=REASON_MAX), STORABLE],
                           metadata={"description": "Why (hide: shown to the author)"})


class ModerationTargetSchema(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(["post", "reply"]))
    id = whole_number(required=True, validate=validate.Range(min=1, max=ID_MAX))


class BulkModerationInputSchema(ModerationInputSchema):
    ids = fields.List(fields.Nested(ModerationTargetSchema), required=True,
                      validate=validate.Length(min=1, max=100),
                      metadata={"description": "1 to 100 of the course's posts and replies"})


class ModerationResultSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["post", "reply"]))
    id = fields.Integer(required=True)
    state = fields.Enum(Moderation, by_value=True, required=True)
    moderation_reason = fields.String(allow_none=True, required=True)
    moderated_at = Timestamp(allow_none=True, required=True)


class RestoredItemSchema(Schema):
    """The post or reply whose earlier text was put back."""

    kind = fields.String(required=True, validate=validate.OneOf(["post", "reply"]))
    post = fields.Nested(PostSchema, metadata={"description": "When kind is post"})
    reply = fields.Nested(ReplySchema, metadata={"description": "When kind is reply"})


class GuestErasureInputSchema(StrictSchema):
    remove_text = flag(load_default=False, metadata={
        "description": "Also remove the texts (the comments become tombstones)"})


class GuestErasureSchema(Schema):
    erased = fields.Integer(required=True,
                            metadata={"description": "How many comments changed"})


# Mentions

class MentionSchema(Schema):
    """Where and when you were mentioned; never by whom (the item may be anonymous)."""

    id = fields.Integer(required=True)
    post_id = fields.Integer(required=True)
    reply_id = fields.Integer(allow_none=True, required=True,
                              metadata={"description": "Null when the mention is in the post"})
    post_title = fields.String(required=True)
    course_id = fields.Integer(required=True)
    course_code = fields.String(required=True)
    created_at = Timestamp(required=True)


class MentionableArgsSchema(StrictSchema):
    q = fields.String(load_default="", validate=[validate.Length(max=NAME_MAX), STORABLE],
                      metadata={"description": "What the display name holds (any case)"})


# Images

class ImageUploadSchema(StrictSchema):
    """multipart/form-data: the file, and optionally its caption (alt text is needed
    by the time a post takes the image)."""

    file = Upload(required=True, metadata={
        "description": "JPEG, PNG, WebP or GIF (checked by content), at most "
                       "FORUM_UPLOAD_MAX_BYTES (4 MB) and FORUM_UPLOAD_MAX_PIXELS "
                       "(40 megapixels); re-encoded without its metadata"})
    alt = optional_text(ALT_MAX)
    credit = optional_text(CITATION_MAX)
    credit_url = link_field()  # no null here


class ImageSchema(Schema):
    id = fields.Integer(required=True)
    url = fields.String(required=True, metadata={
        "description": "Where the file is served, to those who may see it"})
    width = fields.Integer(required=True)
    height = fields.Integer(required=True)
    content_type = fields.String(required=True)
    alt = fields.String(required=True)
    credit = fields.String(required=True)
    credit_url = fields.String(required=True, allow_none=True)


class PostImageSchema(Schema):
    id = fields.Integer(required=True)
    url = fields.String(required=True)
    alt = fields.String(required=True)
    credit = fields.String(required=True)
    credit_url = fields.String(required=True, allow_none=True)
    width = fields.Integer(required=True)
    height = fields.Integer(required=True)


class PostImageInputSchema(StrictSchema):
    id = whole_number(required=True, validate=validate.Range(min=1, max=ID_MAX),
                      metadata={"description": "An image you uploaded"})
    alt = fields.String(required=True, validate=[validate.Length(min=1, max=ALT_MAX), HAS_TEXT],
                        metadata={"description": "What the image shows"})
    credit = optional_text(CITATION_MAX, metadata={"description": "Shown under the image"})
    credit_url = link_field(allow_none=True)


def document_rules(spec) -> None:
    """Add the rules schemas state as a whole (json_schema_rule) to their components."""
    documented = spec.components.schemas
    for schema in (ReplyInputSchema,):
        name = schema.__name__.removesuffix("Schema")
        if name in documented:
            documented[name].update(schema.json_schema_rule)
