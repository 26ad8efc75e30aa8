"""Read marks: /courses/{id}/read, /discussions/{id}/read, /posts/{id}/read."""

from __future__ import annotations

from flask.views import MethodView

from forum.api.auth import require_user
from forum.api.common import Blueprint
from forum.services import reading
from forum.services.courses import get_course
from forum.services.discussions import get_discussion
from forum.services.posts import get_post

bp = Blueprint("Reading", __name__, url_prefix="/api/v1",
               description="Mark what you have read; `unread` fields count the rest")


@bp.route("/courses/<id:course_id>/read")
class CourseRead(MethodView):
    @bp.response(204)
    @bp.errors()
    @bp.doc(operationId="markCourseRead")
    def post(self, course_id: int):
        """Mark every post and reply of the course you may read as read"""
        user = require_user()
        reading.mark_course_read(user, get_course(user, course_id))


@bp.route("/discussions/<id:discussion_id>/read")
class DiscussionRead(MethodView):
    @bp.response(204)
    @bp.errors()
    @bp.doc(operationId="markDiscussionRead")
    def post(self, discussion_id: int):
        """Mark every post and reply of the discussion you may read as read"""
        user = require_user()
        reading.mark_discussion_read(user, get_discussion(user, discussion_id))


@bp.route("/posts/<id:post_id>/read")
class PostRead(MethodView):
    @bp.response(204)
    @bp.errors()
    @bp.doc(operationId="markPostRead")
    def post(self, post_id: int):
        """Mark the post and every reply of its thread so far as read"""
        user = require_user()
        reading.mark_post_read(user, get_post(user, post_id))
