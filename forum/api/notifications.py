"""Notifications: /notifications (the bell's list and read marks), /me/notification-settings,
and following or muting posts, discussions and courses (/…/{id}/subscription)."""

from __future__ import annotations

from zoneinfo import available_timezones

from flask import current_app
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from forum.api.auth import require_user
from forum.api.common import PAGINATION, Blueprint, StrictSchema, fetched_page, whole_number
from forum.api.schemas import Timestamp
from forum.models import Delivery, EventKind
from forum.services import notifications, subscriptions
from forum.services.courses import get_course
from forum.services.discussions import get_discussion
from forum.services.notifications import Told
from forum.services.posts import get_post

bp = Blueprint("Notifications", __name__, url_prefix="/api/v1",
               description="What you are told of, how it reaches you, what you follow")

KINDS = [kind.value for kind in EventKind]
TIME_ZONES = sorted(available_timezones())
DELIVERIES = [delivery.value for delivery in Delivery]


class NotificationSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    created_at = Timestamp(required=True)
    read = fields.Boolean(required=True)
    available = fields.Boolean(required=True, metadata={
        "description": "False when what it was about is no longer yours to see: then "
                       "it carries no text, course or links"})
    text = fields.String(required=True, metadata={"description": "One line: who did what"})
    excerpt = fields.String(required=True)
    course_id = fields.Integer(allow_none=True, required=True)
    discussion_id = fields.Integer(allow_none=True, required=True)
    post_id = fields.Integer(allow_none=True, required=True)
    reply_id = fields.Integer(allow_none=True, required=True)


class NotificationArgsSchema(StrictSchema):
    unread = fields.Boolean(load_default=False, metadata={"description": "Only unread ones"})


class UnreadCountSchema(Schema):
    unread = fields.Integer(required=True)


class MarkedSchema(Schema):
    marked = fields.Integer(required=True, metadata={"description": "How many were unread"})


DeliveriesSchema = StrictSchema.from_dict(
    {kind: fields.String(validate=validate.OneOf(DELIVERIES)) for kind in KINDS},
    name="DeliveriesSchema")


class SettingsSchema(StrictSchema):
    deliveries = fields.Nested(DeliveriesSchema, required=True, metadata={
        "description": "Per kind of notification: immediate, digest or never (by email; "
                       "every notification shows in the app). Kinds not named keep their "
                       "choice."})
    timezone = fields.String(required=True, validate=validate.OneOf(TIME_ZONES),
                             metadata={"description": "IANA time zone of the digest hour"})
    digest_hour = whole_number(required=True, validate=validate.Range(min=0, max=23))
    email_enabled = fields.Boolean(dump_only=True, metadata={
        "description": "Whether this forum sends email at all"})


class SubscriptionSchema(StrictSchema):
    level = fields.String(required=True, validate=validate.OneOf(subscriptions.LEVELS),
                          metadata={"description": "follow, mute or none"})


def told_view(item: Told) -> dict:
    return {"id": item.id, "kind": item.kind.value, "created_at": item.created_at,
            "read": item.read, "available": item.available, "text": item.text,
            "excerpt": item.excerpt, "course_id": item.course.id if item.course else None,
            "discussion_id": item.discussion_id, "post_id": item.post_id,
            "reply_id": item.reply_id}


def _settings_view(user) -> dict:
    choices = subscriptions.choices_of(user)
    return {"deliveries": {k.value: d.value for k, d in choices.deliveries.items()},
            "timezone": choices.timezone, "digest_hour": choices.digest_hour,
            "email_enabled": bool(current_app.config.get("FORUM_MAIL_ENABLED"))}


@bp.route("/notifications")
class Notifications(MethodView):
    @bp.arguments(NotificationArgsSchema, location="query")
    @bp.response(200, NotificationSchema(many=True))
    @bp.paginate(**PAGINATION)
    @bp.errors()
    @bp.doc(operationId="listNotifications")
    def get(self, args, pagination_parameters):
        """Your notifications, newest first; each says what it is about as you may
        see it now"""
        user = require_user()
        return fetched_page(
            lambda offset, limit: notifications.notifications_page(
                user, offset=offset, limit=limit, unread_only=args["unread"]),
            told_view, pagination_parameters)


@bp.route("/notifications/unread")
class UnreadCount(MethodView):
    @bp.response(200, UnreadCountSchema)
    @bp.errors()
    @bp.doc(operationId="countUnreadNotifications")
    def get(self):
        """How many of your notifications are unread (the bell's count)"""
        return {"unread": notifications.unread_count(require_user())}


@bp.route("/notifications/read")
class ReadAll(MethodView):
    @bp.response(200, MarkedSchema)
    @bp.errors()
    @bp.doc(operationId="markAllNotificationsRead")
    def post(self):
        """Mark all your notifications read"""
        return {"marked": notifications.mark_all_read(require_user())}


@bp.route("/notifications/<id:notification_id>/read")
class ReadOne(MethodView):
    @bp.response(204)
    @bp.errors()
    @bp.doc(operationId="markNotificationRead")
    def post(self, notification_id: int):
        """Mark one of your notifications read"""
        user = require_user()
        notifications.mark_read(user, notifications.get_notification(user, notification_id))


@bp.route("/me/notification-settings")
class Settings(MethodView):
    @bp.response(200, SettingsSchema)
    @bp.errors()
    @bp.doc(operationId="getNotificationSettings")
    def get(self):
        """How each kind of notification reaches you by email, and when your digest
        comes"""
        return _settings_view(require_user())

    @bp.arguments(SettingsSchema)
    @bp.response(200, SettingsSchema)
    @bp.errors()
    @bp.doc(operationId="setNotificationSettings")
    def put(self, data):
        """Set your choices: the digest's time zone and hour, and how the kinds named
        reach you"""
        user = require_user()
        subscriptions.set_choices(user, deliveries=data.get("deliveries"),
                                  timezone=data.get("timezone"),
                                  digest_hour=data.get("digest_hour"))
        return _settings_view(user)


def _subscription_routes(target: str, finder, noun: str) -> None:
    class Subscription(MethodView):
        @bp.response(200, SubscriptionSchema)
        @bp.errors()
        @bp.doc(operationId=f"get{noun}Subscription")
        def get(self, thing_id: int):
            user = require_user()
            return {"level": subscriptions.subscription_level(user, finder(user, thing_id))}

        @bp.arguments(SubscriptionSchema)
        @bp.response(200, SubscriptionSchema)
        @bp.errors()
        @bp.doc(operationId=f"set{noun}Subscription")
        def put(self, data, thing_id: int):
            user = require_user()
            level = subscriptions.set_subscription(user, finder(user, thing_id), data["level"])
            return {"level": level}

    Subscription.get.__doc__ = f"Whether you follow or muted this {target}"
    Subscription.put.__doc__ = (f"Follow this {target} (be told of what is new), mute it "
                                "(not even as an author), or neither")
    bp.route(f"/{target}s/<id:thing_id>/subscription", endpoint=f"{target}_subscription")(
        Subscription)


_subscription_routes("post", get_post, "Post")
_subscription_routes("discussion", get_discussion, "Discussion")
_subscription_routes("course", get_course, "Course")
