"""Bearer tokens: who is calling. Cookies are never read here."""

from __future__ import annotations

from flask import g, request
from werkzeug.exceptions import Unauthorized, UnsupportedMediaType

from forum.models import Anonymous
from forum.services.tokens import user_for_token

CHALLENGE = 'Bearer realm="forum"'


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
    """A body that is not JSON is refused outright, never half-read."""
    if request.method in {"POST", "PATCH", "PUT"} and request.content_length \
            and not request.is_json:
        raise UnsupportedMediaType()


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


def actor():
    """The caller: a user, or an anonymous visitor."""
    return g.api_user


def require_user():
    """The caller, who must have sent a valid token."""
    user = g.api_user
    if not user.is_authenticated:
        raise TokenRefused("This needs a token: 'Authorization: Bearer <token>'.")
    return user
