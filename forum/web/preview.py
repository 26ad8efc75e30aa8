"""Preview for the pages' forms: the browser's session and CSRF token, the API's rule."""

from __future__ import annotations

from flask import Blueprint, jsonify, request, session
from flask_login import current_user

from forum.errors import Invalid
from forum.extensions import client_address, limiter
from forum.limits import preview_limit
from forum.services.preview import preview
from forum.transactions import request_reads_only

bp = Blueprint("preview", __name__)


def previewer_key() -> str:
    """Previews count per signed-in person (read from the session, without loading
    them), else per address."""
    user_id = str(session.get("_user_id") or "").partition(".")[0]
    return f"preview:user:{user_id}" if user_id.isdigit() else "preview:ip:" + client_address()


# A preview writes nothing: a read unit, although it is a POST.
bp.before_request(request_reads_only)


@bp.post("/preview")
@limiter.limit(preview_limit, key_func=previewer_key)
def show():
    """JSON {"body": ...} or a form field `body`, with the page's CSRF token (a form
    field or the X-CSRFToken header) → {"html": ...}, or 422 {"errors": {"body": [...]}}."""
    data = request.get_json(silent=True) if request.is_json else request.form
    body = data.get("body") if isinstance(data, dict) else None  # a form is a dict too
    body = body if isinstance(body, str) else None  # a number, a list: nothing to preview
    try:
        html = preview(current_user, body)
    except Invalid as error:
        return jsonify({"message": "Nothing to preview.", "errors": error.errors}), 422
    return jsonify({"html": html})
