"""Moments are stored in UTC and shown in a course's timezone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def from_local(moment: datetime | None, timezone: str) -> datetime | None:
    """Read a wall-clock time in the course's timezone as an aware UTC datetime."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone(timezone))
    return moment.astimezone(UTC)


def to_local(moment: datetime | None, timezone: str) -> datetime | None:
    return None if moment is None else moment.astimezone(zone(timezone))
