"""Re-grading: the score follows the rubric unless the grader typed a different one,
also for a browser without JavaScript that sends the form back as the page drew it."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import Grade
from forum.services import grading, rubrics


class _FormAsDrawn(HTMLParser):
    """The grade form's fields as a browser would send them untouched: text and hidden
    inputs with their values, checked radios, and each input's placeholder."""

    def __init__(self, page: str):
        super().__init__()
        self.data: dict[str, str] = {}
        self.placeholders: dict[str, str] = {}
        self._inside = False
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._inside = attrs.get("id") == "grade-form"
        elif tag == "input" and self._inside and attrs.get("name"):
            name = attrs["name"]
            if attrs.get("type") == "radio":
                if "checked" in attrs:
                    self.data[name] = attrs["value"]
            else:
                self.data[name] = attrs.get("value") or ""
                self.placeholders[name] = attrs.get("placeholder") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._inside = False


@pytest.fixture
def rubric(world):
    """Argument 4 / 2, Sources 3 / 0, out of 10: the levels' ids by name."""
    rubrics.update_grading_settings(
        world.instructor, world.discussion, version=None,
        rubric=[{"title": "Argument", "levels": [{"points": 4, "description": "Strong"},
                                                 {"points": 2, "description": "Weak"}]},
                {"title": "Sources", "levels": [{"points": 3, "description": "Good"},
                                                {"points": 0, "description": "None"}]}])
    argument, sources = world.discussion.rubric
    return {"argument": argument["id"], "sources": sources["id"],
            "strong": "c1-l1", "weak": "c1-l2", "good": "c2-l1", "none": "c2-l2"}


def _url(world) -> str:
    return f"/discussions/{world.discussion.id}/grading/{world.student.id}"


def _drawn(client, world) -> _FormAsDrawn:
    page = client.get(_url(world))
    assert page.status_code == 200
    return _FormAsDrawn(page.get_data(as_text=True))


def _grade() -> Grade:
    db.session.expire_all()
    return db.session.scalar(select(Grade))


def test_changing_a_level_of_a_rubric_grade_saves_the_new_sum(world, rubric, login_as):
    grading.save_grade(world.ta, world.discussion, world.student.id, version=None,
                       rubric_scores={rubric["argument"]: rubric["strong"],
                                      rubric["sources"]: rubric["good"]})
    client = login_as(world.ta)
    form = _drawn(client, world)
    assert form.data["score"] == "" and form.placeholders["score"] == "7"
    form.data[f"criterion-{rubric['argument']}"] = rubric["weak"]
    assert client.post(_url(world), data=form.data).status_code == 302
    assert _grade().score == 5 and _grade().override_reason is None


def test_a_score_given_alone_then_levels_chosen_follows_the_rubric(world, rubric, login_as):
    grading.save_grade(world.ta, world.discussion, world.student.id, version=None, score=6)
    client = login_as(world.ta)
    form = _drawn(client, world)
    assert form.data["score"] == "6.0"  # no levels yet: the score is the grader's own
    form.data[f"criterion-{rubric['argument']}"] = rubric["strong"]
    form.data[f"criterion-{rubric['sources']}"] = rubric["none"]
    assert client.post(_url(world), data=form.data).status_code == 302
    assert _grade().score == 4


def test_an_override_with_its_reason_is_kept_when_levels_change(world, rubric, login_as):
    grading.save_grade(world.ta, world.discussion, world.student.id, version=None,
                       rubric_scores={rubric["argument"]: rubric["weak"]}, score=6,
                       override_reason="Sources beyond the rubric")
    client = login_as(world.ta)
    form = _drawn(client, world)
    assert form.data["score"] == "6.0" and form.placeholders["score"] == "2"
    form.data[f"criterion-{rubric['sources']}"] = rubric["good"]
    assert client.post(_url(world), data=form.data).status_code == 302
    assert _grade().score == 6 and _grade().override_reason == "Sources beyond the rubric"


def test_a_typed_different_score_still_needs_a_reason(world, rubric, login_as):
    grading.save_grade(world.ta, world.discussion, world.student.id, version=None,
                       rubric_scores={rubric["argument"]: rubric["strong"],
                                      rubric["sources"]: rubric["good"]})
    client = login_as(world.ta)
    form = _drawn(client, world)
    form.data["score"] = "8"
    refused = client.post(_url(world), data=form.data)
    assert refused.status_code == 422
    assert "Say why the score differs from the rubric" in refused.get_data(as_text=True)
    assert _grade().score == 7
    form.data["override_reason"] = "Led the discussion"
    assert client.post(_url(world), data=form.data).status_code == 302
    assert _grade().score == 8 and _grade().override_reason == "Led the discussion"
