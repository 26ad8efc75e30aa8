"""Optimistic concurrency: an edit names the version it started from."""

from __future__ import annotations

from sqlalchemy.orm.exc import StaleDataError

from forum.errors import StaleVersion
from forum.extensions import db

CONFLICT_MESSAGE = "Someone else changed this since you opened it. Reload to see their changes."


def expect_version(item, version: int | None) -> None:
    """Raises Conflict when the caller edited an older version than the stored one."""
    if version is not None and version != item.version:
        raise StaleVersion(CONFLICT_MESSAGE)


def commit_versioned() -> None:
    """Commit, turning a lost race on a versioned row into Conflict."""
    try:
        db.session.commit()
    except StaleDataError as error:
        db.session.rollback()
        raise StaleVersion(CONFLICT_MESSAGE) from error
