"""Safe retries of creating requests: the same `Idempotency-Key` and request within a
day is given the first answer again; see forum/models/idempotency.py.

`claim` runs before the creating use case and adds the key's row to its unit of work,
so the row is committed with what is created, or not at all when the request fails
(and then a retry runs again). Where the created object is found is written on the row
in that same commit (`located`); `remember` keeps the whole answer once it is sent. A
retry whose first request died between the two learns where its object is.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from forum.errors import Conflict, Invalid
from forum.extensions import db
from forum.models import IdempotencyKey, utcnow
from forum.transactions import writes

KEPT_FOR = timedelta(days=1)
HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class Replay:
    """The answer first given to a request; `status` None when the request's work was
    committed and its answer was lost (the process died before keeping it): what it
    created is at `location`."""

    status: int | None
    body: str
    location: str | None


class KeyInUse(Conflict):
    message = ("A request with this Idempotency-Key is under way: wait for its answer, "
               "or send this one again in a moment.")


def fingerprint(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256(f"{method} {path}\n".encode())
    digest.update(body)
    return digest.hexdigest()


def check_key(key: str) -> str:
    """A key is 1 to 255 visible ASCII characters (a UUID is the usual choice).
    Raises Invalid otherwise."""
    if not 1 <= len(key) <= 255 or not all("!" <= c <= "~" for c in key):
        raise Invalid({HEADER: ["Send 1 to 255 visible ASCII characters, such as a UUID."]})
    return key


def claim(user, key: str, print_: str) -> Replay | IdempotencyKey:
    """The first answer to this key, or a new row for the request now under way, added
    to the current unit (committed with the use case). Raises Invalid when the key was
    used for another request, KeyInUse while its first request has no answer yet."""
    found = db.session.scalar(select(IdempotencyKey).where(
        IdempotencyKey.user_id == user.id, IdempotencyKey.key == key))
    if found is not None and found.created_at < utcnow() - KEPT_FOR:
        db.session.delete(found)
        found = None
    if found is None:
        row = IdempotencyKey(user_id=user.id, key=key, fingerprint=print_)
        db.session.add(row)
        try:
            with db.session.begin_nested():
                db.session.flush()  # on PostgreSQL, waits for a concurrent twin's commit
        except IntegrityError as error:
            raise KeyInUse() from error
        return row
    if found.fingerprint != print_:
        raise Invalid({HEADER: ["This key was used for a different request: use a new "
                                "key for each new request."]})
    if found.status is None and found.location is None:
        raise KeyInUse()
    return Replay(found.status, found.body or "", found.location)


def located(row: IdempotencyKey, location: str) -> None:
    """Note where the request's created object is found, in the unit that creates it
    (called as it is flushed)."""
    if row.location is None:
        row.location = location


@writes
def remember(row: IdempotencyKey, status: int, body: str, location: str | None) -> None:
    """Keep the answer given to the row's request (in a commit of its own)."""
    row.status, row.body, row.location = status, body, location
    db.session.commit()


@writes
def forget_expired() -> int:
    """Drop the keys older than a day; returns how many."""
    result = db.session.execute(delete(IdempotencyKey).where(
        IdempotencyKey.created_at < utcnow() - KEPT_FOR))
    db.session.commit()
    return result.rowcount
