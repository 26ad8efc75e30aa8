"""Deep linking, the door's side: after a verified LtiDeepLinkingRequest signed the
instructor in, the request waits in their session; the page offers the course's
discussions, and its answer is a form that posts the signed response to the LMS."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import render_template, request, session, url_for
from flask_login import current_user, login_required

from forum.errors import Invalid
from forum.lti.blueprint import bp
from forum.services import lti, lti_deep_linking
from forum.services.lti_deep_linking import DeepLinkRequest, DeepLinkSettings
from forum.web.handlers import error_page

SETTINGS_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
# The session's key for the request waiting for the instructor's choice (one at a time:
# each launch starts a fresh session).
PENDING = "lti_deep_link"
NEW = "new"  # the choice of a new discussion among the discussions' ids


def settings_of(body: dict) -> DeepLinkSettings:
    """The request's deep linking settings, checked before the launch writes anything.
    Raises LaunchRefused."""
    return lti_deep_linking.read_settings(body.get(SETTINGS_CLAIM))


def keep_request(launched: lti.Launched, claims: lti.LaunchClaims,
                 settings: DeepLinkSettings):
    """Keep the request in the (signed) session of the person the launch signed in, and
    send them to the page where they choose."""
    token = secrets.token_urlsafe(12)
    session[PENDING] = DeepLinkRequest(
        token=token, user_id=launched.user.id, course_id=launched.course.id,
        issuer=claims.issuer, client_id=claims.client_id,
        deployment_id=claims.deployment_id, return_url=settings.return_url,
        accept_multiple=settings.accept_multiple, accept_lineitem=settings.accept_lineitem,
        in_window=settings.in_window, data=settings.data).as_dict()
    return url_for("lti.deep_linking", token=token)


def _waiting(token: str) -> DeepLinkRequest | None:
    kept = DeepLinkRequest.from_dict(session.get(PENDING))
    if kept is None or not secrets.compare_digest(kept.token, token):
        return None
    return kept


def _points(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text  # the use case says it is not a number


@bp.route("/lti/deep-linking/<token>", methods=["GET", "POST"])
@login_required
def deep_linking(token: str):
    """The instructor picks discussions of the course (or starts one) to add to the
    LMS; the answer is posted to the LMS by the browser."""
    waiting = _waiting(token)
    if waiting is None:
        return error_page(404, "This request from your LMS is no longer open here (it was "
                          "answered, or a later launch replaced it). Start again from "
                          "your LMS course.")
    course = lti_deep_linking.course_to_place(current_user, waiting)
    problems: list[str] = []
    if request.method == "POST":
        chosen = request.form.getlist("discussion_id")
        new = NEW in chosen
        try:
            answer = lti_deep_linking.place_discussions(
                current_user, waiting, launch_url=url_for("lti.launch", _external=True),
                discussion_ids=[int(value) for value in chosen if value.isascii()
                                and value.isdigit() and len(value) < 10],
                new_title=request.form.get("title", "") if new else None,
                new_points=_points(request.form.get("points_possible", "")) if new else None)
        except Invalid as error:
            problems = [message for messages in error.errors.values() for message in messages]
        else:
            session.pop(PENDING, None)  # one answer per request
            return _answer(answer)
    return render_template("lti/deep_linking.html", course=course, waiting=waiting,
                           discussions=course.discussions, problems=problems,
                           form=request.form), 422 if problems else 200


def _answer(answer: lti_deep_linking.DeepLinkResponse):
    """A form that posts the signed response to the LMS: sent by static/lti-answer.js,
    or by its button without JavaScript. The page's policy lets that one form leave."""
    target = urlsplit(answer.return_url)
    body = render_template("lti/deep_linking_answer.html", answer=answer)
    policy = ("default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; "
              "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
              f"form-action 'self' {target.scheme}://{target.netloc}")
    return body, 200, {"Content-Security-Policy": policy}
