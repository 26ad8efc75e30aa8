"""@mentions: /me/mentions, and /courses/{id}/mentionable for a writer's autocomplete."""

from __future__ import annotations

from flask.views import MethodView

from forum.api.auth import require_user
from forum.api.common import PAGINATION, Blueprint, fetched_page
from forum.api.present import user_ref
from forum.api.schemas import MentionableArgsSchema, MentionSchema, UserRefSchema
from forum.services import mentions as mention_service
from forum.services.courses import get_course
from forum.services.mentions import MentionRow

bp = Blueprint("Mentions", __name__, url_prefix="/api/v1",
               description="Course members named with @ in posts and replies")


def mention_view(row: MentionRow) -> dict:
    """Where and when; never who wrote it (the item may be anonymous to classmates)."""
    return {"id": row.id, "post_id": row.post.id, "reply_id": row.reply_id,
            "post_title": row.post.title, "course_id": row.course.id,
            "course_code": row.course.code, "created_at": row.created_at}


@bp.route("/me/mentions")
class MyMentions(MethodView):
    @bp.response(200, MentionSchema(many=True))
    @bp.paginate(**PAGINATION)
    @bp.errors()
    @bp.doc(operationId="listMyMentions")
    def get(self, pagination_parameters):
        """Mentions of you in posts and replies you may read now, newest first"""
        user = require_user()
        return fetched_page(
            lambda offset, limit: mention_service.page_of_mentions(
                user, offset=offset, limit=limit),
            mention_view, pagination_parameters)


@bp.route("/courses/<id:course_id>/mentionable")
class Mentionable(MethodView):
    @bp.arguments(MentionableArgsSchema, location="query")
    @bp.response(200, UserRefSchema(many=True))
    @bp.errors()
    @bp.doc(operationId="listMentionable")
    def get(self, args, course_id: int):
        """Up to 10 members of the course whose name holds `q`, to insert as
        `@[Display Name]` (members of the course only; never emails)"""
        user = require_user()
        course = get_course(user, course_id)
        return [user_ref(person) for person in
                mention_service.mentionable(user, course, args["q"])]
