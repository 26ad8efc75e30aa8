"""Small server-drawn SVG charts: numbers in, shapes and a text alternative out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from forum.formats.points import format_points

WIDTH, HEIGHT, MARGIN = 320, 120, 20


@dataclass
class Chart:
    title: str
    summary: str  # the text alternative, read by screen readers
    bars: list[dict] = field(default_factory=list)
    marks: list[dict] = field(default_factory=list)
    lines: list[dict] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT


def score_histogram(scores: list[float], points_possible: float, bins: int = 5) -> Chart:
    """How many students fall in each fifth of the points possible."""
    top = points_possible or max(scores, default=0) or 1
    counts = [0] * bins
    for score in scores:
        counts[min(bins - 1, int(score / top * bins))] += 1
    tallest = max(counts) or 1
    slot = (WIDTH - 2 * MARGIN) / bins
    bars, parts = [], []
    for index, count in enumerate(counts):
        low, high = top * index / bins, top * (index + 1) / bins
        label = f"{format_points(low)}–{format_points(high)}"
        height = (HEIGHT - 2 * MARGIN) * count / tallest
        bars.append({"x": MARGIN + index * slot + 2, "y": HEIGHT - MARGIN - height,
                     "width": slot - 4, "height": height, "label": label, "count": count})
        parts.append(f"{count} scored {label}")
    summary = (f"{len(scores)} graded. " + "; ".join(parts) + ".") if scores else \
        "No grades yet."
    return Chart("Score distribution", summary, bars=bars)


def contributions_timeline(moments: list[tuple[datetime, str]], due_at: datetime | None,
                           local) -> Chart:
    """Each post or reply as a mark in time, with the due date as a line."""
    points = [m for m, _ in moments] + ([due_at] if due_at else [])
    if not points:
        return Chart("Contributions over time", "No contributions yet.")
    start, end = min(points), max(points)
    span = (end - start).total_seconds() or 1

    def x(moment: datetime) -> float:
        return MARGIN + (WIDTH - 2 * MARGIN) * (moment - start).total_seconds() / span

    marks = [{"x": x(m), "y": HEIGHT / 2 - (12 if kind == "post" else -4), "kind": kind,
              "late": bool(due_at and m > due_at), "label": f"{kind} {local(m)}"}
             for m, kind in moments]
    lines = [{"x": x(due_at), "label": f"due {local(due_at)}"}] if due_at else []
    late = sum(1 for mark in marks if mark["late"])
    summary = (f"{len(marks)} contributions from {local(start)} to {local(end)}"
               + (f"; due {local(due_at)}; {late} after the due date." if due_at else "."))
    return Chart("Contributions over time", summary, marks=marks, lines=lines)
