"""LTI 1.3 use cases: registering platforms, OIDC login nonces, launches that sign a
person in and enroll them (resource links, and deep linking requests), and choosing the
discussion a link opens. The launch takes claims already verified by the door
(forum/lti/), as a plain LaunchClaims."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import generate_password_hash

from forum.access import Actor, can_view_course
from forum.access.lti import can_manage_lti, can_set_up_lti_link
from forum.errors import NotFound, PermissionDenied
from forum.extensions import db
from forum.models import (
    Course,
    Discussion,
    Enrollment,
    LtiContext,
    LtiDeployment,
    LtiNonce,
    LtiPlatform,
    LtiResourceLink,
    LtiUser,
    Role,
    User,
    Visibility,
    utcnow,
)
from forum.models.courses import people_changed
from forum.models.limits import COURSE_CODE_MAX, EMAIL_MAX, NAME_MAX, TITLE_MAX, URL_MAX
from forum.models.lti import LTI_ID_MAX
from forum.services.lti_keys import ensure_keys
from forum.services.validation import (
    clean_text,
    clean_url,
    collecting_errors,
    storable_copy,
)
from forum.transactions import writes

# How long a login's nonce waits for its launch (the platform answers within seconds).
NONCE_LIFETIME = timedelta(minutes=10)

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership"
RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"
# The custom parameter a deep-linked link carries: the discussion it was placed to open.
CUSTOM_DISCUSSION = "forum_discussion_id"
_TA_ROLES = {f"{MEMBERSHIP}/Instructor#TeachingAssistant", f"{MEMBERSHIP}#TeachingAssistant",
             "TeachingAssistant"}
_INSTRUCTOR_ROLES = {f"{MEMBERSHIP}#Instructor", "Instructor"}
_LEARNER_ROLES = {f"{MEMBERSHIP}#Learner", f"{MEMBERSHIP}/Learner#Learner", "Learner"}


class LaunchRefused(PermissionDenied):
    """A verified launch that may not go on (no course role this forum knows, say)."""


@dataclass(frozen=True)
class LaunchClaims:
    """What a verified id_token says, in the forum's terms."""

    issuer: str
    client_id: str
    deployment_id: str
    nonce: str
    message_type: str
    sub: str
    roles: list[str] = field(default_factory=list)
    name: str = ""
    given_name: str = ""
    family_name: str = ""
    email: str = ""
    context_id: str = ""
    context_title: str = ""
    context_label: str = ""
    resource_link_id: str = ""
    resource_link_title: str = ""
    # Services the platform offers in this context: its roster (Names and Roles) and
    # its gradebook's line items (Assignment and Grade Services; `lineitem_url` when the
    # link already has its own column there).
    memberships_url: str = ""
    lineitems_url: str = ""
    lineitem_url: str = ""
    # The link's custom parameters (`…/claim/custom`), as strings.
    custom: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Launched:
    """Where a launch leads: the person to sign in, their course and role, and the
    discussion the link opens (None until an instructor chooses one). A deep linking
    request has no link."""

    user: User
    course: Course
    role: Role
    link: LtiResourceLink | None
    discussion: Discussion | None


def role_from_lti(roles: list[str]) -> Role | None:
    """The course role for the LTI roles claim: a TA sub-role before Instructor (a
    sub-role narrows its role), then Instructor, then Learner; anything else: None."""
    given = set(roles)
    if given & _TA_ROLES:
        return Role.TA
    if given & _INSTRUCTOR_ROLES:
        return Role.INSTRUCTOR
    if given & _LEARNER_ROLES:
        return Role.STUDENT
    return None


# Platforms -----------------------------------------------------------------------


def _require_manager(actor: Actor) -> None:
    if not can_manage_lti(actor):
        raise PermissionDenied("Only site admins manage the LTI tool.")


def list_platforms(actor: Actor) -> list[LtiPlatform]:
    """Every registered platform, with its deployments. Raises PermissionDenied."""
    _require_manager(actor)
    return list(db.session.scalars(select(LtiPlatform).order_by(LtiPlatform.name)))


@writes
def register_platform(actor: Actor, *, name: str | None, issuer: str | None,
                      client_id: str | None, deployment_ids: list[str],
                      keyset_url: str | None, auth_url: str | None,
                      token_url: str | None) -> LtiPlatform:
    """Register an LMS (one issuer and client id) and its deployments; the tool gets its
    keys on the first registration. Raises PermissionDenied, Invalid."""
    _require_manager(actor)
    with collecting_errors() as errors:
        cleaned = {
            "name": clean_text(errors, "name", name, max_length=TITLE_MAX),
            "issuer": clean_text(errors, "issuer", issuer, max_length=LTI_ID_MAX),
            "client_id": clean_text(errors, "client_id", client_id, max_length=LTI_ID_MAX,
                                    label="Client ID"),
        }
        for name_, value in (("keyset_url", keyset_url), ("auth_url", auth_url),
                             ("token_url", token_url)):
            cleaned[name_] = clean_url(errors, name_, value)
            if not cleaned[name_] and name_ not in errors:
                errors.add(name_, "URL is required.")
        deployments = []
        for value in deployment_ids:
            deployment = clean_text(errors, "deployment_ids", value, max_length=LTI_ID_MAX,
                                    required=False, label="Deployment ID")
            if deployment and deployment not in deployments:
                deployments.append(deployment)
        if not deployments and "deployment_ids" not in errors:
            errors.add("deployment_ids", "At least one deployment ID is required.")
        if "issuer" not in errors and "client_id" not in errors and db.session.scalar(
                select(exists().where(LtiPlatform.issuer == cleaned["issuer"],
                                      LtiPlatform.client_id == cleaned["client_id"]))):
            errors.add_conflict("client_id", "This issuer and client ID are already registered.")
    platform = LtiPlatform(**cleaned, deployments=[
        LtiDeployment(deployment_id=deployment) for deployment in deployments])
    db.session.add(platform)
    ensure_keys()
    db.session.commit()
    return platform


def find_platform(issuer: str, client_id: str | None) -> LtiPlatform | None:
    """The registration a message names; without a client id (some platforms' logins),
    the issuer's only one."""
    query = select(LtiPlatform).where(LtiPlatform.issuer == issuer)
    if client_id:
        return db.session.scalar(query.where(LtiPlatform.client_id == client_id))
    platforms = db.session.scalars(query.limit(2)).all()
    return platforms[0] if len(platforms) == 1 else None


# Logins and their nonces ---------------------------------------------------------


@writes
def record_login(platform: LtiPlatform, nonce: str) -> None:
    """Keep the nonce an OIDC login sends to the platform, for its launch to bring back
    once. Old nonces are cleared on the way."""
    now = utcnow()
    db.session.execute(LtiNonce.__table__.delete().where(
        LtiNonce.issued_at < now - 6 * NONCE_LIFETIME))
    db.session.add(LtiNonce(nonce=nonce, platform_id=platform.id, issued_at=now))
    db.session.commit()


def nonce_is_pending(nonce: str) -> bool:
    """Whether this tool issued the nonce recently and no launch has used it yet."""
    return bool(db.session.scalar(select(exists().where(
        LtiNonce.nonce == nonce, LtiNonce.used_at.is_(None),
        LtiNonce.issued_at > utcnow() - NONCE_LIFETIME))))


def _use_nonce(platform: LtiPlatform, nonce: str) -> None:
    used = db.session.execute(
        update(LtiNonce).where(LtiNonce.nonce == nonce, LtiNonce.platform_id == platform.id,
                               LtiNonce.used_at.is_(None),
                               LtiNonce.issued_at > utcnow() - NONCE_LIFETIME)
        .values(used_at=utcnow()).execution_options(synchronize_session=False))
    if used.rowcount != 1:
        raise LaunchRefused("This launch was already used, or its login expired. "
                            "Open the link from your course in the LMS again.")


# Launches ------------------------------------------------------------------------


@writes
def launch(claims: LaunchClaims) -> Launched:
    """A verified launch: use its nonce, find or make the person's account (by the
    platform's user id, never by email), the course of its context and the enrollment
    in the role the LMS gives; for a resource link, the link too (a new one opens the
    discussion its custom parameter names, when that is one of the course's). A deep
    linking request is for the course's instructors only. Raises LaunchRefused."""
    if claims.message_type not in (RESOURCE_LINK_REQUEST, DEEP_LINKING_REQUEST):
        raise LaunchRefused("This forum opens links to discussions only; this kind of "
                            "LMS message is not supported yet.")
    role = role_from_lti(claims.roles)
    if role is None:
        raise LaunchRefused("Your role in this LMS course gives no access to its forum: "
                            "only instructors, teaching assistants and learners may enter.")
    if claims.message_type == DEEP_LINKING_REQUEST and role is not Role.INSTRUCTOR:
        raise LaunchRefused("Only the course's instructors add forum discussions to the "
                            "LMS course. Ask your instructor to place the discussion.")
    if not claims.context_id:
        raise LaunchRefused("This link is not placed in a course of the LMS.")
    platform = find_platform(claims.issuer, claims.client_id)
    if platform is None:
        raise LaunchRefused("This LMS is not registered with the forum.")
    for attempt in range(2):
        try:
            return _launch(platform, claims, role)
        except IntegrityError:
            # A launch of the same person or course committed first: read what it made.
            db.session.rollback()
            if attempt:
                raise
    raise AssertionError("unreachable")


def _launch(platform: LtiPlatform, claims: LaunchClaims, role: Role) -> Launched:
    _use_nonce(platform, claims.nonce)
    user = _person(platform, claims)
    if user.is_disabled:
        raise LaunchRefused("This account is disabled.")
    course = _course(platform, claims)
    enroll(user, course, role)
    context = db.session.scalar(select(LtiContext).where(
        LtiContext.platform_id == platform.id, LtiContext.context_id == claims.context_id))
    if _service_url(claims.memberships_url):
        context.memberships_url = claims.memberships_url
    if _service_url(claims.lineitems_url):
        context.lineitems_url = claims.lineitems_url
    link = None
    if claims.message_type == RESOURCE_LINK_REQUEST:
        link = _link(platform, context, claims)
    db.session.flush()
    discussion = link.discussion if link is not None else None
    db.session.commit()
    return Launched(user=user, course=course, role=role, link=link, discussion=discussion)


def _link(platform: LtiPlatform, context: LtiContext, claims: LaunchClaims) -> LtiResourceLink:
    link = db.session.scalar(select(LtiResourceLink).where(
        LtiResourceLink.platform_id == platform.id,
        LtiResourceLink.resource_link_id == claims.resource_link_id))
    if link is None:
        link = LtiResourceLink(platform_id=platform.id, resource_link_id=claims.resource_link_id,
                               context=context, title=_fit(claims.resource_link_title, TITLE_MAX))
        db.session.add(link)
    if _service_url(claims.lineitem_url):
        link.lineitem_url = claims.lineitem_url
    if link.discussion is None:
        link.discussion = _placed_discussion(claims, context.course)
    return link


def _placed_discussion(claims: LaunchClaims, course: Course) -> Discussion | None:
    """The discussion a deep-linked link was placed to open (its custom parameter), if
    it is one of the launch's course; anything else is ignored: an LMS course copied
    from another keeps the old course's ids."""
    wanted = claims.custom.get(CUSTOM_DISCUSSION, "").strip()
    if not (wanted.isascii() and wanted.isdigit() and len(wanted) < 10):
        return None
    discussion = db.session.get(Discussion, int(wanted))
    return discussion if discussion is not None and discussion.course_id == course.id else None


def _service_url(url: str) -> bool:
    """A service URL the tool will call with the platform's token: http(s), storable."""
    return bool(url) and len(url) <= URL_MAX and url.startswith(("https://", "http://")) \
        and url == storable_copy(url.strip())


def _fit(text: str, limit: int) -> str:
    return storable_copy((text or "").strip())[:limit]


def display_name(claims: LaunchClaims) -> str:
    return person_name(claims.name, claims.given_name, claims.family_name)


def person_name(name: str, given_name: str = "", family_name: str = "") -> str:
    """The display name of a platform's person: its name, or given and family names."""
    shown = _fit(name, NAME_MAX) or _fit(f"{given_name.strip()} {family_name.strip()}",
                                         NAME_MAX)
    return shown or "LMS user"


def _person(platform: LtiPlatform, claims: LaunchClaims) -> User:
    user, linked = provision(platform, claims.sub, display_name(claims), claims.email)
    linked.last_launch_at = utcnow()
    return user


def provision(platform: LtiPlatform, sub: str, name: str, email: str | None
              ) -> tuple[User, LtiUser]:
    """The account of a platform's person (its `sub`), made if new; the name and email
    the platform sends now are kept on the link (inside a use case that commits)."""
    email = _fit(email or "", EMAIL_MAX).lower() or None
    linked = db.session.scalar(select(LtiUser).where(
        LtiUser.platform_id == platform.id, LtiUser.sub == sub))
    if linked is not None:
        linked.name, linked.email = name, email
        return linked.user, linked
    # A new person of this platform: a new account, even where the email is already
    # someone's here (an LMS may send any address); the address goes to the account
    # only when nobody uses it.
    taken = email is None or db.session.scalar(select(exists().where(User.email == email)))
    digest = hashlib.sha256(f"{platform.id}:{sub}".encode()).hexdigest()[:20]
    user = User(email=f"lti-{digest}@lti.invalid" if taken else email, display_name=name,
                password_hash=generate_password_hash(secrets.token_urlsafe(32)))
    linked = LtiUser(platform_id=platform.id, sub=sub, user=user, name=name, email=email)
    db.session.add(linked)
    return user, linked


def _course_code(claims: LaunchClaims) -> str:
    base = re.sub(r"\s+", "-", _fit(claims.context_label or claims.context_title, 24)) or "LTI"
    code, number = base, 1
    while db.session.scalar(select(exists().where(Course.code == code))):
        number += 1
        code = f"{base}-{number}"[:COURSE_CODE_MAX]
    return code


def _course(platform: LtiPlatform, claims: LaunchClaims) -> Course:
    context = db.session.scalar(select(LtiContext).where(
        LtiContext.platform_id == platform.id, LtiContext.context_id == claims.context_id))
    title = _fit(claims.context_title or claims.context_label, TITLE_MAX) or "Course from the LMS"
    if context is not None:
        context.title = title
        return context.course
    course = Course(code=_course_code(claims), title=title, visibility=Visibility.PRIVATE)
    db.session.add(LtiContext(platform_id=platform.id, context_id=claims.context_id,
                              course=course, title=title))
    return course


def enroll(user: User, course: Course, role: Role) -> None:
    """The LMS says who the person is in its course: their role here follows it."""
    enrollment = None
    if user.id is not None and course.id is not None:
        enrollment = db.session.scalar(select(Enrollment).where(
            Enrollment.user_id == user.id, Enrollment.course_id == course.id))
    if enrollment is None:
        db.session.add(Enrollment(user=user, course=course, role=role))
    elif enrollment.role is not role:
        enrollment.role = role
    else:
        return
    db.session.flush()
    db.session.execute(people_changed(course.id))


# Choosing the discussion a link opens --------------------------------------------


def get_link(actor: Actor, link_id: int) -> LtiResourceLink:
    """A link of a course the actor may see. Raises NotFound."""
    link = db.session.get(LtiResourceLink, link_id)
    if link is None or not can_view_course(actor, link.context.course):
        raise NotFound("No such LMS link.")
    return link


def authorize_set_up_link(actor: Actor, link: LtiResourceLink) -> None:
    """Raises PermissionDenied unless the actor may choose the link's discussion."""
    if not can_set_up_lti_link(actor, link.context.course):
        raise PermissionDenied("Only the course's instructors choose what this link opens.")


@writes
def set_up_link(actor: Actor, link: LtiResourceLink, *, discussion_id: int | None = None,
                new_title: str | None = None) -> Discussion:
    """Make the link open an existing discussion of its course, or a new one titled
    `new_title`. Raises PermissionDenied, Invalid."""
    authorize_set_up_link(actor, link)
    course = link.context.course
    discussion = None
    with collecting_errors() as errors:
        if discussion_id is not None:
            discussion = db.session.get(Discussion, discussion_id)
            if discussion is None or discussion.course_id != course.id:
                errors.add("discussion_id", "Choose a discussion of this course.")
        else:
            title = clean_text(errors, "title", new_title, max_length=TITLE_MAX)
    if discussion is None:
        discussion = Discussion(course=course, created_by_id=actor.id, title=title)
        db.session.add(discussion)
    link.discussion = discussion
    db.session.commit()
    return discussion
