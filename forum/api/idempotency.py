"""`Idempotency-Key` on every creating POST (those answering 201): a client that lost
an answer (a timeout, a dropped connection) sends the same request with the same key
and gets the first answer, with `Idempotent-Replayed: true`, instead of a duplicate.
The same key with a different request is refused (422). Keys are the caller's own and
kept for a day. Callers without a token cannot use them: the key is ignored."""

from __future__ import annotations

from flask import Response, current_app, g, request

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
        headers = {"Idempotent-Replayed": "true"}
        if found.location:
            headers["Location"] = found.location
        return Response(found.body, found.status, headers, mimetype="application/json")
    g.idempotency_row = found
    return None


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


def document(spec) -> None:
    """Add the header to every operation of the document that answers 201."""
    spec.components.parameter("IDEMPOTENCY_KEY", "header", PARAMETER)
    for operations in spec._paths.values():
        for method, documented in operations.items():
            if method == "post" and "201" in documented.get("responses", {}):
                documented.setdefault("parameters", []).append(
                    {"$ref": "#/components/parameters/IDEMPOTENCY_KEY"})
