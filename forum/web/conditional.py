"""Pages a shared cache may keep: a public course's pages as a visitor without a session
sees them, with an ETag, a short `Cache-Control: public` and 304 for `If-None-Match`.

Such a page is the same for every visitor who sends no session cookie: nobody's name,
no unread marks, no flashed message, no held comment of their own, and no CSRF token
(a form that needs one fetches it when the visitor starts writing: static/guest-form.js).
Everyone else (signed in, or with a session of any kind) gets their own page with
`no-store`, as before. `Vary: Cookie` tells a proxy that the answer holds only for
requests without cookies like the one it kept.
"""

from __future__ import annotations

import hashlib

from flask import Response, current_app, request, session
from flask_login import current_user

from forum.models import Course

SHARED_PREFIX = "s-"  # the ETags of shared pages; no other page sends one of these


def is_shared(course: Course) -> bool:
    """Whether this request's page of the course is the one every cookieless visitor
    gets: a GET of a public course's page by a visitor with no session at all."""
    return (request.method in ("GET", "HEAD") and course.is_public
            and not current_user.is_authenticated
            and current_app.config["SESSION_COOKIE_NAME"] not in request.cookies
            and not session)


def etag_of(*facts) -> str:
    """A strong ETag from the version stamps of what a page shows."""
    return SHARED_PREFIX + hashlib.sha256(repr(facts).encode()).hexdigest()[:32]


def not_modified(etag: str) -> Response | None:
    """The 304 answer when the request already holds the page with this ETag; None
    when the page must be sent."""
    if etag not in request.if_none_match:
        return None
    response = Response(status=304)
    _shared_headers(response, etag)
    return response


def share(page, etag: str | None = None) -> Response:
    """The rendered page as a shared one: with the given ETag (from version stamps) or
    one of its bytes, public for a short while, and 304 if the request already holds
    it. A page whose rendering wrote to the session (a CSRF token, a flashed message)
    belongs to this visitor alone and is returned as it is."""
    response = current_app.make_response(page)
    if session.modified or response.status_code != 200:
        return response
    _shared_headers(response, etag)
    return response.make_conditional(request)


def _shared_headers(response: Response, etag: str | None) -> None:
    if etag is None:
        response.add_etag()  # a digest of the page's bytes
    else:
        response.set_etag(etag)
    response.cache_control.public = True
    response.cache_control.max_age = current_app.config["FORUM_PUBLIC_MAX_AGE"]
    response.vary.add("Cookie")
