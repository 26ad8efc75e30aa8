"""`Idempotency-Key` on every creating POST (those answering 201): a client that lost
an answer (a timeout, a dropped connection) sends the same request with the same key
and gets the first answer, with `Idempotent-Replayed: true`, instead of a duplicate.
The same key with a different request is refused (422). If the first request's work
was committed but its answer lost (its process died in between), the retry is sent
303 See Other to what was created. Keys are the caller's own and kept for a day.
Callers without a token cannot use them: the key is ignored."""

from __future__ import annotations

import json

from flask import Response, current_app, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.orm import Session

from forum import outages
from forum.api.auth import actor
from forum.api.common import operation
from forum.services import idempotency

PARAMETER = {
    "name": idempotency.HEADER, "in": "header", "required": False,
    "description": "Any unique value (a UUID): sending the same request again with the "
                   "same key within a day returns the first answer instead of creating "
                   "twice. The same key with another request is refused (422).",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
}


def creates() -> bool:
    """Whether the request goes to an operation that answers 201 (Blueprint.created)."""
    return bool(getattr(operation(), "creates", False))


def replay_or_claim() -> Response | None:
    """Before a creating request: answer it from its key's first answer, or claim the key
    for it."""
    key = request.headers.get(idempotency.HEADER)
    user = actor()
    if key is None or request.method != "POST" or not user.is_authenticated \
            or not creates():
        return None
    print_ = idempotency.fingerprint(request.method, request.path,
                                     request.get_data(cache=True))
    found = idempotency.claim(user, idempotency.check_key(key), print_)
    if isinstance(found, idempotency.Replay):
        return _replay(found)
    g.idempotency_row = found
    return None


LOST = json.dumps({"message": "This request was done before, but its answer was lost: "
                             "what it created is at the Location."})


def _replay(found: idempotency.Replay) -> Response:
    """The first answer again; if it was lost, 303 See Other to what was created."""
    headers = {"Idempotent-Replayed": "true"}
    if found.location:
        headers["Location"] = found.location
    if found.status is None:
        return Response(LOST, 303, headers, mimetype="application/json")
    return Response(found.body, found.status, headers, mimetype="application/json")


@event.listens_for(Session, "after_flush")
def _note_location(session, _context) -> None:
    """As a keyed request's object is first flushed, write where it is found on the
    key's row, so the unit commits both."""
    row = g.get("idempotency_row") if has_request_context() else None
    if row is None or row.location is not None:
        return
    creates = operation().creates
    for instance in session.new:
        if isinstance(instance, creates.model):
            idempotency.located(row, creates.locate(instance))
            return


def keep_answer(response: Response) -> Response:
    """After a creating request that succeeded: keep its answer for the retries. If the
    database is away now, the creation still stands and is answered as done."""
    row = g.pop("idempotency_row", None)
    if row is None or not 200 <= response.status_code < 300:
        return response
    try:
        idempotency.remember(row, response.status_code, response.get_data(as_text=True),
                             response.headers.get("Location"))
    except outages.UNAVAILABLE as error:
        outages.database_unavailable(error, current_app.logger,
                                     f"{request.path}, keeping its answer")
    return response


LOST_ANSWER = {
    "description": "Sent again with its Idempotency-Key: the first request's work was "
                   "done but its answer lost; what it created is at the Location.",
    "headers": {"Location": {"description": "The URL of what was created",
                             "schema": {"type": "string"}}},
    "content": {"application/json": {"schema": {
        "type": "object", "properties": {"message": {"type": "string"}}}}},
}


def document(spec) -> None:
    """Add the header, and the answer to a retry whose first answer was lost, to every
    operation of the document that answers 201."""
    spec.components.parameter("IDEMPOTENCY_KEY", "header", PARAMETER)
    spec.components.response("LOST_ANSWER", LOST_ANSWER)
    for operations in spec._paths.values():
        for method, documented in operations.items():
            if method == "post" and "201" in documented.get("responses", {}):
                documented.setdefault("parameters", []).append(
                    {"$ref": "#/components/parameters/IDEMPOTENCY_KEY"})
                documented["responses"]["303"] = {"$ref": "#/components/responses/LOST_ANSWER"}
