"""The writing forms' @mention autocomplete: course members by name, as JSON for the
page's script (the API takes bearer tokens only; this is its session-cookie twin)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_login import current_user, login_required

from forum.services import mentions as mention_service
from forum.services.courses import get_course

bp = Blueprint("mentions", __name__)


@bp.get("/courses/<id:course_id>/mentionable")
@login_required
def mentionable(course_id: int):
    """Up to 10 members of the course whose name holds `q`: ids and names only."""
    course = get_course(current_user, course_id)
    people = mention_service.mentionable(current_user, course, request.args.get("q", ""))
    response = jsonify([{"id": p.id, "display_name": p.display_name} for p in people])
    response.headers["Cache-Control"] = "no-store"
    return response
