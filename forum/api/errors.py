"""One JSON error shape for everything under /api, whatever went wrong."""

from __future__ import annotations

from http import HTTPStatus

from flask import current_app, jsonify, request
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException

from forum import errors, outages
from forum.api.auth import CHALLENGE, actor
from forum.extensions import db


class ErrorSchema(Schema):
    """The one error shape, as the document states it: every field always present."""

    code = fields.Integer(required=True, metadata={"description": "The HTTP status"})
    status = fields.String(required=True, metadata={"description": "Its name"})
    message = fields.String(required=True, metadata={"description": "What to do about it"})
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                         required=True,
                         metadata={"description": "Field name -> messages; {} if none"})


def error_response(code: int, message: str, field_errors: dict | None = None,
                   headers: dict | list | None = None):
    body = {"code": code, "status": HTTPStatus(code).phrase, "message": message,
            "errors": field_errors or {}}
    response = jsonify(body)
    response.status_code = code
    for name, value in (headers.items() if isinstance(headers, dict) else headers or []):
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _flatten(messages) -> dict[str, list[str]]:
    """webargs nests messages by location ({"json": {...}}); clients want fields."""
    flat: dict[str, list[str]] = {}
    for location_messages in (messages or {}).values():
        if isinstance(location_messages, dict):
            for field, found in location_messages.items():
                flat[str(field)] = _as_list(found)
        else:
            flat.setdefault("_schema", []).extend(_as_list(location_messages))
    return flat


def _as_list(found) -> list[str]:
    if isinstance(found, list) and all(isinstance(item, str) for item in found):
        return found
    if isinstance(found, dict):  # nested fields, e.g. sources.0.url
        return [f"{key}: {' '.join(_as_list(value))}" for key, value in found.items()]
    return [str(found)]


# Plainer words than werkzeug's defaults, for the errors clients meet most.
MESSAGES = {
    400: "The request could not be read: send well-formed JSON.",
    404: "Nothing is here: check the URL.",
    405: "This method is not allowed here; the Allow header lists those that are.",
    412: "It changed since you read it: GET it again for a fresh ETag, then retry.",
    413: "The request is too large.",
    415: "Send the body as JSON, with Content-Type: application/json.",
    428: "Send If-Match with the ETag of your last GET to change this.",
    429: "Too many requests: wait for the time in Retry-After, then try again.",
}


def http_error(error: HTTPException):
    code = error.code or 500
    field_errors = None
    data = getattr(error, "data", None)
    if code == 422 and isinstance(data, dict):
        field_errors = _flatten(data.get("messages"))
    message = error.description if error.description != type(error).description else None
    message = message or MESSAGES.get(code) or error.description \
        or HTTPStatus(code).description
    if code == 422 and field_errors:
        message = "Some fields are not valid."
    return error_response(code, message, field_errors, error.get_headers())


def _anonymous_refusal():
    return error_response(401, "This needs a token: 'Authorization: Bearer <token>'.",
                          headers={"WWW-Authenticate": CHALLENGE})


def not_found(error: errors.NotFound):
    """404 for every caller, anonymous ones too: what is missing, deleted or out of
    sight answers alike, and like a URL that matches no route."""
    return error_response(404, error.message)


def forbidden(error: errors.PermissionDenied):
    if not actor().is_authenticated:
        return _anonymous_refusal()
    return error_response(403, error.message)


def invalid(error: errors.Invalid):
    if error.conflict:
        return error_response(409, "This clashes with what is already stored.", error.errors)
    return error_response(422, "Some fields are not valid.", error.errors)


def conflict(error: errors.Conflict):
    if isinstance(error, errors.StaleVersion):
        return error_response(412, MESSAGES[412])
    return error_response(409, error.message)


def unexpected(_error: Exception):
    db.session.rollback()
    current_app.logger.exception("unhandled API error")
    return error_response(500, "Something went wrong on our side. It has been logged.")


def database_down(error: Exception):
    db.session.rollback()
    wait = outages.database_unavailable(error, current_app.logger, request.path)
    return error_response(503, "The database is not answering. Try again shortly.",
                          headers={"Retry-After": str(wait)})


HANDLERS = {
    HTTPException: http_error,
    errors.NotFound: not_found,
    errors.PermissionDenied: forbidden,
    errors.Invalid: invalid,
    errors.Conflict: conflict,
}
