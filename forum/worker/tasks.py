"""The tasks: each runs in the app of the worker process (see forum/cli.py, `worker`),
as one of the units a request would be (forum/transactions.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps

from huey import crontab
from sqlalchemy import select

from forum.extensions import db
from forum.models import MailMessage, MailState
from forum.services import digests, idempotency, mailing, notifying
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
    """Notify of every waiting event, batch by batch; schedule the mail planned."""
    while True:
        with unit_of_work(WRITE):
            done = notifying.process_events()
        _schedule(done.mails)
        if done.events < notifying.BATCH:
            return


def _deliver(mail_id: int) -> None:
    """Send one mail; if it failed, try again when its backoff ends."""
    with unit_of_work(WRITE):
        state = mailing.deliver(mail_id)
    if state is MailState.QUEUED:
        retry_at = db.session.scalar(select(MailMessage.send_after).where(
            MailMessage.id == mail_id))
        send_mail_task.schedule(args=(mail_id,), eta=retry_at)


@queue.task()
@in_app
def send_mail_task(mail_id: int) -> None:
    _deliver(mail_id)


@queue.periodic_task(crontab(minute="*"))
@in_app
def sweep() -> None:
    """Every minute: events no wake reached, mail due (or retried), digests due, and
    idempotency keys past their day."""
    process_events_task.call_local()
    with unit_of_work(WRITE):
        digests_due = digests.plan_digests()
    with unit_of_work(WRITE):
        idempotency.forget_expired()
    for mail_id in [m.id for m in digests_due] + mailing.due_mail_ids():
        _deliver(mail_id)
