"""The HTML side: blueprints, session login, template helpers, headers, error pages."""

from __future__ import annotations

from flask import Flask
from flask_login import current_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, with_expression

from forum import access
from forum.extensions import db, login_manager
from forum.models import User
from forum.services.authors import byline
from forum.services.notifications import unread_count_expression
from forum.web import (
    archives,
    auth,
    courses,
    discussions,
    feeds,
    grading,
    guests,
    images,
    main,
    mentions,
    moderation,
    notifications,
    posts,
    preview,
    search,
)
from forum.web.templating import register_filters

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "img-src 'self' https: http:",
    "style-src 'self'",
    "script-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
])


# Built once: read on every request of a signed-in user.
_USER_WITH_COURSES = (select(User).where(User.id == bindparam("user_id"))
                      .options(joinedload(User.enrollments), with_expression(
                          User.unread_notifications, unread_count_expression(User.id)))
                      .execution_options(populate_existing=True))


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """Sessions name the user and their session epoch; a bumped epoch ends old sessions."""
    user_id, _, epoch = session_id.partition(".")
    if not (user_id.isdigit() and epoch.isdigit()):
        return None
    # With their courses, in one statement, even if the page loaded them first as an author.
    user = db.session.scalars(_USER_WITH_COURSES, {"user_id": int(user_id)}).unique() \
        .one_or_none()
    if user is None or user.is_disabled or user.session_epoch != int(epoch):
        return None
    return user


def register_web(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "info"
    login_manager.anonymous_user = guests.anonymous_visitor
    login_manager.session_protection = "basic"
    login_manager.unauthorized_handler(auth.ask_to_log_in)
    for module in (main, auth, courses, archives, discussions, posts, grading, guests,
                   moderation, preview, mentions, images, search, feeds, notifications):
        app.register_blueprint(module.bp)
    register_filters(app)

    app.jinja_env.globals["perm"] = access
    # Who wrote a post or reply in a list, as the viewer may be told (no pseudonym
    # numbers outside a thread).
    app.jinja_env.globals["author_of"] = lambda item, course: byline(
        current_user, item, course)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        return response
