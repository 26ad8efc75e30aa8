"""Your private feeds over the API: /me/feeds and a new secret for them."""

from __future__ import annotations

from flask import url_for
from flask.views import MethodView
from marshmallow import Schema, fields

from forum.api.auth import require_user
from forum.api.common import Blueprint
from forum.services.feeds import rotate_feed_token

bp = Blueprint("Feeds", __name__, url_prefix="/api/v1",
               description="Secret URLs of your private feeds, for feed readers and "
                           "calendars (they need no login; a new secret revokes the old)")


@bp.after_request
def no_store(response):
    """The URLs are secrets: never kept by caches along the way."""
    response.headers["Cache-Control"] = "no-store"
    return response


class FeedLinksSchema(Schema):
    atom = fields.Url(required=True, allow_none=True, metadata={
        "description": "Atom feed of the newest posts in your courses, as you may see "
                       "them; null until you make a secret URL"})
    calendar = fields.Url(required=True, allow_none=True, metadata={
        "description": "iCalendar of the opening, due and locking dates of your "
                       "courses' discussions, in each course's time zone; null until "
                       "you make a secret URL"})


def feed_links(token: str | None) -> dict:
    if token is None:
        return {"atom": None, "calendar": None}
    return {"atom": url_for("feeds.private_feed", token=token, _external=True),
            "calendar": url_for("feeds.due_calendar", token=token, _external=True)}


@bp.route("/me/feeds")
class MyFeeds(MethodView):
    @bp.response(200, FeedLinksSchema)
    @bp.errors()
    @bp.doc(operationId="getMyFeeds")
    def get(self):
        """The secret URLs of your private feeds"""
        return feed_links(require_user().feed_token)


@bp.route("/me/feeds/token")
class MyFeedToken(MethodView):
    @bp.response(200, FeedLinksSchema)
    @bp.errors()
    @bp.doc(operationId="rotateFeedToken")
    def post(self):
        """Make new secret URLs for your private feeds; the old ones stop working at once"""
        return feed_links(rotate_feed_token(require_user()))
