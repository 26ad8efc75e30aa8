"""Moderation: the course's queue and staff actions on posts and replies, members' flags,
locks and pins, restoring an earlier text, erasing a guest's personal data."""

from __future__ import annotations

from flask.views import MethodView

from forum.api.auth import require_user
from forum.api.common import PAGINATION, Blueprint, at, created, fetched_page, page_of
from forum.api.present import (
    flag_view,
    moderation_result_view,
    post_view,
    queue_item_view,
    single_reply_view,
)
from forum.api.schemas import (
    BulkModerationInputSchema,
    FlagInputSchema,
    FlagSchema,
    GuestErasureInputSchema,
    GuestErasureSchema,
    ModerationInputSchema,
    ModerationItemSchema,
    ModerationQueueArgsSchema,
    ModerationResultSchema,
    PostSchema,
    ReplySchema,
    RestoredItemSchema,
)
from forum.models import Flag, Post
from forum.services import moderation
from forum.services.courses import get_course
from forum.services.posts import get_post
from forum.services.replies import get_reply

bp = Blueprint("Moderation", __name__, url_prefix="/api/v1",
               description="The moderation queue, flags, locks, pins and guests' data")


@bp.route("/courses/<id:course_id>/moderation")
class ModerationQueue(MethodView):
    @bp.arguments(ModerationQueueArgsSchema, location="query")
    @bp.response(200, ModerationItemSchema(many=True))
    @bp.paginate(**PAGINATION)
    @bp.errors(403, 422)
    @bp.doc(operationId="listModerationQueue")
    def get(self, args, course_id: int, pagination_parameters):
        """Posts and replies held back or flagged, newest first, with spam verdicts,
        open flags and guests' contact details (instructors and TAs)"""
        user = require_user()
        course = get_course(user, course_id)
        return fetched_page(
            lambda offset, limit: moderation.moderation_queue(
                user, course, args.get("state"), offset=offset, limit=limit),
            lambda entry: queue_item_view(entry, user), pagination_parameters)

    @bp.arguments(BulkModerationInputSchema)
    @bp.response(200, ModerationResultSchema(many=True))
    @bp.errors(403, 409, 422)
    @bp.doc(operationId="moderateMany")
    def post(self, data, course_id: int):
        """One action on up to 100 of the course's posts and replies, all or none
        (instructors and TAs)"""
        user = require_user()
        course = get_course(user, course_id)
        targets = [(target["kind"], target["id"]) for target in data["ids"]]
        items = moderation.moderate_many(user, course, targets, data["action"],
                                         data.get("reason"))
        return [moderation_result_view(item) for item in items]


@bp.route("/posts/<id:post_id>/moderation")
class PostModeration(MethodView):
    @bp.arguments(ModerationInputSchema)
    @bp.response(200, PostSchema)
    @bp.errors(403, 409, 422)
    @bp.doc(operationId="moderatePost")
    def post(self, data, post_id: int):
        """Approve, mark as spam, hide (with a reason its author sees) or restore a post
        (instructors and TAs)"""
        user = require_user()
        post = moderation.moderate(user, moderation.find_item(user, "post", post_id),
                                   data["action"], data.get("reason"))
        return post_view(post, user)


@bp.route("/replies/<id:reply_id>/moderation")
class ReplyModeration(MethodView):
    @bp.arguments(ModerationInputSchema)
    @bp.response(200, ReplySchema)
    @bp.errors(403, 409, 422)
    @bp.doc(operationId="moderateReply")
    def post(self, data, reply_id: int):
        """Approve, mark as spam, hide (with a reason its author sees) or restore a reply
        (instructors and TAs)"""
        user = require_user()
        reply = moderation.moderate(user, moderation.find_item(user, "reply", reply_id),
                                    data["action"], data.get("reason"))
        return single_reply_view(reply, user)


# Flags


def _report(user, item, reason: str):
    report = moderation.flag(user, item, reason)
    return created(lambda: flag_view(report), report)


def _flags(user, item, pagination_parameters) -> list[dict]:
    return page_of(moderation.flags_on(user, item), flag_view, pagination_parameters)


@bp.route("/posts/<id:post_id>/flags")
class PostFlags(MethodView):
    @bp.arguments(FlagInputSchema)
    @bp.created(FlagSchema, Flag, at(".PostFlags"))
    @bp.errors(403, 409, 422)
    @bp.doc(operationId="flagPost")
    def post(self, data, post_id: int):
        """Report a post to the course staff (members, not its author; staff act on it
        instead); enough reports hide it until staff review it"""
        user = require_user()
        return _report(user, get_post(user, post_id), data["reason"])

    @bp.response(200, FlagSchema(many=True))
    @bp.paginate(**PAGINATION)
    @bp.errors(403)
    @bp.doc(operationId="listPostFlags")
    def get(self, post_id: int, pagination_parameters):
        """Who reported the post and why (instructors and TAs)"""
        user = require_user()
        return _flags(user, get_post(user, post_id), pagination_parameters)


@bp.route("/replies/<id:reply_id>/flags")
class ReplyFlags(MethodView):
    @bp.arguments(FlagInputSchema)
    @bp.created(FlagSchema, Flag, at(".ReplyFlags"))
    @bp.errors(403, 409, 422)
    @bp.doc(operationId="flagReply")
    def post(self, data, reply_id: int):
        """Report a reply to the course staff (members, not its author; staff act on it
        instead); enough reports hide it until staff review it"""
        user = require_user()
        return _report(user, get_reply(user, reply_id), data["reason"])

    @bp.response(200, FlagSchema(many=True))
    @bp.paginate(**PAGINATION)
    @bp.errors(403)
    @bp.doc(operationId="listReplyFlags")
    def get(self, reply_id: int, pagination_parameters):
        """Who reported the reply and why (instructors and TAs)"""
        user = require_user()
        return _flags(user, get_reply(user, reply_id), pagination_parameters)


# Thread controls


def _thread_control(operation_id: str, summary: str, service, value: bool):
    @bp.response(200, PostSchema)
    @bp.errors(403)
    @bp.doc(operationId=operation_id)
    def post(self, post_id: int):
        user = require_user()
        return post_view(service(user, get_post(user, post_id), value), user)

    post.__doc__ = summary
    return post


@bp.route("/posts/<id:post_id>/lock")
class PostLock(MethodView):
    post = _thread_control("lockPost", "Lock the post's thread: no new replies but staff's "
                           "(instructors and TAs)", moderation.set_locked, True)


@bp.route("/posts/<id:post_id>/unlock")
class PostUnlock(MethodView):
    post = _thread_control("unlockPost", "Open a locked thread again (instructors and TAs)",
                           moderation.set_locked, False)


@bp.route("/posts/<id:post_id>/pin")
class PostPin(MethodView):
    post = _thread_control("pinPost", "Pin the post to the top of its discussion "
                           "(instructors and TAs)", moderation.set_pinned, True)


@bp.route("/posts/<id:post_id>/unpin")
class PostUnpin(MethodView):
    post = _thread_control("unpinPost", "Unpin the post (instructors and TAs)",
                           moderation.set_pinned, False)


@bp.route("/revisions/<id:revision_id>/restore")
class RevisionRestore(MethodView):
    @bp.response(200, RestoredItemSchema)
    @bp.errors(403)
    @bp.doc(operationId="restoreRevision")
    def post(self, revision_id: int):
        """Put an earlier text back; the text it replaces is kept as a revision
        (instructors and TAs)"""
        user = require_user()
        item = moderation.restore_revision(user, moderation.get_revision(user, revision_id))
        if isinstance(item, Post):
            return {"kind": "post", "post": post_view(item, user)}
        return {"kind": "reply", "reply": single_reply_view(item, user)}


@bp.route("/replies/<id:reply_id>/guest-erasure")
class GuestErasure(MethodView):
    @bp.arguments(GuestErasureInputSchema)
    @bp.response(200, GuestErasureSchema)
    @bp.errors(403, 409, 422)
    @bp.doc(operationId="eraseGuest")
    def post(self, data, reply_id: int):
        """Erase the personal data of the guest who wrote this comment, in every comment
        they left in courses you moderate; optionally remove the texts too (instructors
        and TAs). 409 when the reply is not a guest's or was already erased."""
        user = require_user()
        erased = moderation.erase_guest(user, get_reply(user, reply_id), data["remove_text"])
        return {"erased": erased}
