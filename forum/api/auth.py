"""Bearer tokens: who is calling. Cookies are never read here."""

from __future__ import annotations

import json

from flask import g, request
from werkzeug.exceptions import BadRequest, Unauthorized, UnsupportedMediaType

from forum.api.common import takes_body
from forum.models import Anonymous
from forum.services.tokens import commit_token_use, user_for_token
from forum.transactions import SAFE_METHODS

CHALLENGE = 'Bearer realm="forum"'
# No input of the API nests deeper than a few levels (a rubric: criteria, levels).
JSON_DEPTH_MAX = 32


class TokenRefused(Unauthorized):
    """401 with the challenge that tells a client to send a bearer token."""

    def __init__(self, description: str, error: str | None = None):
        super().__init__(description)
        challenge = CHALLENGE + (f', error="{error}"' if error else "")
        self.www_authenticate_header = challenge

    def get_headers(self, environ=None, scope=None):
        return [*super().get_headers(environ, scope),
                ("WWW-Authenticate", self.www_authenticate_header)]


def require_json_body() -> None:
    """A body that is not JSON is refused outright, never half-read; so is JSON nested
    deeper than any input needs, before a parser recurses through it; and so is an edit
    (PATCH, PUT) that sends no body where one is read."""
    if request.method not in {"POST", "PATCH", "PUT"}:
        return
    if not request.content_length:
        if request.method != "POST" and takes_body():  # before If-Match is weighed
            raise BadRequest("Send the changes as a JSON body.")
        return
    if not request.is_json:
        raise UnsupportedMediaType()
    try:
        document = json.loads(request.get_data(cache=True))
    except RecursionError:
        document = None
    except ValueError:
        return  # the schema's parser answers it, as a 400
    else:
        if _depth_within(document, JSON_DEPTH_MAX):
            return
    raise BadRequest(f"JSON nested deeper than {JSON_DEPTH_MAX} levels is not accepted.")


def _depth_within(document, limit: int) -> bool:
    """Whether arrays and objects nest at most `limit` deep (walked without recursion)."""
    level = [document]
    for _ in range(limit + 1):
        level = [child for value in level if isinstance(value, list | dict)
                 for child in (value.values() if isinstance(value, dict) else value)]
        if not level:
            return True
    return False


def authenticate() -> None:
    """Run before every API request: set the caller from the Authorization header."""
    header = request.headers.get("Authorization")
    if header is None:
        g.api_user = Anonymous()
        return
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise TokenRefused("Send the token as 'Authorization: Bearer <token>'.",
                           "invalid_request")
    user = user_for_token(secret.strip())
    if user is None:
        raise TokenRefused("The token is unknown, expired or revoked.", "invalid_token")
    g.api_user = user


def record_token_use(response):
    """After a read, the token's use mark is committed on its own; a write commits it
    with its use case (or not at all, when the write failed): one commit per request."""
    if request.method in SAFE_METHODS:
        commit_token_use()
    return response


def actor():
    """The caller: a user, or an anonymous visitor."""
    return g.api_user


def require_user():
    """The caller, who must have sent a valid token."""
    user = g.api_user
    if not user.is_authenticated:
        raise TokenRefused("This needs a token: 'Authorization: Bearer <token>'.")
    return user
