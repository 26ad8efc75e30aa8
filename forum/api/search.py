"""Search: GET /api/v1/search?q=… over the posts, replies and prompts you may read."""

from __future__ import annotations

from flask import url_for
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from forum.api.auth import actor
from forum.api.common import PAGINATION, STORABLE, Blueprint, StrictSchema, fetched_page
from forum.api.present import author_view
from forum.api.schemas import AuthorRefSchema, Timestamp, moment
from forum.formats.search_query import QUERY_MAX
from forum.services import search as search_service

bp = Blueprint("Search", __name__, url_prefix="/api/v1",
               description="Full-text search of posts, replies and prompts")

_ID = validate.Range(min=1, max=2**31 - 1)


class SearchArgsSchema(StrictSchema):
    q = fields.String(required=True, validate=[validate.Length(min=1, max=QUERY_MAX), STORABLE],
                      metadata={"description": 'Words, "phrases", -exclusions, OR, '
                                               'author:Name'})
    course_id = fields.Integer(validate=_ID, metadata={"description": "Only this course"})
    discussion_id = fields.Integer(validate=_ID)
    author_id = fields.Integer(validate=_ID, metadata={
        "description": "Only what this person wrote under their name"})
    kind = fields.List(fields.String(validate=validate.OneOf(search_service.KINDS)),
                       metadata={"description": "post, reply, prompt (repeat for several)"})
    since = moment(metadata={"description": "Written on or after this day (UTC; the time "
                                            "of day is not used)"})
    until = moment(metadata={"description": "Written before this moment, taken up to a "
                                            "whole day (UTC)"})
    order = fields.String(load_default="relevance",
                          validate=validate.OneOf(search_service.ORDERS))


class SearchHitSchema(Schema):
    kind = fields.String(required=True, metadata={"description": "post, reply or prompt"})
    id = fields.Integer(required=True)
    post_id = fields.Integer(required=True)
    title = fields.String(required=True, metadata={"description": "The post's title"})
    course_id = fields.Integer(required=True)
    discussion_id = fields.Integer(required=True)
    author = fields.Nested(AuthorRefSchema, required=True)
    created_at = Timestamp(required=True)
    snippet = fields.String(required=True, metadata={
        "description": "Escaped HTML: the matching passage, matches in <mark>"})
    url = fields.String(required=True, metadata={"description": "The item in its thread"})
    api_url = fields.String(required=True)


def _view(hit: search_service.Hit) -> dict:
    anchor = None if hit.reply is None else f"reply-{hit.reply.id}"
    own = (url_for("Posts.PostItem", post_id=hit.post.id, _external=True)
           if hit.reply is None else
           url_for("Replies.ReplyItem", reply_id=hit.reply.id, _external=True))
    return {"kind": hit.kind, "id": hit.id, "post_id": hit.post.id, "title": hit.title,
            "course_id": hit.course.id, "discussion_id": hit.post.discussion_id,
            "author": author_view(hit.byline), "created_at": hit.created_at,
            "snippet": str(hit.snippet),
            "url": url_for("posts.show", post_id=hit.post.id, _anchor=anchor, _external=True),
            "api_url": own}


@bp.route("/search")
class Search(MethodView):
    @bp.arguments(SearchArgsSchema, location="query")
    @bp.response(200, SearchHitSchema(many=True))
    @bp.paginate(**PAGINATION)
    @bp.errors(422)
    @bp.doc(operationId="search")
    def get(self, args, pagination_parameters):
        """What you may read that matches the query, best match first (or newest)"""
        filters = search_service.Filters(
            course_id=args.get("course_id"), discussion_id=args.get("discussion_id"),
            author_id=args.get("author_id"),
            kinds=search_service.kinds_of(args.get("kind") or []),
            since=args.get("since"), until=args.get("until"), order=args["order"])

        def fetch(offset: int, limit: int):
            found = search_service.search(actor(), args["q"], filters, offset, limit)
            return found.hits, found.total

        return fetched_page(fetch, _view, pagination_parameters)
