"""Preview: POST /api/v1/preview renders a text as a post or reply would store it."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields

from forum.api.auth import actor
from forum.api.common import Blueprint, StrictSchema, body_field
from forum.services.preview import preview
from forum.transactions import request_reads_only

bp = Blueprint("Preview", __name__, url_prefix="/api/v1",
               description="Markdown rendered as it would be stored, without saving")


class PreviewInputSchema(StrictSchema):
    body = body_field(required=True, metadata={
        "description": "Markdown, as the body of a post, reply, prompt or comment"})


class PreviewSchema(Schema):
    html = fields.String(required=True, metadata={
        "description": "The sanitized HTML that saving the body would store (body_html)"})


# A preview writes nothing: a read unit, although it is a POST.
bp.before_request(request_reads_only)


@bp.route("/preview")
class Preview(MethodView):
    @bp.arguments(PreviewInputSchema)
    @bp.response(200, PreviewSchema)
    @bp.errors(422)
    @bp.doc(operationId="previewMarkdown")
    def post(self, data):
        """Render Markdown exactly as a post, reply, prompt or guest comment would store
        it (same rules, same sanitizer), saving nothing. A token is optional; previews
        are rate-limited per token, or per address without one."""
        return {"html": preview(actor(), data["body"])}
