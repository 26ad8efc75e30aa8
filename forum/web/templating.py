"""Jinja filters: course-local times, counts in words, points."""

from __future__ import annotations

from datetime import datetime

from flask import Flask

from forum.formats.points import format_points
from forum.timeutil import to_local


def localtime(moment: datetime | None, timezone: str, fmt: str = "%a %d %b %Y, %H:%M %Z") -> str:
    local = to_local(moment, timezone)
    return local.strftime(fmt) if local else ""


def isotime(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""


def counted(number: int, singular: str, plural: str | None = None) -> str:
    """'1 response', '7 responses'."""
    word = singular if number == 1 else (plural or singular + "s")
    return f"{number} {word}"


def points(value: float | None, missing: str = "—") -> str:
    """A score or points possible as people read them; `missing` for no score yet."""
    return missing if value is None else format_points(value)


def register_filters(app: Flask) -> None:
    app.jinja_env.filters.update(localtime=localtime, isotime=isotime, counted=counted,
                           points=points)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
