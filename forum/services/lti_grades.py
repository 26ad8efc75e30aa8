"""Assignment and Grade Services: released grades of discussions linked from an LMS go
to its gradebook. Each released version of a grade becomes one LtiScorePassback (planned
by the worker after the release's commit, never twice), sent with its retries by the
worker; each try and the platform's answer are kept beside the grade's audit trail."""

from __future__ import annotations

import logging
from datetime import UTC, timedelta

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from forum.access import Actor
from forum.errors import Invalid, NotFound
from forum.extensions import db
from forum.models import (
    Discussion,
    Grade,
    GradeState,
    LtiContext,
    LtiPassbackAttempt,
    LtiPlatform,
    LtiResourceLink,
    LtiScorePassback,
    LtiUser,
    utcnow,
)
from forum.models.lti import PassbackState
from forum.services import events
from forum.services.lti_connect import (
    PlatformError,
    Score,
    credentials,
    find_or_create_line_item,
    send_score,
)
from forum.services.lti_keys import require_lti_manager
from forum.services.lti_line_items import Wanted, remember, wanted_of
from forum.transactions import writes

log = logging.getLogger(__name__)

# A sender holds a passback this long; if it dies meanwhile, another takes it after.
LEASE = timedelta(minutes=2)
FIRST_RETRY = timedelta(seconds=30)
LAST_RETRY = timedelta(hours=6)


def retry_delay(attempts: int) -> timedelta:
    """30 s, 2 min, 8 min, 32 min … then every 6 hours, until the platform accepts."""
    return min(FIRST_RETRY * 4 ** max(attempts - 1, 0), LAST_RETRY)


def _unsent_grades():
    """Released grades of discussions an LMS link opens, whose present version has no
    passback yet."""
    return (select(Grade).where(
        Grade.state == GradeState.RELEASED,
        Grade.discussion_id.in_(select(LtiResourceLink.discussion_id).where(
            LtiResourceLink.discussion_id.is_not(None))),
        ~exists().where(LtiScorePassback.grade_id == Grade.id,
                        LtiScorePassback.grade_version == Grade.version))
        .order_by(Grade.id))


def _target(grade: Grade) -> tuple[LtiResourceLink | None, str | None]:
    """The link (newest first) on a platform that knows the student, and their sub."""
    row = db.session.execute(
        select(LtiResourceLink, LtiUser.sub)
        .join(LtiUser, LtiUser.platform_id == LtiResourceLink.platform_id)
        .where(LtiResourceLink.discussion_id == grade.discussion_id,
               LtiUser.user_id == grade.student_id)
        .order_by(LtiResourceLink.id.desc()).limit(1)).first()
    return (row[0], row[1]) if row else (None, None)


@writes
def plan_passbacks(limit: int = 500) -> list[int]:
    """Make the passbacks of released grade versions not yet planned (older pending or
    skipped ones of the same grade are superseded); returns the ids to send. One
    commit."""
    now = utcnow()
    planned: list[tuple[LtiScorePassback, bool]] = []
    for grade in db.session.scalars(_unsent_grades().limit(limit)):
        db.session.execute(
            update(LtiScorePassback).where(
                LtiScorePassback.grade_id == grade.id,
                LtiScorePassback.state.in_([PassbackState.PENDING, PassbackState.SKIPPED]))
            .values(state=PassbackState.SUPERSEDED,
                    reason=f"Version {grade.version} of the grade is sent instead.")
            .execution_options(synchronize_session=False))
        discussion: Discussion = grade.discussion
        link, sub = _target(grade)
        passback = LtiScorePassback(
            grade_id=grade.id, grade_version=grade.version, link=link, user_sub=sub,
            score_given=grade.score, score_maximum=discussion.points_possible,
            comment=grade.feedback or "", created_at=now, next_attempt_at=now)
        if discussion.points_possible <= 0:
            passback.state, passback.reason = PassbackState.SKIPPED, \
                "The discussion has no points possible."
        elif link is None:
            passback.state, passback.reason = PassbackState.SKIPPED, \
                "The student has no LMS identity on a platform linking this discussion."
        db.session.add(passback)
        planned.append(passback)
    try:
        db.session.commit()
    except IntegrityError:  # another worker planned the same versions first
        db.session.rollback()
        return []
    return [p.id for p in planned if p.state is PassbackState.PENDING]


def due_passbacks(limit: int = 500) -> list[int]:
    """Pending passbacks whose (next) try is due."""
    return list(db.session.scalars(select(LtiScorePassback.id).where(
        LtiScorePassback.state == PassbackState.PENDING,
        LtiScorePassback.next_attempt_at <= utcnow()).order_by(LtiScorePassback.id)
        .limit(limit)))


def _claim(passback_id: int) -> bool:
    now = utcnow()
    taken = db.session.execute(
        update(LtiScorePassback).where(LtiScorePassback.id == passback_id,
                                       LtiScorePassback.state == PassbackState.PENDING,
                                       LtiScorePassback.next_attempt_at <= now)
        .values(next_attempt_at=now + LEASE).execution_options(synchronize_session=False))
    db.session.commit()
    return taken.rowcount == 1


@writes
def send_passback(passback_id: int) -> PassbackState | None:
    """Try once to send a due passback (creating the link's line item at the platform
    first if it has none); record the try and the answer. Returns its state, or None
    when it was not due or another sender holds it."""
    if not _claim(passback_id):
        return None
    passback = db.session.get(LtiScorePassback, passback_id)
    link = passback.link
    context: LtiContext = link.context
    lineitem_url, lineitems_url = link.lineitem_url, context.lineitems_url
    creds = credentials(db.session.get(LtiPlatform, link.platform_id))
    score = Score(user_sub=passback.user_sub, score_given=passback.score_given,
                  score_maximum=passback.score_maximum, comment=passback.comment,
                  timestamp=passback.created_at.replace(tzinfo=UTC).isoformat())
    wanted = wanted_of(link)
    resource_link_id = link.resource_link_id
    db.session.rollback()  # no transaction held open while the platform answers
    status, answer, made_line_item = None, "", None
    try:
        if not lineitem_url:
            if not lineitems_url:
                raise PlatformError("The LMS offered no line items service for this link "
                                    "(no Assignment and Grade Services claim in a launch).")
            lineitem_url = made_line_item = find_or_create_line_item(
                creds, lineitems_url, label=wanted.label, score_maximum=wanted.score_maximum,
                resource_link_id=resource_link_id, tag=f"forum-discussion-{link.discussion_id}")
        status, answer = send_score(creds, lineitem_url, score)
        accepted = True
    except PlatformError as error:
        status, answer, accepted = error.status, str(error), False
        log.warning("LTI score passback %s refused (%s): %s", passback_id, status,
                    answer.replace("\n", " ")[:200])
    return _record(passback_id, status, answer, accepted,
                   (made_line_item, wanted) if made_line_item else None)


def _record(passback_id: int, status: int | None, answer: str, accepted: bool,
            made_line_item: tuple[str, Wanted] | None) -> PassbackState:
    now = utcnow()
    passback = db.session.get(LtiScorePassback, passback_id)
    passback.attempts += 1
    passback.tries.append(LtiPassbackAttempt(at=now, status=status, answer=answer[:500]))
    if made_line_item and passback.link.lineitem_url is None:
        remember(passback.link, *made_line_item)
    if accepted:
        passback.state, passback.accepted_at, passback.reason = PassbackState.ACCEPTED, now, ""
        passback.next_attempt_at = None
    elif passback.state is PassbackState.PENDING:
        passback.next_attempt_at = now + retry_delay(passback.attempts)
        passback.reason = (f"Try {passback.attempts} refused; next at "
                           f"{passback.next_attempt_at:%Y-%m-%d %H:%M} UTC.")
    db.session.commit()
    return passback.state


def passbacks_to_watch(actor: Actor, limit: int = 200) -> list[LtiScorePassback]:
    """Scores the LMS has not taken, newest first: those still being retried and those
    skipped (no LMS identity, no points). Raises PermissionDenied."""
    require_lti_manager(actor)
    return list(db.session.scalars(
        select(LtiScorePassback)
        .where(LtiScorePassback.state.in_([PassbackState.PENDING, PassbackState.SKIPPED]))
        .order_by(LtiScorePassback.id.desc()).limit(limit)
        .options(selectinload(LtiScorePassback.grade).selectinload(Grade.student),
                 selectinload(LtiScorePassback.grade).selectinload(Grade.discussion)
                 .selectinload(Discussion.course))))


@writes
def send_again(actor: Actor, passback_id: int) -> LtiScorePassback:
    """Send a score the LMS has not taken now, not at its next retry; a skipped one is
    aimed again (the student may have launched from the LMS since). The worker sends
    it after the commit. Raises PermissionDenied, NotFound, Invalid."""
    require_lti_manager(actor)
    passback = db.session.get(LtiScorePassback, passback_id)
    if passback is None:
        raise NotFound("No such score passback.")
    if passback.state not in (PassbackState.PENDING, PassbackState.SKIPPED):
        raise Invalid({"passback": [f"This score is {passback.state.value}: nothing to "
                                    "send."]}, conflict=True)
    if passback.grade_version != passback.grade.version:
        raise Invalid({"passback": ["The grade has changed since: its newer version is "
                                    "sent instead, never this older score."]}, conflict=True)
    if passback.state is PassbackState.SKIPPED:
        _aim(passback)
    passback.next_attempt_at = utcnow()
    events.worker_needed()
    db.session.commit()
    return passback


def _aim(passback: LtiScorePassback) -> None:
    grade = passback.grade
    if grade.discussion.points_possible <= 0:
        raise Invalid({"passback": ["The discussion has no points possible."]},
                      conflict=True)
    link, sub = _target(grade)
    if link is None:
        raise Invalid({"passback": ["The student still has no LMS identity on a platform "
                                    "linking this discussion."]}, conflict=True)
    passback.link, passback.user_sub = link, sub
    passback.score_maximum = grade.discussion.points_possible
    passback.state, passback.reason = PassbackState.PENDING, ""


def passbacks_of(grade: Grade) -> list[LtiScorePassback]:
    """A grade's passbacks with their tries, oldest first (for its history)."""
    return list(db.session.scalars(select(LtiScorePassback).where(
        LtiScorePassback.grade_id == grade.id).order_by(LtiScorePassback.id)))
