"""Points and scores read the same on every page that shows them: 7.05, 7.5, 10, 0.25, 0."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest

from forum.models import Role
from forum.services import grading, rubrics

SHOWN = ["7.05", "7.5", "10", "0.25", "0"]


def _text(fragment: str) -> str:
    """What a reader sees: tags dropped, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _row(page: str, name: str) -> str:
    """The text of the table row that names the student."""
    rows = [_text(row) for row in re.findall(r"<tr>.*?</tr>", page, flags=re.S)]
    return next(row for row in rows if name in row)


@pytest.fixture
def scored(world, make):
    """Five students of the world's course, each graded with one rubric level whose
    points are one of SHOWN, all released."""
    rubrics.update_grading_settings(
        world.instructor, world.discussion, version=None, points_possible=10,
        rubric=[{"title": "Argument", "levels": [
            {"points": float(points), "description": f"Level {points}"} for points in SHOWN]}])
    criterion = world.discussion.rubric[0]
    world.scored = {}
    students = [world.student, world.classmate,
                *(make.member(world.course, Role.STUDENT, name) for name in
                  ("Chloé Martin", "Dmitri Volkov", "Esi Mensah"))]
    for student, level in zip(students, criterion["levels"], strict=True):
        grading.save_grade(world.instructor, world.discussion, student.id, version=None,
                           rubric_scores={criterion["id"]: level["id"]})
        world.scored[student] = level
    grading.release_grades(world.instructor, world.discussion)
    return world


def test_my_grades_and_the_discussion_page_show_each_students_score(scored, login_as):
    for student, shown in zip(scored.scored, SHOWN, strict=True):
        client = login_as(student)
        mine = _text(client.get("/grades").get_data(as_text=True))
        assert f"{scored.course.code} : {shown} / 10 " in mine
        page = _text(client.get(f"/discussions/{scored.discussion.id}").get_data(as_text=True))
        assert f"Your grade: {shown} / 10 " in page
        assert f"Argument : {shown} · Level {shown}" in page


def test_the_roster_and_the_gradebook_show_every_score(scored, login_as):
    client = login_as(scored.instructor)
    roster = client.get(f"/discussions/{scored.discussion.id}/grading").get_data(as_text=True)
    book = client.get(f"/courses/{scored.course.id}/gradebook").get_data(as_text=True)
    assert "out of 10 points" in _text(roster)
    assert f"{scored.discussion.title} / 10 Total / 10" in _text(book)
    for student, shown in zip(scored.scored, SHOWN, strict=True):
        assert _row(roster, student.display_name).endswith(f" {shown} · released")
        assert _row(book, student.display_name).endswith(f" {shown} released {shown}")


def test_the_grading_page_shows_level_points_and_history(scored, login_as):
    client = login_as(scored.instructor)
    for student, shown in zip(scored.scored, SHOWN, strict=True):
        page = _text(client.get(
            f"/discussions/{scored.discussion.id}/grading/{student.id}").get_data(as_text=True))
        assert " ".join(f"{points} · Level {points}" for points in SHOWN) in page
        assert f"saved: — → {shown} (new → draft)" in page
        assert f"released: {shown} → {shown} (draft → released)" in page


def test_the_csv_and_the_pages_agree(scored, login_as):
    body = login_as(scored.instructor).get(
        f"/courses/{scored.course.id}/gradebook.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][-2:] == [f"{scored.discussion.title} (10)", "Total (10)"]
    assert [row[-1] for row in rows[1:]] == [row[-2] for row in rows[1:]]
    by_name = {row[0]: row[-1] for row in rows[1:]}
    assert [by_name[s.display_name] for s in scored.scored] == SHOWN
