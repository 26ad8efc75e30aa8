"""The tasks: each runs in the app of the worker process (see forum/cli.py, `worker`),
as one of the units a request would be (forum/transactions.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps

from huey import crontab
from sqlalchemy import select

from forum.errors import NotFound
from forum.extensions import db
from forum.models import LtiScorePassback, MailMessage, MailState
from forum.models.lti import PassbackState as LtiPassbackState
from forum.services import (
    archive_jobs,
    digests,
    idempotency,
    lti_grades,
    lti_line_items,
    lti_roster,
    mailing,
    notifying,
    password_reset,
)
from forum.services.lti_connect import PlatformError
from forum.transactions import WRITE, unit_of_work
from forum.worker import queue

log = logging.getLogger(__name__)
_app = None


def bind(app) -> None:
    """The app whose context every task runs in (the worker command's)."""
    global _app
    _app = app


def in_app(work: Callable) -> Callable:
    @wraps(work)
    def run(*args, **kwargs):
        if _app is None:
            raise RuntimeError("the worker's app is not bound (forum.worker.tasks.bind)")
        with _app.app_context():
            try:
                return work(*args, **kwargs)
            finally:
                db.session.remove()
    return run


def _schedule(mails) -> None:
    for mail in mails:
        send_mail_task.schedule(args=(mail.id,), eta=mail.send_after)


@queue.task()
@in_app
def process_events_task() -> None:
    """Notify of every waiting event, batch by batch; schedule the mail planned and
    send what is due; pass scores back to the LMS; start the archive jobs waiting."""
    while True:
        with unit_of_work(WRITE):
            done = notifying.process_events()
        _schedule(done.mails)
        if done.events < notifying.BATCH:
            break
    # Mail written without an event: a password reset (the rest waits for its time).
    for mail_id in mailing.due_mail_ids(thread_key=password_reset.THREAD_KEY):
        send_mail_task(mail_id)
    _pass_back_scores()
    _start_archive_jobs()


def _pass_back_scores() -> None:
    """Plan the passbacks of grades released (or changed after release) and send them,
    with any an admin asked to send now."""
    with unit_of_work(WRITE):
        planned = lti_grades.plan_passbacks()
    for passback_id in dict.fromkeys(planned + lti_grades.due_passbacks()):
        send_score_task(passback_id)


def _send_score(passback_id: int) -> None:
    """Send one score to the LMS; if refused, try again when its backoff ends."""
    with unit_of_work(WRITE):
        state = lti_grades.send_passback(passback_id)
    if state is LtiPassbackState.PENDING:
        _again_when_due(send_score_task, passback_id, LtiScorePassback.next_attempt_at)


@queue.task()
@in_app
def send_score_task(passback_id: int) -> None:
    _send_score(passback_id)


def _sync_line_item(link_id: int) -> None:
    """Make or update a linked discussion's column in the LMS gradebook."""
    try:
        with unit_of_work(WRITE):
            lti_line_items.sync_line_item(link_id)
    except PlatformError as error:
        log.warning("LTI line item of link %s not sent: %s", link_id, error)


def _sync_roster(context_id: int) -> None:
    try:
        with unit_of_work(WRITE):
            done = lti_roster.sync_roster(context_id)
    except (PlatformError, NotFound) as error:
        log.warning("LTI roster of context %s not read: %s", context_id, error)
        return
    log.info("LTI roster of %s: %d members, %d added, %d changed, %d removed",
             done.course_code, done.members, len(done.added), len(done.changed),
             len(done.removed))


@queue.task()
@in_app
def sync_roster_task(context_id: int) -> None:
    _sync_roster(context_id)


def _deliver(mail_id: int) -> None:
    """Send one mail; if it failed, try again when its backoff ends."""
    with unit_of_work(WRITE):
        state = mailing.deliver(mail_id)
    if state is MailState.QUEUED:
        _again_when_due(send_mail_task, mail_id, MailMessage.send_after)


def _again_when_due(task, row_id: int, due_at) -> None:
    """Run `task` for the row again when its backoff ends (`due_at`, a column of the
    row's model)."""
    retry_at = db.session.scalar(select(due_at).where(due_at.class_.id == row_id))
    task.schedule(args=(row_id,), eta=retry_at)


@queue.task()
@in_app
def send_mail_task(mail_id: int) -> None:
    _deliver(mail_id)


def _start_archive_jobs() -> None:
    """Queue a run of each course archive job waiting (a run finding its job taken by
    another does nothing), so that a long export or import never holds up the events."""
    for job_id in archive_jobs.queued_jobs():
        run_archive_job_task(job_id)


@queue.task()
@in_app
def run_archive_job_task(job_id: int) -> None:
    archive_jobs.run_job(job_id)


@queue.periodic_task(crontab(minute="*"))
@in_app
def sweep() -> None:
    """Every minute: events no wake reached, mail due (or retried), digests due,
    idempotency keys past their day, LMS gradebook columns to make or update, scores
    for the LMS due (or retried), LMS rosters due a sync, and course archives past
    their day."""
    process_events_task.call_local()
    with unit_of_work(WRITE):
        digests_due = digests.plan_digests()
    with unit_of_work(WRITE):
        idempotency.forget_expired()
    for mail_id in [m.id for m in digests_due] + mailing.due_mail_ids():
        _deliver(mail_id)
    for link_id in lti_line_items.line_items_due():
        _sync_line_item(link_id)
    for passback_id in lti_grades.due_passbacks():
        _send_score(passback_id)
    for context_id in lti_roster.contexts_due():
        _sync_roster(context_id)
    with unit_of_work(WRITE):
        archive_jobs.remove_expired()
