"""When the database does not answer: how long to tell clients to wait, and what to log.

Every request of an outage fails the same way, so one traceback a minute says all a log
reader needs; the other failures get one line each. `Retry-After` grows with the
outage: a cancelled statement or a blip is retried in seconds, a long outage is not
hammered every second by every client.

The state is the process's own (each web or worker process tells its own story).
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy import exc

# Errors that mean "the database cannot answer now", not "this request is wrong": a
# connection refused or dropped, a statement or a lock wait past its deadline
# (FORUM_DB_STATEMENT_TIMEOUT, FORUM_DB_LOCK_TIMEOUT), no pooled connection free in time.
UNAVAILABLE = (exc.OperationalError, exc.TimeoutError)

TRACEBACK_EVERY = 60.0  # seconds between two tracebacks of one outage
OUTAGE_GAP = 10.0  # a failure this long after the last one starts a new outage
RETRY_MIN, RETRY_MAX = 2, 30  # seconds


class _Outage:
    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self.started = self.last_failure = self.last_traceback = None

    def failed(self) -> tuple[float, bool]:
        """Note one failure; returns how long the outage has lasted and whether this
        failure's traceback is to be logged."""
        now = self._clock()
        with self._lock:
            if self.last_failure is None or now - self.last_failure > OUTAGE_GAP:
                self.started, self.last_traceback = now, None
            self.last_failure = now
            with_traceback = self.last_traceback is None \
                or now - self.last_traceback >= TRACEBACK_EVERY
            if with_traceback:
                self.last_traceback = now
            return now - self.started, with_traceback


_outage = _Outage()


def retry_after(down_for: float) -> int:
    """Seconds a client should wait: about as long as the database has been away, within
    RETRY_MIN and RETRY_MAX."""
    return int(min(RETRY_MAX, max(RETRY_MIN, down_for)))


def database_unavailable(error: Exception, logger: logging.Logger, where: str) -> int:
    """Log this failure as the outage allows and return the Retry-After seconds."""
    down_for, with_traceback = _outage.failed()
    if with_traceback:
        logger.error("database unavailable (%s); down for %.0f s", where, down_for,
                     exc_info=error)
    else:
        logger.error("database unavailable (%s); down for %.0f s: %s", where, down_for,
                     _first_line(error))
    return retry_after(down_for)


def _first_line(error: Exception) -> str:
    original = getattr(error, "orig", None) or error
    lines = str(original).strip().splitlines()
    return f"{type(original).__name__}: {lines[0] if lines else ''}"[:300]
