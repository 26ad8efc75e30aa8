"""The search page: /search?q=… with its filters, paged; the header's box leads here."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy import select

from forum.access import searched_courses
from forum.errors import Invalid
from forum.extensions import db
from forum.formats.search_query import QUERY_MAX
from forum.models import Course
from forum.services import search as search_service
from forum.services.validation import is_storable

bp = Blueprint("search", __name__)

PAGE_SIZE = 20
PAGE_MAX = 10_000


def _number(name: str, errors: dict, high: int = 2**31 - 1) -> int | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= high:
        errors[name] = ["Choose from the list."]
        return None
    return int(value)


def _day(name: str, errors: dict) -> date | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
    except ValueError:
        pass
    errors[name] = ["Write a date as YYYY-MM-DD."]
    return None


def _midnight(day: date | None, later: int = 0) -> datetime | None:
    return None if day is None else datetime.combine(day + timedelta(days=later),
                                                     datetime.min.time(), UTC)


@bp.get("/search")
def results():
    """What the viewer may read that matches `q`, with the filters as a form."""
    text = request.args.get("q", "")
    errors: dict[str, list[str]] = {}
    if len(text) > QUERY_MAX or not is_storable(text):
        errors["q"] = [f"Search with at most {QUERY_MAX} characters of text."]
        text = ""
    since, until = _day("since", errors), _day("until", errors)
    if since and until and until < since:
        errors["until"] = ["The end of the date range is before its start."]
    filters = search_service.Filters(
        course_id=_number("course", errors), discussion_id=_number("discussion", errors),
        author_id=_number("author", errors),
        kinds=search_service.kinds_of([request.args.get("kind", "")]),
        since=_midnight(since), until=_midnight(until, 1),
        order=request.args.get("order") or "relevance")
    page = _number("page", errors, PAGE_MAX) or 1
    found = None
    if not errors and text.strip():
        try:
            found = search_service.search(current_user, text, filters,
                                          (page - 1) * PAGE_SIZE, PAGE_SIZE)
        except Invalid as refused:
            errors.update(refused.errors)
    courses = db.session.scalars(select(Course).where(searched_courses(current_user))
                                 .order_by(Course.code)).all()
    last_page = max(1, -(-found.total // PAGE_SIZE)) if found else 1
    page_args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("search/results.html", q=text, found=found, errors=errors,
                           filters=filters, courses=courses, page=page, last_page=last_page,
                           page_args=page_args, args=request.args,
                           kinds=search_service.KINDS), 422 if errors else 200
