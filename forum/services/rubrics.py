"""Grading settings of a discussion: points, rubric, participation requirements."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from sqlalchemy import select

from forum.access import Actor, can_edit_grading_settings, can_view_discussion
from forum.errors import NotFound, PermissionDenied
from forum.extensions import db
from forum.models import Discussion, Grade
from forum.models.limits import CRITERION_DESCRIPTION_MAX, LEVEL_DESCRIPTION_MAX, TITLE_MAX
from forum.services.validation import (
    POINTS_MAX,
    FieldErrors,
    clean_points,
    clean_text,
    collecting_errors,
    points_are_valid,
)
from forum.services.versions import commit_versioned, expect_version
from forum.transactions import writes

CRITERIA_MAX = 20
LEVELS_MAX = 10
REQUIREMENT_MAX = 100


def authorize_grading_settings(actor: Actor, discussion: Discussion) -> None:
    """Raises PermissionDenied unless the actor sets up grading for the discussion."""
    if not can_edit_grading_settings(actor, discussion):
        raise PermissionDenied("Only instructors set up grading.")


def clean_rubric(errors: FieldErrors, criteria: list[dict] | None,
                 previous: list[dict] = (), used_ids: Iterable[str] = ()) -> list[dict]:
    """Criteria with levels, each with an id that stays with it across edits (see
    `_keep_ids`); `previous` is the rubric being replaced, `used_ids` the ids its grades
    point at."""
    cleaned = []
    if len(criteria or []) > CRITERIA_MAX:
        errors.add("rubric", f"At most {CRITERIA_MAX} criteria.")
        return []
    for c_index, criterion in enumerate(criteria or [], start=1):
        field = f"rubric-{c_index}"
        title = clean_text(errors, field, criterion.get("title"), max_length=TITLE_MAX,
                           label=f"Criterion {c_index}")
        levels = criterion.get("levels") or []
        if not levels or len(levels) > LEVELS_MAX:
            errors.add(field, f"Criterion {c_index} needs 1 to {LEVELS_MAX} levels.")
        cleaned_levels = []
        for l_index, level in enumerate(levels[:LEVELS_MAX], start=1):
            points = level.get("points")
            if not points_are_valid(points):
                errors.add(field, f"Criterion {c_index}, level {l_index}: points from 0 to "
                                  f"{POINTS_MAX:,}.")
                points = 0
            cleaned_levels.append({
                "id": level.get("id"), "points": points,
                "description": clean_text(errors, field, level.get("description"),
                                          max_length=LEVEL_DESCRIPTION_MAX, required=False),
            })
        cleaned.append({"id": criterion.get("id"), "title": title,
                        "description": clean_text(errors, field, criterion.get("description"),
                                                  max_length=CRITERION_DESCRIPTION_MAX,
                                                  required=False),
                        "levels": cleaned_levels})
    return _keep_ids(cleaned, list(previous), set(used_ids))


_ID = re.compile(r"^c(\d+)(?:-l(\d+))?$")


def _numbers(ids: Iterable[str]) -> list[tuple[int, int]]:
    """(criterion, level) numbers of ids like c3 and c3-l2; level 0 for a criterion."""
    found = []
    for identifier in ids:
        match = _ID.match(identifier or "")
        if match:
            found.append((int(match.group(1)), int(match.group(2) or 0)))
    return found


def _pair(items: list[dict], olds: list[dict], keys: list[Callable[[dict], object]]) -> None:
    """Give each item the id of the old one it continues: the same id if it carries one,
    else the first key (not None) that matches an old item not yet taken. Unmatched items
    get None."""
    free = {old["id"]: old for old in olds}
    ids_given = [item.get("id") for item in items]
    for item in items:
        item["id"] = None
    for item, given in zip(items, ids_given, strict=True):
        if given in free:
            item["id"] = given
            del free[given]
    for key in keys:
        for item in items:
            if item["id"] is None and key(item) is not None:
                old = next((o for o in free.values() if key(o) == key(item)), None)
                if old is not None:
                    item["id"] = old["id"]
                    del free[old["id"]]


def _plain(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


def _keep_ids(rubric: list[dict], previous: list[dict], used_ids: set[str]) -> list[dict]:
    """Saved grades name criteria and levels by id, so an edit must not move an id to
    other content. A criterion keeps its id when it carries it (the API) or has the same
    title as before (the text form, in any order); a level keeps its id by id, then the
    same description, then the same points. Everything else gets a fresh id, numbered
    past every id of the old rubric and of the grades, so no grade points at it."""
    _pair(rubric, previous, [lambda c: _plain(c["title"])])
    old_levels = {c["id"]: c["levels"] for c in previous}
    for criterion in rubric:
        _pair(criterion["levels"], old_levels.get(criterion["id"], []),
              [lambda lvl: _plain(lvl["description"]) or None, lambda lvl: lvl["points"]])
    seen = _numbers(used_ids | {c["id"] for c in previous}
                    | {lvl["id"] for c in previous for lvl in c["levels"]})
    next_criterion = max((c for c, _ in seen), default=0) + 1
    for criterion in rubric:
        if criterion["id"] is None:
            criterion["id"] = f"c{next_criterion}"
            next_criterion += 1
        [(number, _)] = _numbers([criterion["id"]]) or [(None, 0)]
        next_level = max((lvl for c, lvl in seen if c == number), default=0) + 1
        for level in criterion["levels"]:
            if level["id"] is None:
                level["id"] = f"{criterion['id']}-l{next_level}"
                next_level += 1
    return rubric


def _ids_in_grades(discussion: Discussion) -> set[str]:
    used: set[str] = set()
    for scores in db.session.scalars(select(Grade.rubric_scores)
                                     .where(Grade.discussion_id == discussion.id)):
        for criterion_id, level_id in (scores or {}).items():
            used.update((criterion_id, level_id))
    return used


def rubric_total(rubric: list[dict]) -> float:
    """The most a rubric can give: the best level of every criterion."""
    return sum(max(level["points"] for level in c["levels"]) for c in rubric if c["levels"])


@writes
def update_grading_settings(
    actor: Actor, discussion: Discussion, *, version: int | None, points_possible=None,
    rubric: list[dict] | None = None, min_posts=None, min_peer_replies=None,
    require_prompt_answers=None, allow_extra_credit=None,
) -> Discussion:
    """Set points, rubric and requirements; unnamed settings stay as they are.
    Raises PermissionDenied, Invalid, Conflict."""
    authorize_grading_settings(actor, discussion)
    expect_version(discussion, version)
    with collecting_errors() as errors:
        changes = _clean_settings(errors, discussion, points_possible, rubric, min_posts,
                                  min_peer_replies, require_prompt_answers, allow_extra_credit)
        points = changes.get("points_possible", discussion.points_possible)
        if "rubric" in changes and changes["rubric"] and rubric_total(changes["rubric"]) > \
                points:
            errors.add("rubric", "The rubric gives more than the points possible.")
    for name, value in changes.items():
        setattr(discussion, name, value)
    commit_versioned()
    return discussion


def _clean_settings(errors, discussion, points_possible, rubric, min_posts, min_peer_replies,
                    require_prompt_answers, allow_extra_credit) -> dict:
    changes: dict = {}
    if points_possible is not None:
        changes["points_possible"] = clean_points(errors, "points_possible", points_possible)
    if rubric is not None:
        changes["rubric"] = clean_rubric(errors, rubric, discussion.rubric,
                                         _ids_in_grades(discussion))
    for name, value in (("min_posts", min_posts), ("min_peer_replies", min_peer_replies)):
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int) \
                    or not 0 <= value <= REQUIREMENT_MAX:
                errors.add(name, f"Choose a number from 0 to {REQUIREMENT_MAX}.")
            changes[name] = value
    for name, value in (("require_prompt_answers", require_prompt_answers),
                        ("allow_extra_credit", allow_extra_credit)):
        if value is not None:
            changes[name] = bool(value)
    return changes


@writes
def copy_rubric(actor: Actor, discussion: Discussion, source_id: int) -> Discussion:
    """Copy another discussion's rubric of the same course. Raises NotFound,
    PermissionDenied, Invalid."""
    authorize_grading_settings(actor, discussion)
    source = db.session.get(Discussion, source_id)
    if source is None or source.course_id != discussion.course_id \
            or not can_view_discussion(actor, source):
        raise NotFound("No such discussion in this course.")
    # The source's ids name its own criteria: here the copy is matched by title only.
    copied = [{**c, "id": None, "levels": [{**lvl, "id": None} for lvl in c["levels"]]}
              for c in source.rubric]
    return update_grading_settings(actor, discussion, version=None, rubric=copied)
