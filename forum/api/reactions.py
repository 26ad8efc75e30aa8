"""Likes and endorsements: /posts/{id}/like, /replies/{id}/like and their endorsements."""

from __future__ import annotations

from flask.views import MethodView

from forum.api.auth import require_user
from forum.api.common import Blueprint
from forum.api.present import post_view, single_reply_view
from forum.api.schemas import PostSchema, ReplySchema
from forum.services import reactions as reaction_service
from forum.services.posts import get_post
from forum.services.replies import get_reply

bp = Blueprint("Reactions", __name__, url_prefix="/api/v1",
               description="Likes (members, once each) and endorsements (staff)")


def _post(post_id: int):
    user = require_user()
    return user, get_post(user, post_id)


def _reply(reply_id: int):
    user = require_user()
    return user, get_reply(user, reply_id)


@bp.route("/posts/<id:post_id>/like")
class PostLike(MethodView):
    @bp.response(200, PostSchema)
    @bp.errors(403)
    @bp.doc(operationId="likePost")
    def put(self, post_id: int):
        """Like a post (once; liking again changes nothing)"""
        user, post = _post(post_id)
        return post_view(post, user, liked=reaction_service.like(user, post))

    @bp.response(200, PostSchema)
    @bp.errors(403)
    @bp.doc(operationId="unlikePost")
    def delete(self, post_id: int):
        """Take your like of a post back"""
        user, post = _post(post_id)
        return post_view(post, user, liked=reaction_service.unlike(user, post))


@bp.route("/replies/<id:reply_id>/like")
class ReplyLike(MethodView):
    @bp.response(200, ReplySchema)
    @bp.errors(403)
    @bp.doc(operationId="likeReply")
    def put(self, reply_id: int):
        """Like a reply (once; liking again changes nothing)"""
        user, reply = _reply(reply_id)
        reaction_service.like(user, reply)
        return single_reply_view(reply, user)

    @bp.response(200, ReplySchema)
    @bp.errors(403)
    @bp.doc(operationId="unlikeReply")
    def delete(self, reply_id: int):
        """Take your like of a reply back"""
        user, reply = _reply(reply_id)
        reaction_service.unlike(user, reply)
        return single_reply_view(reply, user)


@bp.route("/posts/<id:post_id>/endorsement")
class PostEndorsement(MethodView):
    @bp.response(200, PostSchema)
    @bp.errors(403)
    @bp.doc(operationId="endorsePost")
    def put(self, post_id: int):
        """Endorse a post (instructors and TAs)"""
        user, post = _post(post_id)
        return post_view(reaction_service.endorse(user, post, True), user)

    @bp.response(200, PostSchema)
    @bp.errors(403)
    @bp.doc(operationId="unendorsePost")
    def delete(self, post_id: int):
        """Take an endorsement of a post back (instructors and TAs)"""
        user, post = _post(post_id)
        return post_view(reaction_service.endorse(user, post, False), user)


@bp.route("/replies/<id:reply_id>/endorsement")
class ReplyEndorsement(MethodView):
    @bp.response(200, ReplySchema)
    @bp.errors(403)
    @bp.doc(operationId="endorseReply")
    def put(self, reply_id: int):
        """Endorse a reply (instructors and TAs)"""
        user, reply = _reply(reply_id)
        return single_reply_view(reaction_service.endorse(user, reply, True), user)

    @bp.response(200, ReplySchema)
    @bp.errors(403)
    @bp.doc(operationId="unendorseReply")
    def delete(self, reply_id: int):
        """Take an endorsement of a reply back (instructors and TAs)"""
        user, reply = _reply(reply_id)
        return single_reply_view(reaction_service.endorse(user, reply, False), user)
