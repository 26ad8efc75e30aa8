"""The LMS's side of the door: OIDC login initiation, the launch (of a resource link,
or a deep linking request: forum/lti/deep_linking.py), the tool's key set, and the page
where an instructor chooses what a new link opens."""

from __future__ import annotations

from flask import current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user
from pylti1p3.contrib.flask import FlaskMessageLaunch, FlaskOIDCLogin, FlaskRequest
from pylti1p3.exception import LtiException, OIDCException

from forum.errors import Invalid
from forum.extensions import client_address, limiter
from forum.limits import lti_limit
from forum.lti import deep_linking
from forum.lti.blueprint import bp
from forum.lti.tool import DatabaseToolConf, NonceStore, TimedSession
from forum.models import Role
from forum.services import lti, lti_keys
from forum.transactions import WRITE, unit_of_work
from forum.web.handlers import error_page

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
# What pylti1p3 says when the browser did not bring back the login's state cookie.
_STATE_PROBLEMS = ("Missing state param", "State not found")
_MALFORMED = (LtiException, OIDCException, TypeError, ValueError, AttributeError, KeyError)
# What pylti1p3 says of a deep linking request the forum cannot answer, and what we say.
_DEEP_LINKING_PROBLEMS = {
    "Missing Deep Linking Settings": "Your LMS sent no deep linking settings with this "
    "request, so the forum cannot tell it what you choose.",
    "Must support resource link placement types": "This place in your LMS does not "
    "accept LTI links (ltiResourceLink), the only content the forum adds. Add the forum "
    "from a placement such as Link Selection or Assignment Selection.",
    "Must support a presentation type": "Your LMS's request names no way to show what "
    "is added (accept_presentation_document_targets), so nothing can be added from here.",
}


def _refused(error: Exception, during: str):
    reason = str(error) or type(error).__name__
    current_app.logger.info("LTI %s refused: %s", during, reason.replace("\n", " ")[:300])
    if reason in _STATE_PROBLEMS:
        return error_page(400, "The launch could not be matched to the login that started "
                          "it in this browser (its state cookie is missing). Open the link "
                          "from your LMS again; if it opens inside the LMS page, set the "
                          "tool to open in a new window.")
    if reason in _DEEP_LINKING_PROBLEMS:
        return error_page(403, _DEEP_LINKING_PROBLEMS[reason])
    if reason == "Invalid Nonce":
        return error_page(403, "This launch was already used, or its login expired, or "
                          "the forum never started it (Invalid Nonce). Open the link from "
                          "your course in the LMS again.")
    return error_page(403, f"The forum could not verify this {during} from your LMS "
                      f"({reason}). Open the link from your course in the LMS again, or "
                      "ask the forum's administrator to check the LMS registration.")


# Logins and launches each cost a database write (a nonce, an account) and a launch a
# key set fetch: counted per address, generously, as a class may share a campus NAT.
_limited = limiter.limit(lti_limit, key_func=client_address)


@bp.route("/lti/login", methods=["GET", "POST"])
@_limited
def login():
    """OIDC third-party login initiation: send the browser to the platform's auth URL
    with a state (also set as a cookie) and a nonce (kept in the database)."""
    lti_request = FlaskRequest()
    store = NonceStore(lti_request)
    oidc = FlaskOIDCLogin(lti_request, DatabaseToolConf(), session_service=store)
    try:
        to_platform = oidc.get_redirect_object(url_for("lti.launch", _external=True))
    except _MALFORMED as error:
        return _refused(error, "login")
    platform = lti.find_platform(oidc.get_iss(), oidc.get_client_id())
    with unit_of_work(WRITE):  # a GET too: the login must leave its nonce behind
        lti.record_login(platform, store.issued)
    return to_platform.do_redirect()


def claims_from(body: dict) -> lti.LaunchClaims:
    """The forum's reading of a verified id_token."""
    def text(value) -> str:
        return value if isinstance(value, str) else ""

    context = body.get(f"{CLAIM}context") or {}
    link = body.get(f"{CLAIM}resource_link") or {}
    context = context if isinstance(context, dict) else {}
    link = link if isinstance(link, dict) else {}
    names_roles = body.get(NRPS_CLAIM)
    names_roles = names_roles if isinstance(names_roles, dict) else {}
    grades = body.get(AGS_CLAIM)
    grades = grades if isinstance(grades, dict) else {}
    audience = body.get("aud")
    roles = body.get(f"{CLAIM}roles") or []
    custom = body.get(f"{CLAIM}custom")
    custom = custom if isinstance(custom, dict) else {}
    return lti.LaunchClaims(
        issuer=text(body.get("iss")),
        client_id=text(audience[0] if isinstance(audience, list) and audience else audience),
        deployment_id=text(body.get(f"{CLAIM}deployment_id")),
        nonce=text(body.get("nonce")),
        message_type=text(body.get(f"{CLAIM}message_type")),
        sub=text(body.get("sub")),
        roles=[role for role in roles if isinstance(role, str)] if isinstance(roles, list) else [],
        name=text(body.get("name")), given_name=text(body.get("given_name")),
        family_name=text(body.get("family_name")), email=text(body.get("email")),
        context_id=text(context.get("id")), context_title=text(context.get("title")),
        context_label=text(context.get("label")),
        resource_link_id=text(link.get("id")), resource_link_title=text(link.get("title")),
        memberships_url=text(names_roles.get("context_memberships_url")),
        lineitems_url=text(grades.get("lineitems")), lineitem_url=text(grades.get("lineitem")),
        custom={name: str(value) for name, value in custom.items() if isinstance(name, str)
                and isinstance(value, str | int) and not isinstance(value, bool)},
    )


@bp.post("/lti/launch")
@_limited
def launch():
    """The platform's form post of the id_token: verified by pylti1p3 (state cookie,
    nonce issued here, registration, signature against the platform's key set,
    deployment, message), then the launch use case signs the person in. A deep linking
    request then waits in the session for the instructor's choice."""
    lti_request = FlaskRequest()
    message = FlaskMessageLaunch(lti_request, DatabaseToolConf(),
                                 session_service=NonceStore(lti_request),
                                 requests_session=TimedSession())
    message.set_jwt_verify_options({"verify_aud": False, "require": ["exp", "iat"]})
    try:
        body = message.validate().get_launch_data()
    except _MALFORMED as error:
        return _refused(error, "launch")
    claims = claims_from(body)
    settings = None
    if claims.message_type == lti.DEEP_LINKING_REQUEST:
        settings = deep_linking.settings_of(body)  # LaunchRefused, before any write
    launched = lti.launch(claims)  # LaunchRefused: a 403 page
    session.clear()  # a fresh session, as a login with a password starts
    login_user(launched.user)
    current_app.logger.info("LTI %s: user %s as %s in course %s", claims.message_type,
                            launched.user.id, launched.role.value, launched.course.id)
    if settings is not None:
        return redirect(deep_linking.keep_request(launched, claims, settings))
    if launched.discussion is not None:
        return redirect(url_for("discussions.show", discussion_id=launched.discussion.id))
    if launched.role is Role.INSTRUCTOR:
        return redirect(url_for("lti.set_up_link", link_id=launched.link.id))
    return render_template("lti/not_ready.html", course=launched.course, link=launched.link)


@bp.get("/lti/jwks")
def jwks():
    """The tool's public keys: the one it signs with and the next one."""
    response = jsonify(lti_keys.key_set())
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.route("/lti/links/<id:link_id>", methods=["GET", "POST"])
@login_required
def set_up_link(link_id: int):
    """An instructor chooses the discussion a new LMS link opens, or starts one."""
    link = lti.get_link(current_user, link_id)
    lti.authorize_set_up_link(current_user, link)
    problems: list[str] = []
    status = 200
    if request.method == "POST":
        chosen = request.form.get("discussion_id", "")
        try:
            if request.form.get("action") == "create":
                discussion = lti.set_up_link(current_user, link,
                                             new_title=request.form.get("title"))
            else:
                discussion = lti.set_up_link(
                    current_user, link,
                    discussion_id=int(chosen) if chosen.isascii() and chosen.isdigit()
                    and len(chosen) < 10 else 0)
        except Invalid as error:
            problems = [message for messages in error.errors.values() for message in messages]
            status = 422
        else:
            flash(f"The LMS link now opens “{discussion.title}”.", "success")
            return redirect(url_for("discussions.show", discussion_id=discussion.id))
    course = link.context.course
    return render_template("lti/set_up_link.html", link=link, course=course,
                           discussions=course.discussions, problems=problems,
                           title=request.form.get("title", link.title)), status
