"""Names and Roles Provisioning: a course's roster read from its LMS context. Members
get accounts (by platform and `sub`, as launches make them) and the role the LMS gives;
people of that platform the LMS no longer lists leave the course (their work stays)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import or_, select

from forum.errors import NotFound
from forum.extensions import db
from forum.models import Course, Enrollment, LtiContext, LtiPlatform, LtiUser, utcnow
from forum.models.courses import people_changed
from forum.services import lti
from forum.services.lti_connect import Member, credentials, fetch_roster
from forum.transactions import writes

# How often the worker's sweep reads each context's roster again (a new context: at
# once, so the first launch's course fills within a minute).
ROSTER_EVERY = timedelta(hours=6)
ACTIVE = "Active"


@dataclass
class RosterSync:
    """What a sync did, for the command's output and the worker's log."""

    course_code: str
    members: int = 0
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    ignored: int = 0  # inactive, or no role here


def context_of_course(code: str) -> LtiContext:
    """The LMS context a course came from, with a memberships URL. Raises NotFound."""
    context = db.session.scalar(
        select(LtiContext).join(Course, Course.id == LtiContext.course_id)
        .where(Course.code == code).order_by(LtiContext.id))
    if context is None:
        raise NotFound(f"No course {code!r} came from an LMS.")
    if not context.memberships_url:
        raise NotFound(f"The LMS has not offered {code!r}'s roster (no Names and Roles "
                       "claim in a launch yet).")
    return context


def contexts_due() -> list[int]:
    """Contexts whose roster was never read, or not for a while."""
    return list(db.session.scalars(select(LtiContext.id).where(
        LtiContext.memberships_url.is_not(None),
        or_(LtiContext.roster_synced_at.is_(None),
            LtiContext.roster_synced_at < utcnow() - ROSTER_EVERY)).order_by(LtiContext.id)))


def sync_roster(context_id: int) -> RosterSync:
    """Read the context's roster from its platform, then apply it in one commit.
    Raises NotFound, PlatformError."""
    context = db.session.get(LtiContext, context_id)
    if context is None or not context.memberships_url:
        raise NotFound("No LMS roster for this context.")
    creds = credentials(db.session.get(LtiPlatform, context.platform_id))
    url = context.memberships_url
    db.session.rollback()  # no transaction held open while the platform answers
    members = fetch_roster(creds, url)
    return apply_roster(context_id, members)


@writes
def apply_roster(context_id: int, members: list[Member]) -> RosterSync:
    """Enroll the active members with a role here (accounts made as a launch makes
    them), change roles the LMS changed, and take out of the course the people of this
    platform it no longer lists as active. An empty roster removes nobody (a platform's
    glitch must not empty a course)."""
    context = db.session.get(LtiContext, context_id)
    platform = db.session.get(LtiPlatform, context.platform_id)
    course = context.course
    done = RosterSync(course.code, members=len(members))
    enrolled = {e.user_id: e for e in db.session.scalars(
        select(Enrollment).where(Enrollment.course_id == course.id))}
    kept: set[int] = set()
    for member in members:
        role = lti.role_from_lti(member.roles)
        if member.status != ACTIVE or role is None:
            done.ignored += 1
            continue
        user, _linked = lti.provision(platform, member.sub, lti.person_name(
            member.name, member.given_name, member.family_name), member.email)
        if user.is_disabled:
            done.ignored += 1
            continue
        db.session.flush()
        kept.add(user.id)
        enrollment = enrolled.get(user.id)
        if enrollment is None:
            done.added.append(user.display_name)
        elif enrollment.role is not role:
            done.changed.append(f"{user.display_name}: {enrollment.role.value} → {role.value}")
        lti.enroll(user, course, role)
    if members:
        # Only people linked to this platform: members added by hand stay.
        from_platform = set(db.session.scalars(select(LtiUser.user_id).where(
            LtiUser.platform_id == platform.id, LtiUser.user_id.in_(list(enrolled)))))
        for user_id in sorted(from_platform - kept):
            enrollment = enrolled[user_id]
            done.removed.append(enrollment.user.display_name)
            db.session.delete(enrollment)
        if done.removed:
            db.session.execute(people_changed(course.id))
    context.roster_synced_at = utcnow()
    db.session.commit()
    return done
