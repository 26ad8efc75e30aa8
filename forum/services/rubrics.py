"""Grading settings of a discussion: points, rubric, participation requirements."""

from __future__ import annotations

from forum.access import Actor, can_edit_grading_settings, can_view_discussion
from forum.errors import NotFound, PermissionDenied
from forum.extensions import db
from forum.models import Discussion
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


def clean_rubric(errors: FieldErrors, criteria: list[dict] | None) -> list[dict]:
    """Criteria with levels, given stable ids by position (c1, c1-l2 …)."""
    cleaned = []
    if len(criteria or []) > CRITERIA_MAX:
        errors.add("rubric", f"At most {CRITERIA_MAX} criteria.")
        return []
    for c_index, criterion in enumerate(criteria or [], start=1):
        field = f"rubric-{c_index}"
        title = clean_text(errors, field, criterion.get("title"), max_length=200,
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
                "id": f"c{c_index}-l{l_index}", "points": points,
                "description": clean_text(errors, field, level.get("description"),
                                          max_length=500, required=False),
            })
        cleaned.append({"id": f"c{c_index}", "title": title,
                        "description": clean_text(errors, field, criterion.get("description"),
                                                  max_length=1000, required=False),
                        "levels": cleaned_levels})
    return cleaned


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
        changes = _clean_settings(errors, points_possible, rubric, min_posts,
                                  min_peer_replies, require_prompt_answers, allow_extra_credit)
        points = changes.get("points_possible", discussion.points_possible)
        if "rubric" in changes and changes["rubric"] and rubric_total(changes["rubric"]) > \
                points:
            errors.add("rubric", "The rubric gives more than the points possible.")
    for name, value in changes.items():
        setattr(discussion, name, value)
    commit_versioned()
    return discussion


def _clean_settings(errors, points_possible, rubric, min_posts, min_peer_replies,
                    require_prompt_answers, allow_extra_credit) -> dict:
    changes: dict = {}
    if points_possible is not None:
        changes["points_possible"] = clean_points(errors, "points_possible", points_possible)
    if rubric is not None:
        changes["rubric"] = clean_rubric(errors, rubric)
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
    return update_grading_settings(actor, discussion, version=None,
                                   rubric=[dict(c) for c in source.rubric])
