"""Error pages: friendly HTML for every failure, no traceback ever shown."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from forum import errors, outages
from forum.extensions import db
from forum.web.auth import SESSION_ENDED, form_page, needs_login

TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed here",
    409: "Conflict",
    413: "Too large",
    422: "Please check what you sent",
    429: "Slow down",
    500: "Something broke",
    503: "Back soon",
}
MESSAGES = {
    404: "There is no page at this address.",
    413: "What you sent is too large.",
    429: "Too many attempts in a short time. Wait a minute and try again.",
}


def error_page(status: int, message: str, headers=None, problems: list[str] = ()):
    body = render_template("errors/error.html", status=status,
                           title=TITLES.get(status, "Error"), message=message,
                           problems=problems)
    return body, status, headers or {}


def not_found(error: errors.NotFound):
    if not current_user.is_authenticated:
        # Private content may exist behind a login: ask for one rather than say "no".
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    return error_page(404, error.message)


def forbidden(error: errors.PermissionDenied):
    current_app.logger.info("denied %s %s to user %s", request.method, request.path,
                            getattr(current_user, "id", None))
    return error_page(403, error.message)


def invalid(error: errors.Invalid):
    """A view that let the service's field errors through: nothing was saved, so say
    what was wrong (422), or that it clashes with what is stored (409)."""
    db.session.rollback()
    problems = [message for messages in error.errors.values() for message in messages]
    return error_page(409 if error.conflict else 422,
                      f"Nothing was saved. {error.message}", problems=problems)


def conflict(error: errors.Conflict):
    db.session.rollback()
    return error_page(409, f"Nothing was saved. {error.message}")


FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


def _form_sent() -> bool:
    """A page's form was sent (not a script's JSON, such as a preview's)."""
    return request.method == "POST" and request.mimetype in FORM_TYPES


def form_refused(status: int, message: str, headers=None):
    """A form that could not be taken: why, that what was written is kept in this
    browser (static/compose.js keeps every form's text as it is typed), and the way
    back to the page that showed the form, where it is offered back."""
    body = render_template("errors/form_refused.html", status=status,
                           title=TITLES.get(status, "Error"), message=message,
                           kept="body" in request.form, back=form_page())
    return body, status, headers or {}


def csrf_failed(_error: CSRFError):
    if _form_sent() and not current_user.is_authenticated:
        # The session ended (a closed browser, a logout in another tab): its token went
        # with it. Nothing was sent; take the writer back through the login if needed.
        if needs_login(request.endpoint):
            flash(SESSION_ENDED if "body" in request.form else
                  "Your session ended before this was sent, so nothing was changed. Log "
                  "in and try again.", "info")
            return redirect(url_for("auth.login", next=form_page()))
        flash("This page had expired, so nothing was sent. "
              + ("What you wrote is kept in this browser: check it and send it again."
                 if "body" in request.form else "Please try again."), "info")
        return redirect(form_page())
    message = ("This form expired or did not come from this site, so nothing was changed. "
               "Go back, reload the page and try again.")
    if _form_sent():
        return form_refused(400, message)
    return error_page(400, message)


def http_error(error: HTTPException):
    if error.response is not None:  # a page of its own, such as a form shown again (429)
        return error.response
    code = error.code or 500
    if code == 429 and _form_sent():
        return form_refused(429, "Too many attempts in a short time, so nothing was sent. "
                                 "Wait a minute and try again.", error.get_headers())
    return error_page(code, MESSAGES.get(code, error.description), error.get_headers())


def database_down(error: Exception):
    db.session.rollback()
    wait = outages.database_unavailable(error, current_app.logger, request.path)
    # Rendered without context processors: Flask-Login's would ask the database again.
    page = current_app.jinja_env.get_template("errors/outage.html").render()
    return page, 503, {"Retry-After": str(wait)}


def unexpected(_error: Exception):
    db.session.rollback()
    current_app.logger.exception("unhandled error on %s", request.path)
    return error_page(500, "Something went wrong on our side. It has been logged.")


HANDLERS = {
    HTTPException: http_error,
    CSRFError: csrf_failed,
    errors.NotFound: not_found,
    errors.PermissionDenied: forbidden,
    errors.Invalid: invalid,
    errors.Conflict: conflict,
}
