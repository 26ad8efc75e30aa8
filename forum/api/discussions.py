"""Discussions: /courses/{id}/discussions, /discussions/{id}, its prompts."""

from __future__ import annotations

from flask.views import MethodView

from forum.api.auth import actor, require_user
from forum.api.common import (
    PAGINATION,
    Blueprint,
    at,
    created,
    page_of,
    page_presented_together,
)
from forum.api.present import discussion_view, prompt_views
from forum.api.schemas import (
    DiscussionInputSchema,
    DiscussionSchema,
    DiscussionUpdateSchema,
    PromptArgsSchema,
    PromptSchema,
)
from forum.models import Discussion, PromptState
from forum.services import discussions as discussion_service
from forum.services import reading
from forum.services.courses import get_course
from forum.services.threads import prompts_in_discussion

bp = Blueprint("Discussions", __name__, url_prefix="/api/v1",
               description="Discussions and their prompts")

EDITABLE = ("title", "prompt", "opens_at", "due_at", "locks_at", "points_possible")


@bp.route("/courses/<id:course_id>/discussions")
class Discussions(MethodView):
    @bp.response(200, DiscussionSchema(many=True))
    @bp.paginate(**PAGINATION)
    @bp.errors()
    @bp.doc(operationId="listDiscussions")
    def get(self, course_id: int, pagination_parameters):
        """The course's discussions with post and reply counts, by due date"""
        course = get_course(actor(), course_id)
        summaries = discussion_service.summarize_discussions(actor(), course)
        return page_of(summaries,
                       lambda s: discussion_view(s.discussion, (s.post_count, s.reply_count),
                                                 actor(), s.unread),
                       pagination_parameters)

    @bp.arguments(DiscussionInputSchema)
    @bp.created(DiscussionSchema, Discussion, at(".DiscussionItem", "discussion_id"))
    @bp.errors(403, 409, 422)
    @bp.doc(operationId="createDiscussion")
    def post(self, data, course_id: int):
        """Start a discussion (instructors)"""
        user = require_user()
        course = get_course(user, course_id)
        discussion_service.authorize_create_discussion(user, course)
        discussion = discussion_service.create_discussion(user, course, **data)
        return created(lambda: discussion_view(discussion), discussion)


def _etag(discussion) -> dict:
    return {"id": discussion.id, "version": discussion.version,
            "closed": discussion.is_closed}


@bp.route("/discussions/<id:discussion_id>")
class DiscussionItem(MethodView):
    @bp.etag
    @bp.response(200, DiscussionSchema)
    @bp.errors()
    @bp.doc(operationId="getDiscussion")
    def get(self, discussion_id: int):
        """A discussion"""
        discussion = discussion_service.get_discussion(actor(), discussion_id)
        bp.set_etag(_etag(discussion))
        unread = reading.unread_in_discussion(actor(), discussion).total()
        return discussion_view(discussion, viewer=actor(), unread=unread)

    @bp.etag
    @bp.arguments(DiscussionUpdateSchema)
    @bp.response(200, DiscussionSchema)
    @bp.errors(403, 409, 422)
    @bp.doc(operationId="updateDiscussion")
    def patch(self, data, discussion_id: int):
        """Edit a discussion, or close (read-only) and reopen it (instructors)"""
        user = require_user()
        discussion = discussion_service.get_discussion(user, discussion_id)
        discussion_service.authorize_edit_discussion(user, discussion)
        bp.check_etag(_etag(discussion))
        closed = data.pop("closed", None)
        fields = {name: getattr(discussion, name) for name in EDITABLE} | data if data else {}
        discussion_service.update_discussion(user, discussion, discussion.version, closed,
                                             **fields)
        bp.set_etag(_etag(discussion))
        return discussion_view(discussion)


@bp.route("/discussions/<id:discussion_id>/prompts")
class DiscussionPrompts(MethodView):
    @bp.arguments(PromptArgsSchema, location="query")
    @bp.response(200, PromptSchema(many=True))
    @bp.paginate(**PAGINATION)
    @bp.errors(403)
    @bp.doc(operationId="listDiscussionPrompts")
    def get(self, args, discussion_id: int, pagination_parameters):
        """The discussion's prompts, optionally by state (instructors and TAs)"""
        discussion = discussion_service.get_discussion(actor(), discussion_id)
        state = PromptState(args["state"]) if "state" in args else None
        rows = prompts_in_discussion(actor(), discussion, state)
        return page_presented_together(
            rows, lambda page: prompt_views(page, actor()), pagination_parameters)
