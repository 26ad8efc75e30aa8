"""Saved grades keep pointing at the criterion and level they scored when an instructor
reorders, inserts or removes criteria and levels afterwards, by the text form or the API."""

from __future__ import annotations

import re

import pytest

from forum.extensions import db
from forum.services import grading, rubrics

RUBRIC_TEXT = """Argument: a clear claim
4 | Strong
2 | Weak
Sources
3 | Good
0 | None
"""


@pytest.fixture
def graded(world, login_as):
    """Ana scored Argument: Weak and Sources: Good (5 points), released."""
    login_as(world.instructor).post(
        f"/discussions/{world.discussion.id}/grading/settings",
        data={"points_possible": "10", "rubric": RUBRIC_TEXT, "min_posts": "1",
              "min_peer_replies": "0"})
    db.session.refresh(world.discussion)
    argument, sources = world.discussion.rubric
    grading.save_grade(world.instructor, world.discussion, world.student.id, version=None,
                       rubric_scores={argument["id"]: argument["levels"][1]["id"],
                                      sources["id"]: sources["levels"][0]["id"]})
    grading.release_grades(world.instructor, world.discussion)
    return world


def _edit_as_text(world, client, text: str) -> None:
    response = client.post(f"/discussions/{world.discussion.id}/grading/settings",
                           data={"points_possible": "10", "rubric": text, "min_posts": "1",
                                 "min_peer_replies": "0", "version": world.discussion.version})
    assert response.status_code == 302
    db.session.refresh(world.discussion)


def _grader_sees(world, client) -> list[tuple[str, str | None]]:
    """Each criterion of the grading page with the level checked under it."""
    page = client.get(f"/discussions/{world.discussion.id}/grading/{world.student.id}")
    shown = []
    for block in re.findall(r'<fieldset class="criterion">(.*?)</fieldset>',
                            page.get_data(as_text=True), re.S):
        title = re.search(r"<legend>(.*?)</legend>", block).group(1)
        checked = re.search(r"checked> ([^<]*)</label>", block)
        shown.append((title, checked.group(1).strip() if checked else None))
    return shown


def _student_sees(world, client) -> str:
    page = client.get(f"/discussions/{world.discussion.id}").get_data(as_text=True)
    return re.search(r'<section id="my-grade".*?</section>', page, re.S).group(0)


def test_reordering_and_inserting_by_text_keeps_each_score_under_its_criterion(graded,
                                                                                login_as):
    client = login_as(graded.instructor)
    _edit_as_text(graded, client, """Originality
2 | Fresh
0 | Familiar
Sources
0 | None
3 | Good
Argument: a clear claim
2 | Weak
3 | Fair
4 | Strong
""")
    assert _grader_sees(graded, client) == [
        ("Originality", None), ("Sources", "3 · Good"), ("Argument", "2 · Weak")]
    mine = _student_sees(graded, login_as(graded.student))
    assert "<strong>Argument</strong>: 2 · Weak" in mine
    assert "<strong>Sources</strong>: 3 · Good" in mine
    assert "<strong>Originality</strong>: not scored" in mine


def test_a_removed_criterion_is_shown_as_removed_and_its_id_never_comes_back(graded,
                                                                             login_as):
    client = login_as(graded.instructor)
    old_ids = {c["id"] for c in graded.discussion.rubric}
    _edit_as_text(graded, client, "Sources\n3 | Good\n0 | None\n")
    _edit_as_text(graded, client, "Style\n4 | Clear\n1 | Muddled\nSources\n3 | Good\n0 | None")
    assert _grader_sees(graded, client) == [("Style", None), ("Sources", "3 · Good")]
    page = client.get(f"/discussions/{graded.discussion.id}/grading/{graded.student.id}")
    assert "1 saved score on criteria removed from the rubric" in page.get_data(as_text=True)
    style = graded.discussion.rubric[0]
    assert style["id"] not in old_ids
    mine = _student_sees(graded, login_as(graded.student))
    assert "<strong>Style</strong>: not scored" in mine
    assert "also scored criteria since removed" in mine


def test_a_removed_level_is_never_read_as_another(graded, login_as):
    client = login_as(graded.instructor)
    _edit_as_text(graded, client, RUBRIC_TEXT.replace("2 | Weak\n", "1 | Thin\n"))
    # "Weak" is gone; "Thin" is a new level, so the saved score is not shown as Thin.
    assert _grader_sees(graded, client) == [("Argument", None), ("Sources", "3 · Good")]
    page = client.get(f"/discussions/{graded.discussion.id}/grading/{graded.student.id}")
    assert "The level saved here was removed" in page.get_data(as_text=True)
    mine = _student_sees(graded, login_as(graded.student))
    assert "<strong>Argument</strong>: scored at a level since removed" in mine


def test_the_api_keeps_ids_it_is_given_and_gives_new_ones_to_the_rest(graded, api, login_as):
    url = f"/api/v1/discussions/{graded.discussion.id}/rubric"
    current = api.get(graded.instructor, url)
    argument, sources = current.json["rubric"]
    sources["title"] = "Evidence"  # renamed, but the id says it is the same criterion
    sources["levels"].reverse()
    argument["levels"].insert(0, {"points": 4.5, "description": "Outstanding"})
    added = {"title": "Argument", "levels": [{"points": 0.5, "description": "Strong"}]}
    response = api.call(graded.instructor, "PUT", url,
                        headers={"If-Match": current.headers["ETag"]},
                        json={"rubric": [sources, added, argument]})
    assert response.status_code == 200, response.json
    ids = [c["id"] for c in response.json["rubric"]]
    assert ids[0] == sources["id"] and ids[2] == argument["id"]
    assert ids[1] not in {sources["id"], argument["id"]}
    db.session.refresh(graded.discussion)
    assert _grader_sees(graded, login_as(graded.instructor)) == [
        ("Evidence", "3 · Good"), ("Argument", None), ("Argument", "2 · Weak")]
    grade = api.get(graded.student,
                    f"/api/v1/discussions/{graded.discussion.id}/grades/{graded.student.id}")
    assert grade.json["rubric_scores"] == {argument["id"]: argument["levels"][2]["id"],
                                           sources["id"]: sources["levels"][1]["id"]}


def test_ids_a_client_invents_are_not_taken(graded, api):
    url = f"/api/v1/discussions/{graded.discussion.id}/rubric"
    current = api.get(graded.instructor, url)
    response = api.call(graded.instructor, "PUT", url,
                        headers={"If-Match": current.headers["ETag"]},
                        json={"rubric": [{"id": "c99", "title": "Tone",
                                          "levels": [{"id": "c1-l1", "points": 1}]}]})
    assert response.status_code == 200
    [tone] = response.json["rubric"]
    assert tone["id"] == "c3" and tone["levels"][0]["id"] == "c3-l1"


def test_a_rubric_copied_in_gets_ids_no_grade_points_at(graded, make):
    other = make.discussion(graded.course, created_by_id=graded.instructor.id)
    rubrics.update_grading_settings(graded.instructor, other, version=None,
                                    rubric=[{"title": "Tone", "levels": [{"points": 1}]}])
    rubrics.copy_rubric(graded.instructor, graded.discussion, other.id)
    assert [c["id"] for c in graded.discussion.rubric] == ["c3"]
