"""Calls from the tool to a platform's LTI services (Names and Roles, Assignment and
Grade Services) with pylti1p3: an OAuth2 token got with a client assertion signed by
the tool's current key, then the service request. No database writes; every request
has a deadline."""

from __future__ import annotations

import json
from dataclasses import dataclass

import requests
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.grade import Grade as LtiGrade
from pylti1p3.lineitem import LineItem
from pylti1p3.names_roles import NamesRolesProvisioningService
from pylti1p3.registration import Registration
from pylti1p3.service_connector import ServiceConnector

from forum.models import LtiPlatform
from forum.services.lti_keys import signing_key

# Seconds a platform has to answer one request: a silent one must not hold the worker.
SERVICE_TIMEOUT = 15
# Pages of a roster read at most (a platform's next link going round in circles).
MAX_ROSTER_PAGES = 200

NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
AGS_SCOPES = ["https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
              "https://purl.imsglobal.org/spec/lti-ags/scope/score"]


class PlatformError(Exception):
    """The platform refused or did not answer; `status` is its HTTP status, if any."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class _Registration(Registration):
    """pylti1p3 names the signing key by its thumbprint; ours has its own kid, the one
    /lti/jwks publishes."""

    kid: str | None = None

    def get_kid(self):
        return self.kid


class _Session(requests.Session):
    last_status: int | None = None

    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", SERVICE_TIMEOUT)
        response = super().request(*args, **kwargs)
        self.last_status = response.status_code
        return response


@dataclass(frozen=True)
class Credentials:
    """What a call to a platform needs, read from the database beforehand (so that no
    transaction stays open while the platform answers)."""

    issuer: str
    client_id: str
    token_url: str
    kid: str
    private_key_pem: str


def credentials(platform: LtiPlatform) -> Credentials:
    """The platform's registration and the tool's current signing key. Raises
    PlatformError."""
    key = signing_key()
    if key is None:
        raise PlatformError("The tool has no signing key yet (register a platform first).")
    return Credentials(platform.issuer, platform.client_id, platform.token_url, key.kid,
                       key.private_key_pem)


def _connector(creds: Credentials, session: _Session | None = None) -> ServiceConnector:
    registration = (_Registration().set_issuer(creds.issuer)
                    .set_client_id(creds.client_id).set_auth_token_url(creds.token_url)
                    .set_tool_private_key(creds.private_key_pem))
    registration.kid = creds.kid
    session = session or _Session()
    session.headers["User-Agent"] = "forum-lti-tool"
    return ServiceConnector(registration, requests_session=session)


def _calling(work):
    """Run one exchange with the platform; its failures as PlatformError."""
    try:
        return work()
    except LtiServiceException as error:
        answer = error.response.text[:300] if error.response is not None else ""
        raise PlatformError(answer or str(error), error.response.status_code) from error
    except (LtiException, requests.RequestException, ValueError, KeyError,
            TypeError) as error:
        raise PlatformError(f"{type(error).__name__}: {error}"[:300]) from error


@dataclass(frozen=True)
class Member:
    """One person of a platform's roster."""

    sub: str
    roles: list[str]
    status: str  # Active, Inactive, Deleted
    name: str
    given_name: str
    family_name: str
    email: str


def _member(raw: dict) -> Member | None:
    def text(value) -> str:
        return value if isinstance(value, str) else ""

    if not isinstance(raw, dict) or not text(raw.get("user_id")):
        return None
    roles = raw.get("roles")
    return Member(sub=raw["user_id"],
                  roles=[r for r in roles if isinstance(r, str)] if isinstance(roles, list)
                  else [], status=text(raw.get("status")) or "Active",
                  name=text(raw.get("name")), given_name=text(raw.get("given_name")),
                  family_name=text(raw.get("family_name")), email=text(raw.get("email")))


def fetch_roster(creds: Credentials, memberships_url: str) -> list[Member]:
    """Every member of the context, page after page (the Link header's next).
    Raises PlatformError."""
    service = NamesRolesProvisioningService(_connector(creds),
                                            {"context_memberships_url": memberships_url})

    def read() -> list[Member]:
        members, url, pages = [], memberships_url, 0
        while url:
            pages += 1
            if pages > MAX_ROSTER_PAGES:
                raise PlatformError(f"The roster has more than {MAX_ROSTER_PAGES} pages.")
            page, url = service.get_members_page(url)
            members.extend(m for m in map(_member, page) if m is not None)
        return members
    return _calling(read)


def _grades_service(creds: Credentials, lineitems_url: str | None, lineitem_url: str | None,
                    session: _Session | None = None) -> AssignmentsGradesService:
    return AssignmentsGradesService(_connector(creds, session), {
        "scope": AGS_SCOPES, "lineitems": lineitems_url or "", "lineitem": lineitem_url or ""})


def find_or_create_line_item(creds: Credentials, lineitems_url: str, *, label: str,
                             score_maximum: float, resource_link_id: str, tag: str) -> str:
    """The URL of the context's line item for the link (found by resource link id,
    created if there is none). Raises PlatformError."""
    service = _grades_service(creds, lineitems_url, None)
    wanted = (LineItem().set_label(label).set_score_maximum(score_maximum)
              .set_resource_link_id(resource_link_id).set_tag(tag))
    found = _calling(lambda: service.find_or_create_lineitem(wanted,
                                                             find_by="resource_link_id"))
    if not found.get_id():
        raise PlatformError("The platform's line item has no id.")
    return found.get_id()


LINE_ITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"


def update_line_item(creds: Credentials, lineitem_url: str, *, label: str,
                     score_maximum: float, resource_link_id: str, tag: str) -> None:
    """PUT the line item's label and points (pylti1p3 has no update of its own: the
    request goes with a token its connector gets). Raises PlatformError."""
    session = _Session()
    connector = _connector(creds, session)
    body = {"id": lineitem_url, "label": label, "scoreMaximum": score_maximum,
            "resourceLinkId": resource_link_id, "tag": tag}

    def put() -> None:
        token = connector.get_access_token(AGS_SCOPES[:1])
        response = session.put(lineitem_url, data=json.dumps(body), headers={
            "Authorization": f"Bearer {token}", "Content-Type": LINE_ITEM_TYPE,
            "Accept": LINE_ITEM_TYPE})
        if not response.ok:
            raise PlatformError(response.text[:300] or response.reason, response.status_code)
    _calling(put)


@dataclass(frozen=True)
class Score:
    user_sub: str
    score_given: float | None
    score_maximum: float
    comment: str
    timestamp: str  # ISO 8601 with its offset


def send_score(creds: Credentials, lineitem_url: str, score: Score) -> tuple[int, str]:
    """POST the score to the line item's scores; returns the platform's status and the
    start of its answer. Raises PlatformError."""
    session = _Session()
    service = _grades_service(creds, None, lineitem_url, session)

    def post() -> dict:
        grade = (LtiGrade().set_score_maximum(score.score_maximum)
                 .set_activity_progress("Completed").set_grading_progress("FullyGraded")
                 .set_timestamp(score.timestamp).set_user_id(score.user_sub)
                 .set_comment(score.comment))
        if score.score_given is not None:
            grade.set_score_given(score.score_given)
        return service.put_grade(grade)
    answer = _calling(post)
    body = answer.get("body")
    status = session.last_status or 200
    return status, ("" if body is None else str(body))[:300]
