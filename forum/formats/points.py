"""Points and scores as people read them: 7.05, 7.5, 10, 0.25, 0."""

from __future__ import annotations

DECIMALS = 2  # the finest step a rubric level or a typed score is shown with


def format_points(value: float | int) -> str:
    """Rounded to two decimals, without trailing zeros or a lone point; never "-0"."""
    text = f"{value:.{DECIMALS}f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text
