"""The grading roster sorts and filters, on the page and in the API, and "Release all"
asks first, saying how many students will see their grades."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Grade, GradeState, Role, utcnow
from forum.services import grading


@pytest.fixture
def roster(world, make):
    """Four students: Ana (7, released, requirements met), Ben (draft 9, no post, a late
    reply), Chloé (draft 3, met), Dev (ungraded, nothing written)."""
    w = world
    w.chloe = make.member(w.course, Role.STUDENT, "Chloé Martin")
    w.dev = make.member(w.course, Role.STUDENT, "Dev Patel")
    make.post(w.discussion, w.chloe, title="Chloé's view")
    grading.save_grade(w.ta, w.discussion, w.student.id, version=None, score=7)
    grading.release_grades(w.instructor, w.discussion)
    grading.save_grade(w.ta, w.discussion, w.classmate.id, version=None, score=9)
    grading.save_grade(w.ta, w.discussion, w.chloe.id, version=None, score=3)
    earlier = utcnow() - timedelta(hours=2)
    for post in w.discussion.posts:
        post.published_at = earlier
    w.reply.created_at = w.prompt.created_at = earlier
    w.discussion.due_at = utcnow() - timedelta(hours=1)  # Ben's next reply is late
    db.session.commit()
    make.reply(w.post, w.classmate, body="A late thought.")
    return w


def _names(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<td><a [^>]*>([^<]+)</a></td>", body)


def _roster(client, w, query: str = ""):
    return client.get(f"/discussions/{w.discussion.id}/grading{query}")


@pytest.mark.parametrize(("query", "names"), [
    ("", ["Ana Lindqvist", "Ben Carter", "Chloé Martin", "Dev Patel"]),
    ("?sort=name&order=desc", ["Dev Patel", "Chloé Martin", "Ben Carter", "Ana Lindqvist"]),
    # the ungraded student comes last whichever way scores go
    ("?sort=score&order=desc", ["Ben Carter", "Ana Lindqvist", "Chloé Martin", "Dev Patel"]),
    ("?sort=score", ["Chloé Martin", "Ana Lindqvist", "Ben Carter", "Dev Patel"]),
    ("?sort=state", ["Dev Patel", "Ben Carter", "Chloé Martin", "Ana Lindqvist"]),
    ("?state=draft", ["Ben Carter", "Chloé Martin"]),
    ("?state=draft&sort=score&order=desc&late=1", ["Ben Carter"]),
    ("?late=0&met=1", ["Ana Lindqvist", "Chloé Martin"]),
    ("?met=0", ["Ben Carter", "Dev Patel"]),
])
def test_the_roster_sorts_and_filters(roster, login_as, query, names):
    response = _roster(login_as(roster.ta), roster, query)
    assert response.status_code == 200
    assert _names(response.get_data(as_text=True)) == names


def test_the_sorted_column_says_so_and_its_link_turns_the_order(roster, login_as):
    html = _roster(login_as(roster.ta), roster, "?sort=score&order=desc&state=draft") \
        .get_data(as_text=True)
    headers = re.findall(r"<th scope=\"col\"([^>]*)>\s*<a href=\"([^\"]+)\">(\w+)</a>", html)
    sorted_ = {label: (attrs.strip(), href) for attrs, href, label in headers}
    assert sorted_["Grade"][0] == 'aria-sort="descending"'
    assert "order=asc" in sorted_["Grade"][1] and "state=draft" in sorted_["Grade"][1]
    assert sorted_["Student"] == ("", f"/discussions/{roster.discussion.id}/grading?state=draft")
    assert html.count("aria-sort=") == 1
    assert 'selected>Draft</option>' in html  # the form shows the filter in force


@pytest.mark.parametrize("query", ["?sort=password&state=drafty&late=maybe",
                                   "?order=%00&met=" + "9" * 400])
def test_values_the_page_does_not_know_are_ignored_and_said(roster, login_as, query):
    response = _roster(login_as(roster.ta), roster, query)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "not understood and are ignored" in html
    assert len(_names(html)) == 4  # everyone, by name


@pytest.mark.parametrize(("query", "field"), [
    ("sort=password", "sort"), ("order=up", "order"), ("state=drafty", "state"),
    ("late=maybe", "late"), ("met=2", "met"), ("sort=", "sort")])
def test_the_api_refuses_what_it_does_not_know(roster, api, query, field):
    for resource in ("participation", "grades"):
        response = api.get(roster.ta,
                           f"/api/v1/discussions/{roster.discussion.id}/{resource}?{query}")
        assert response.status_code == 422
        assert field in str(response.json["errors"])


def test_the_api_sorts_and_filters_as_the_page_does(roster, api):
    url = f"/api/v1/discussions/{roster.discussion.id}/participation"
    rows = api.get(roster.ta, f"{url}?sort=score&order=desc").json
    assert [r["student"]["display_name"] for r in rows] == [
        "Ben Carter", "Ana Lindqvist", "Chloé Martin", "Dev Patel"]
    late = api.get(roster.ta, f"{url}?late=true").json
    assert [(r["student"]["display_name"], r["late_items"]) for r in late] == [("Ben Carter", 1)]
    grades = api.get(roster.ta, f"/api/v1/discussions/{roster.discussion.id}/grades"
                                "?state=draft").json
    assert [g["state"] for g in grades] == ["draft", "draft"]


def _drafts() -> int:
    return db.session.scalar(select(func.count()).select_from(Grade)
                             .where(Grade.state == GradeState.DRAFT))


def test_release_all_asks_first_and_releases_what_was_confirmed(roster, login_as):
    client = login_as(roster.instructor)
    roster_page = _roster(client, roster).get_data(as_text=True)
    confirm_url = f"/discussions/{roster.discussion.id}/grading/release"
    assert f'href="{confirm_url}"' in roster_page  # a link: nothing is released yet
    page = client.get(confirm_url).get_data(as_text=True)
    assert "2 students will see their grades" in page
    assert "Ben Carter" in page and "Chloé Martin" in page
    assert "Ana Lindqvist" not in page and "Dev Patel" not in page  # released, ungraded
    assert 'name="expected" value="2"' in page

    for unconfirmed in ({}, {"expected": "two"}, {"expected": "2" * 5000}):
        refused = client.post(confirm_url, data=unconfirmed)  # back to the question
        assert refused.status_code == 302
        assert refused.headers["Location"].endswith(confirm_url)
    assert _drafts() == 2
    stale = client.post(confirm_url, data={"expected": "1"})
    assert stale.status_code == 409
    assert "Nothing was released" in stale.get_data(as_text=True) and _drafts() == 2

    done = client.post(confirm_url, data={"expected": "2"}, follow_redirects=True)
    assert "2 grade(s) released to students." in done.get_data(as_text=True)
    assert _drafts() == 0
    assert "no draft grades to release" in client.get(confirm_url).get_data(as_text=True)


def test_only_instructors_are_asked(roster, login_as):
    url = f"/discussions/{roster.discussion.id}/grading/release"
    assert login_as(roster.ta).get(url).status_code == 403
    assert login_as(roster.ta).post(url, data={"expected": "2"}).status_code == 403
    assert login_as(roster.classmate).get(url).status_code == 403
    assert _drafts() == 2


def test_the_api_answers_how_many_were_released(roster, api):
    response = api.post(roster.instructor,
                        f"/api/v1/discussions/{roster.discussion.id}/grades/release")
    assert response.status_code == 200
    assert response.json["count"] == 2
    assert sorted(response.json["released"]) == sorted([roster.classmate.id, roster.chloe.id])
