"""The rubric as plain text, so instructors can write one in a textarea:

    Argument: a clear, defensible claim
    4 | Original and precise
    2 | Present but vague
    0 | Missing

A line "points | description" is a level of the criterion above it; any other line
starts a criterion ("Title: description")."""

from __future__ import annotations

import re

from forum.errors import Invalid

LEVEL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*\|\s*(.*)$")


def parse_rubric(text: str | None) -> list[dict]:
    """Criteria with levels from the text form. Raises Invalid."""
    criteria: list[dict] = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        level = LEVEL.match(line)
        if level:
            if not criteria:
                raise Invalid({"rubric": [f"Line {number}: a level needs a criterion above it."]})
            points = float(level.group(1))
            criteria[-1]["levels"].append({
                "points": int(points) if points.is_integer() else points,
                "description": level.group(2).strip()})
        else:
            title, _, description = line.partition(":")
            criteria.append({"title": title.strip(), "description": description.strip(),
                             "levels": []})
    return criteria


def rubric_text(rubric: list[dict]) -> str:
    lines = []
    for criterion in rubric:
        head = criterion["title"]
        if criterion.get("description"):
            head += f": {criterion['description']}"
        lines.append(head)
        lines.extend(f"{level['points']:g} | {level['description']}".rstrip(" |")
                     for level in criterion["levels"])
        lines.append("")
    return "\n".join(lines).strip()
