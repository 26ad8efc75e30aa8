"""Replies and prompts: /posts/{id}/replies, /replies/{id} and their actions."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from werkzeug.exceptions import Forbidden

from forum.api.auth import actor, require_user
from forum.api.common import PAGINATION, Blueprint, at, created, page_of
from forum.api.posts import revision_view
from forum.api.present import reply_view, single_reply_view
from forum.api.schemas import (
    GuestCommentInputSchema,
    GuestCommentSchema,
    ReplyInputSchema,
    ReplySchema,
    ReplyUpdateSchema,
    RevisionSchema,
)
from forum.errors import PermissionDenied
from forum.extensions import client_address, limiter
from forum.limits import guest_limit
from forum.models import Moderation, Reply, ReplyKind
from forum.services import reactions as reaction_service
from forum.services import replies as reply_service
from forum.services.guests import GuestInput, comment_as_guest
from forum.services.posts import get_post
from forum.services.threads import load_thread

bp = Blueprint("Replies", __name__, url_prefix="/api/v1",
               description="Replies and prompts in threads")


@bp.route("/posts/<id:post_id>/replies")
class Replies(MethodView):
    @bp.response(200, ReplySchema(many=True))
    @bp.paginate(**PAGINATION)
    @bp.errors()
    @bp.doc(operationId="listReplies")
    def get(self, post_id: int, pagination_parameters):
        """The thread as a flat list in reading order, with parent_id and depth"""
        post = get_post(actor(), post_id)
        viewer = actor()
        _, liked = reaction_service.liked_in_thread(viewer, post)
        return page_of(load_thread(viewer, post), lambda node: reply_view(node, viewer, liked),
                       pagination_parameters)

    @bp.arguments(ReplyInputSchema)
    @bp.created(ReplySchema, Reply, at(".ReplyItem", "reply_id"))
    @bp.errors(403, 422)
    @bp.doc(operationId="createReply")
    def post(self, data, post_id: int):
        """Reply to the post or to one of its replies; staff may ask a prompt"""
        user = require_user()
        post = get_post(user, post_id)
        parent_id = data.get("parent_id")
        if data["kind"] == ReplyKind.PROMPT.value:  # ReplyInputSchema kept its rules
            reply = reply_service.ask_prompt(user, post, parent_id, data["body"],
                                             data.get("quote"))
        else:
            reply = reply_service.reply_to(
                user, post, parent_id, data["body"], anonymous=data.get("anonymous"),
                quote=data.get("quote"), quoted_reply_id=data.get("quoted_reply_id"))
        return created(lambda: single_reply_view(reply, user), reply)


def _etag(reply) -> dict:
    return {"id": reply.id, "version": reply.version, "deleted": reply.is_deleted}


@bp.route("/replies/<id:reply_id>")
class ReplyItem(MethodView):
    @bp.etag
    @bp.response(200, ReplySchema)
    @bp.errors()
    @bp.doc(operationId="getReply")
    def get(self, reply_id: int):
        """A reply or prompt (deleted ones only for staff)"""
        reply = reply_service.get_reply(actor(), reply_id)
        bp.set_etag(_etag(reply))
        return single_reply_view(reply, actor())

    @bp.etag
    @bp.arguments(ReplyUpdateSchema)
    @bp.response(200, ReplySchema)
    @bp.errors(403, 422)
    @bp.doc(operationId="updateReply")
    def patch(self, data, reply_id: int):
        """Edit your reply; its earlier text is kept as a revision"""
        user = require_user()
        reply = reply_service.get_reply(user, reply_id)
        reply_service.authorize_edit_reply(user, reply)
        bp.check_etag(_etag(reply))
        reply_service.update_reply(user, reply, version=reply.version, body=data["body"])
        bp.set_etag(_etag(reply))
        return single_reply_view(reply, user)

    @bp.response(204)
    @bp.errors(403)
    @bp.doc(operationId="deleteReply")
    def delete(self, reply_id: int):
        """Delete a reply to a tombstone; replies beneath stay (author or staff)"""
        user = require_user()
        reply_service.delete_reply(user, reply_service.get_reply(user, reply_id))


def _action(service):
    def view(self, reply_id: int):
        user = require_user()
        reply = service(user, reply_service.get_reply(user, reply_id))
        return single_reply_view(reply, user)

    return view


@bp.route("/replies/<id:reply_id>/resolve")
class ReplyResolve(MethodView):
    post = bp.doc(operationId="resolvePrompt")(
        bp.response(200, ReplySchema)(bp.errors(403)(_action(reply_service.resolve_prompt))))
    post.__doc__ = "Mark a prompt resolved (instructors and TAs)"


@bp.route("/replies/<id:reply_id>/restore")
class ReplyRestore(MethodView):
    post = bp.doc(operationId="restoreReply")(
        bp.response(200, ReplySchema)(bp.errors(403)(_action(reply_service.restore_reply))))
    post.__doc__ = "Bring a deleted reply back (instructors and TAs)"


@bp.route("/replies/<id:reply_id>/revisions")
class ReplyRevisions(MethodView):
    @bp.response(200, RevisionSchema(many=True))
    @bp.paginate(**PAGINATION)
    @bp.errors(403)
    @bp.doc(operationId="listReplyRevisions")
    def get(self, reply_id: int, pagination_parameters):
        """Earlier texts of the reply, newest first (its author and staff)"""
        user = require_user()
        reply = reply_service.get_reply(user, reply_id)
        return page_of(reply_service.revisions_of_reply(user, reply), revision_view,
                       pagination_parameters)


def _guest_limit_message() -> str:
    return (f"Too many comments from your address (the limit is {guest_limit()}): wait for "
            "the time in Retry-After, then try again.")


@bp.route("/posts/<id:post_id>/comments")
class PostGuestComments(MethodView):
    @bp.arguments(GuestCommentInputSchema)
    @bp.created(GuestCommentSchema, Reply, at(".ReplyItem", "reply_id"))
    @bp.errors(403, 409, 422)
    @bp.doc(security=[])
    @limiter.limit(guest_limit, key_func=client_address, error_message=_guest_limit_message)
    @bp.doc(operationId="createGuestComment")
    def post(self, data, post_id: int):
        """Comment as a visitor without an account, where a public discussion takes guest
        comments; send no token (members reply with createReply). Your email and website
        are seen only by the course staff; the comment may wait for their review."""
        caller = actor()
        if caller.is_authenticated:
            get_post(caller, post_id)  # what a member may not see stays 404
            raise Forbidden("You have an account here: reply with POST "
                            f"/api/v1/posts/{post_id}/replies and your token.")
        post = get_post(caller, post_id)
        try:
            reply = comment_as_guest(caller, post, GuestInput(
                name=data["name"], email=data["email"], body=data["body"],
                website=data.get("website"), parent_id=data.get("parent_id"),
                ip_address=request.remote_addr or "", seconds_on_form=None))
        except PermissionDenied as error:
            # A guest is anonymous by nature: a token would not help, so not a 401.
            raise Forbidden(error.message) from error
        published = reply.moderation is Moderation.PUBLISHED
        # Spam is reported as pending: the sender never learns what the filter thought.
        view = {"id": reply.id, "state": "published" if published else "pending",
                "message": "Your comment is published." if published
                else "Your comment is held for review."}
        return created(lambda: view, reply)
