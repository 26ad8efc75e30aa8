"""LTI Deep Linking: an instructor places forum discussions in their LMS course. The
request's settings read and checked, the request kept (by the door) between the launch
and the choice, and the signed LtiDeepLinkingResponse that answers the platform."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem
from pylti1p3.registration import Registration

from forum.access import Actor
from forum.access.lti import can_set_up_lti_link
from forum.errors import NotFound, PermissionDenied
from forum.extensions import db
from forum.models import Course, Discussion, LtiKey, LtiPlatform
from forum.models.limits import TITLE_MAX, URL_MAX
from forum.services.discussions import authorize_create_discussion
from forum.services.lti import CUSTOM_DISCUSSION, LaunchRefused, find_platform
from forum.services.lti_keys import signing_key
from forum.services.validation import clean_points, clean_text, collecting_errors
from forum.transactions import writes

RESOURCE_LINK = "ltiResourceLink"
DATA_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/data"
# The request waits in the session cookie (about 4 kB in all): a platform's `data` is
# an opaque token of a few hundred characters.
DATA_MAX = 2000
# The return URL's host and port: the answer page's policy names it (form-action).
_HOST = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")


@dataclass(frozen=True)
class DeepLinkRequest:
    """A verified deep linking request, as kept between the launch and the choice:
    who asked, from which platform and course, and what the platform accepts back."""

    token: str  # names this request in the page's address
    user_id: int
    course_id: int
    issuer: str
    client_id: str
    deployment_id: str
    return_url: str
    accept_multiple: bool
    accept_lineitem: bool
    in_window: bool  # the platform may open the placed link in a new window
    data: object = None  # echoed to the platform as it came (None: it sent none)

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, kept: object) -> DeepLinkRequest | None:
        """The request as the session kept it; None for anything else."""
        try:
            return cls(**kept) if isinstance(kept, dict) else None
        except TypeError:
            return None


@dataclass(frozen=True)
class DeepLinkSettings:
    """The platform's `deep_linking_settings` claim, checked."""

    return_url: str
    accept_multiple: bool
    accept_lineitem: bool
    in_window: bool
    data: object = None


def _flag(value, default: bool) -> bool:
    if value is None:
        return default
    return value is True or value == "true"


def _return_url(url: object) -> bool:
    """An http(s) URL with a plain host (no user info), storable."""
    if not isinstance(url, str) or len(url) > URL_MAX or any(c.isspace() for c in url):
        return False
    parts = urlsplit(url)
    return parts.scheme in ("https", "http") and bool(_HOST.fullmatch(parts.netloc))


def read_settings(raw: object) -> DeepLinkSettings:
    """The deep linking settings of a request, or LaunchRefused saying what the forum
    cannot do with them: no return URL, no LTI links accepted, `data` too large."""
    if not isinstance(raw, dict):
        raise LaunchRefused("Your LMS sent no deep linking settings with this request.")
    return_url = raw.get("deep_link_return_url")
    if not _return_url(return_url):
        raise LaunchRefused("Your LMS did not say where to send the discussions you choose "
                            "(its request has no usable deep_link_return_url), so nothing can be "
                            "added from here. Ask the LMS's administrator to check the "
                            "tool's placement.")
    accepted = raw.get("accept_types")
    if not isinstance(accepted, list) or RESOURCE_LINK not in accepted:
        raise LaunchRefused("This place in your LMS does not accept LTI links "
                            "(ltiResourceLink), the only content the forum adds. Add the "
                            "forum from a placement such as Link Selection or Assignment "
                            "Selection.")
    data = raw.get("data")
    if len(json.dumps(data)) > DATA_MAX:
        raise LaunchRefused("Your LMS sent more request data than the forum can keep.")
    targets = raw.get("accept_presentation_document_targets")
    return DeepLinkSettings(
        return_url=return_url, accept_multiple=_flag(raw.get("accept_multiple"), False),
        accept_lineitem=_flag(raw.get("accept_lineitem"), True),
        in_window=isinstance(targets, list) and "window" in targets, data=data)


def course_to_place(actor: Actor, request: DeepLinkRequest) -> Course:
    """The course whose discussions the request places (the actor's own request, and
    they may choose what its links open). Raises NotFound, PermissionDenied."""
    course = db.session.get(Course, request.course_id)
    if course is None or request.user_id != actor.id:
        raise NotFound("This request from your LMS is not open here.")
    if not can_set_up_lti_link(actor, course):
        raise PermissionDenied("Only the course's instructors add its discussions to the LMS.")
    return course


@dataclass(frozen=True)
class DeepLinkResponse:
    """What goes back to the platform: a form post of `jwt` to `return_url`."""

    return_url: str
    jwt: str
    placed: list[Discussion]


@writes
def place_discussions(actor: Actor, request: DeepLinkRequest, *, launch_url: str,
                      discussion_ids: list[int], new_title: str | None = None,
                      new_points: float | str | None = None) -> DeepLinkResponse:
    """Answer the deep linking request with the chosen discussions of its course, and a
    new one when `new_title` is given (created here, worth `new_points`): an
    LtiDeepLinkingResponse signed by the tool's current key, for the door to post to
    the platform. Raises NotFound, PermissionDenied, Invalid."""
    course = course_to_place(actor, request)
    platform = find_platform(request.issuer, request.client_id)
    key = signing_key()
    if platform is None or key is None:
        raise PermissionDenied("This LMS is no longer registered with the forum.")
    if new_title is not None:
        authorize_create_discussion(actor, course)
    in_course = {discussion.id: discussion for discussion in course.discussions}
    with collecting_errors() as errors:
        chosen = [in_course.get(number) for number in dict.fromkeys(discussion_ids)]
        if None in chosen:
            errors.add("discussion_id", "Choose discussions of this course.")
        if new_title is not None:
            new_title = clean_text(errors, "title", new_title, max_length=TITLE_MAX,
                                   label="Title of the new discussion")
            new_points = clean_points(errors, "points_possible",
                                      0 if new_points in (None, "") else new_points)
        count = len(chosen) + (new_title is not None)
        if count == 0:
            errors.add("discussion_id", "Choose a discussion, or a new one with its title.")
        elif count > 1 and not request.accept_multiple:
            errors.add("discussion_id", "Your LMS takes one item here: choose one "
                       "discussion, or only a new one.")
    if new_title is not None:
        created = Discussion(course=course, created_by_id=actor.id, title=new_title,
                             points_possible=new_points)
        db.session.add(created)
        db.session.flush()
        chosen.append(created)
    jwt = _response_jwt(platform, key, request, [
        _content_item(discussion, request, launch_url) for discussion in chosen])
    db.session.commit()
    return DeepLinkResponse(return_url=request.return_url, jwt=jwt, placed=chosen)


class _ResourceLink(DeepLinkResource):
    """pylti1p3's content item, asking the platform to open it in a new window where it
    may: the forum refuses to be framed."""

    in_window = False

    def to_dict(self) -> dict:
        item = super().to_dict()
        if self.in_window:
            item["window"] = {"targetName": "_blank"}
        return item


def _content_item(discussion: Discussion, request: DeepLinkRequest,
                  launch_url: str) -> _ResourceLink:
    item = (_ResourceLink().set_title(discussion.title).set_url(launch_url)
            .set_custom_params({CUSTOM_DISCUSSION: str(discussion.id)}))
    item.in_window = request.in_window
    if discussion.points_possible and discussion.points_possible > 0 \
            and request.accept_lineitem:
        item.set_lineitem(LineItem().set_score_maximum(discussion.points_possible)
                          .set_label(discussion.title)
                          .set_resource_id(f"forum-discussion-{discussion.id}"))
    return item


class _Registration(Registration):
    """pylti1p3 names the signing key by its thumbprint; ours has its own kid, the one
    /lti/jwks publishes."""

    kid: str | None = None

    def get_kid(self):
        return self.kid


def _response_jwt(platform: LtiPlatform, key: LtiKey, request: DeepLinkRequest,
                  items: list[_ResourceLink]) -> str:
    """The LtiDeepLinkingResponse: iss the client id, aud the platform, signed RS256."""
    registration = (_Registration().set_issuer(platform.issuer)
                    .set_client_id(platform.client_id)
                    .set_tool_private_key(key.private_key_pem))
    registration.kid = key.kid
    deep_link = DeepLink(registration, request.deployment_id, {
        "deep_link_return_url": request.return_url, "data": request.data})
    message = deep_link.get_message_jwt(items)
    if request.data is None:
        message.pop(DATA_CLAIM)
    return deep_link.encode_jwt(message)
