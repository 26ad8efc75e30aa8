"""No N+1 anywhere: every page and every API read costs the same number of SQL
statements in a small course and in the same course grown several times over."""

from __future__ import annotations

import pytest

from forum.models import Role
from forum.services import annotations, grading
from tests.test_access import PAGES
from tests.test_access import _url as page_url
from tests.test_api_access import TABLE, _fill

API_READS = [(url, rule) for method, rule, url, _, _ in TABLE
             if method == "GET" and "openapi" not in rule and "/docs" not in rule]


def grow(world, make) -> None:
    """More of everything a page could be tempted to load one by one."""
    parent = world.reply
    for n in range(12):
        parent = make.reply(world.post, world.classmate if n % 2 else world.student,
                            parent=parent)
    make.prompt(world.post, world.ta, body="Another question?")
    for n in range(6):
        student = make.member(world.course, Role.STUDENT, f"Extra student {n}")
        post = make.post(world.discussion, student, title=f"Extra post {n}",
                         sources=[("A source", None), ("Another", "https://example.org")])
        make.reply(post, world.student)
        make.prompt(post, world.instructor)
        grading.save_grade(world.ta, world.discussion, student.id, version=None, score=5)
        annotations.annotate(world.ta, world.post, quote="harsh in tone", body=f"Note {n}")
    make.discussion(world.course, title="Another week")


def _statements(fetch, count_queries) -> int:
    fetch()
    with count_queries() as counter:
        response = fetch()
    assert response.status_code == 200, response.status_code
    return counter.count


@pytest.mark.parametrize("page", PAGES)
def test_pages_cost_the_same_at_any_size(seated, make, login_as, count_queries, page):
    template, expected = PAGES[page]
    seat = next(seat for seat, status in expected.items() if status == 200)
    client = login_as(seated.actors[seat])
    url = page_url(template, seated)
    small = _statements(lambda: client.get(url), count_queries)
    grow(seated, make)
    assert _statements(lambda: client.get(url), count_queries) == small


@pytest.mark.parametrize(("url", "rule"), API_READS, ids=[rule for _, rule in API_READS])
def test_api_reads_cost_the_same_at_any_size(seated, make, api, count_queries, url, rule):
    url = _fill(url, seated)
    user = seated.student if rule.endswith("/grades/<id:user_id>") else seated.instructor
    small = _statements(lambda: api.get(user, url), count_queries)
    grow(seated, make)
    assert _statements(lambda: api.get(user, url), count_queries) == small
