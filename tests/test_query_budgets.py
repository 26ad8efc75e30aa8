"""No N+1 anywhere: every page and every API read costs a known number of SQL
statements, the same in a small course and in that course grown to hundreds of
students and replies."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, insert, update

from forum.extensions import db
from forum.models import Enrollment, Reply, ReplyKind, Role, User, utcnow
from forum.models.replies import path_segment
from forum.services import annotations, grading
from forum.services.course_archives import export_course
from tests.test_access import PAGES
from tests.test_access import _url as page_url
from tests.test_api_access import TABLE, _fill

# Statements per request once warm (the post page's thread comes from the cache).
PAGE_BUDGETS = {
    'course': 9,  # with the staff's waiting counts (2), whether you follow it (1)
    'members': 3,
    'course settings': 2,
    'new course': 1,
    'discussion': 6,  # with what is unread (1), whether you follow it (1)
    'new discussion': 2,
    'edit discussion': 2,
    'prompt list': 3,
    'post': 4,  # with its images (1); +1 when the thread moved on since the last visit
    'search': 6,
    'search my courses': 5,
    'notifications': 3,  # none here: tests/test_notifications.py has many
    'notification settings': 2,
    'mail not sent': 2,
    'write a post': 2,
    'edit post': 3,  # with its images (1)
    'post revisions': 3,
    'edit reply': 2,
    'reply revisions': 3,
    'api tokens': 2,
    'grading roster': 7,
    'grading a student': 16,  # with what was sent to the LMS (1; its tries +1 if any)
    'grading settings': 3,
    'confirm release': 3,
    'gradebook': 5,
    'gradebook export': 5,
    'lti platforms': 3,
    'lti scores not taken': 2,
    'import a course': 1,
    'my grades': 2,
    'change password': 1,
    'moderation queue': 7,
    'report a post': 5,
    'report a reply': 6,
}
# The token's user comes with their courses in the token's own statement.
API_BUDGETS = {
    '/api/v1/tokens': 3,
    '/api/v1/me': 2,
    '/api/v1/me/prompts': 3,
    '/api/v1/me/mentions': 5,  # the scopes of each of your courses, in one
    '/api/v1/me/feeds': 2,
    '/api/v1/notifications': 4,  # none here: tests/test_notifications.py has many
    '/api/v1/notifications/unread': 3,
    '/api/v1/me/notification-settings': 3,
    '/api/v1/posts/<id:thing_id>/subscription': 4,
    '/api/v1/discussions/<id:thing_id>/subscription': 4,
    '/api/v1/courses/<id:thing_id>/subscription': 4,
    '/api/v1/courses': 4,  # with what is unread (1)
    '/api/v1/courses/<id:course_id>': 4,  # with what is unread (1)
    '/api/v1/courses/<id:course_id>/members': 4,
    '/api/v1/courses/<id:course_id>/mentionable': 4,
    '/api/v1/courses/<id:course_id>/members/<id:member_id>': 5,
    '/api/v1/courses/<id:course_id>/discussions': 7,
    '/api/v1/discussions/<id:discussion_id>': 4,  # with what is unread (1)
    # the page's images in one (1), which of them you like in one (1)
    '/api/v1/discussions/<id:discussion_id>/posts': 10,  # with what is unread (1)
    # with the authors' roles (1) and which you like (1)
    '/api/v1/discussions/<id:discussion_id>/prompts': 6,
    '/api/v1/posts/<id:post_id>': 6,  # with its images (1), whether you like it (1)
    # and what is unread (1)
    # with its images (1) and what you like in it (1)
    '/api/v1/posts/<id:post_id>/thread': 8,  # with your read mark (1)
    # A search narrowed to a course reads the course first (1).
    '/api/v1/search?q=treaty': 5,
    '/api/v1/search?q=treaty&course_id={course}': 6,
    '/api/v1/posts/<id:post_id>/revisions': 4,
    '/api/v1/posts/<id:post_id>/replies': 6,  # with the replies you like (1)
    '/api/v1/replies/<id:reply_id>': 5,  # with whether you like it (1)
    '/api/v1/replies/<id:reply_id>/revisions': 4,
    '/api/v1/discussions/<id:discussion_id>/rubric': 3,
    '/api/v1/discussions/<id:discussion_id>/grades': 8,
    '/api/v1/discussions/<id:discussion_id>/grades/<id:user_id>': 4,
    '/api/v1/discussions/<id:discussion_id>/participation': 8,
    '/api/v1/me/grades': 3,
    '/api/v1/me/progress': 3,  # an instructor takes no discussion as a student
    # ungraded, drafts, old prompts (3) and what waits for moderation (2)
    '/api/v1/me/todo': 8,
    # the student (1), their figures (3), grade (1) and open prompts (1)
    '/api/v1/discussions/<id:discussion_id>/progress': 9,
    '/api/v1/courses/<id:course_id>/gradebook': 6,
    '/api/v1/posts/<id:post_id>/annotations': 4,
    '/api/v1/courses/<id:course_id>/moderation': 7,
    '/api/v1/posts/<id:post_id>/flags': 4,
    '/api/v1/replies/<id:reply_id>/flags': 4,
}

# An archive job's reads: tests/test_archive_jobs.py (the world here has no job).
API_READS = [(url, rule) for method, rule, url, _, _ in TABLE
             if method == "GET" and "openapi" not in rule and "/docs" not in rule
             and "archive-jobs" not in rule]


def crowd(world, students: int = 200, replies: int = 480) -> None:
    """Hundreds of students in the course, and replies from them on the world's post,
    written in a few statements."""
    users = db.session.scalars(insert(User).returning(User.id), [
        {"email": f"crowd{n}@example.edu", "display_name": f"Crowd member {n}",
         "password_hash": "not-a-hash"} for n in range(students)]).all()
    db.session.execute(insert(Enrollment), [
        {"user_id": user, "course_id": world.course.id, "role": Role.STUDENT} for user in users])
    now = utcnow()
    ids = db.session.scalars(insert(Reply).returning(Reply.id), [
        {"post_id": world.post.id, "author_id": users[n % students], "kind": ReplyKind.REPLY,
         "body": f"Crowd reply {n}", "body_html": f"<p>Crowd reply {n}</p>", "path": "",
         "depth": 0, "created_at": now, "version": 1} for n in range(replies)]).all()
    table = Reply.__table__
    db.session.execute(
        update(table).where(table.c.id == bindparam("rid"))
        .values(path=bindparam("rpath"), version=table.c.version + 1),
        [{"rid": reply_id, "rpath": path_segment(reply_id)} for reply_id in ids])
    db.session.commit()


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
    _reactions_and_anonymity(world)
    crowd(world)


def _reactions_and_anonymity(world) -> None:
    """Anonymous replies, likes and endorsements: a thread must cost the same with them."""
    from forum.models import Anonymity
    from forum.services import reactions, replies

    world.discussion.anonymity = Anonymity.ALLOWED
    db.session.commit()
    for n in range(4):
        unsigned = replies.reply_to(world.classmate, world.post, None,
                                    f"Unsigned view number {n}.", anonymous=True)
        reactions.like(world.student, unsigned)
        reactions.endorse(world.ta, unsigned)
    reactions.like(world.classmate, world.post)


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
    assert _statements(lambda: client.get(url), count_queries) == small == PAGE_BUDGETS[page]


# A course archive reads in a snapshot of its own: on PostgreSQL a REPEATABLE READ
# transaction on its own connection, whose isolation level is one statement more.
EXPORT_BUDGET = {"sqlite": 23, "postgresql": 24}


def test_a_course_archive_costs_the_same_at_any_size(seated, make, count_queries,
                                                     tmp_path):
    def statements() -> int:
        with count_queries() as counter:
            export_course(seated.instructor, seated.course, tmp_path / "course.tar.gz")
        return counter.count

    small = statements()
    grow(seated, make)
    assert statements() == small == EXPORT_BUDGET[db.engine.dialect.name]


@pytest.mark.parametrize(("url", "rule"), API_READS, ids=[rule for _, rule in API_READS])
def test_api_reads_cost_the_same_at_any_size(seated, make, api, count_queries, url, rule):
    budget = API_BUDGETS.get(url) or API_BUDGETS[rule]  # by URL where one
    # rule has several
    url = _fill(url, seated)
    user = seated.student if rule.endswith("/grades/<id:user_id>") else seated.instructor
    small = _statements(lambda: api.get(user, url), count_queries)
    grow(seated, make)
    assert _statements(lambda: api.get(user, url), count_queries) == small == budget
