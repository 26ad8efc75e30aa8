"""Words are counted as a reader counts them, once when text is written, and the roster
shows their sum."""

from __future__ import annotations

import re

import flask_migrate
import pytest
import sqlalchemy as sa

from forum import create_app
from forum.extensions import db
from forum.models import Role
from forum.services import posts
from forum.services.words import count_words
from tests.test_migrations import empty_database_url  # noqa: F401 - a fixture

# 150 words on lines, tabs, lists, a quote, a heading and a table: Markdown's marks and
# an ordered list's numbers are not words.
POST_BODY = "\n".join([
    "# The settlement in 1919",                       # 4
    "The treaty was harsh in tone\nbut moderate\tin substance.",  # 10
    "- reparations were large",                       # 3
    "- the C bonds were never meant to be paid",      # 9
    "* well-known critics: Keynes, Marks",            # 4
    "1. first the armistice",                         # 3
    "2) then the conference",                         # 3
    "> A quoted passage from Keynes",                 # 5
    "| source | year |",                              # 2
    "|---|---|",                                      # 0
    "| Keynes | 1919 |",                              # 2
    "---",                                            # 0
    "\t".join(["word"] * 50),                         # 50
    "\n".join(["line"] * 55),                         # 55
])
REPLY_BODY = "\n\n".join(["Moderate\tfor whom?"] * 10) + "\n" + "\n".join(["yes"] * 20)


def _roster_words(client, discussion, student) -> int:
    page = client.get(f"/discussions/{discussion.id}/grading").get_data(as_text=True)
    row = re.search(rf"<tr>\s*<td><a [^>]*>{re.escape(student.display_name)}</a></td>(.*?)</tr>",
                    page, re.S)
    assert row, "the student has a row on the roster"
    cells = re.findall(r"<td>(.*?)</td>", row.group(1), re.S)
    return int(cells[3])  # posts, replies to peers, prompts, words


def test_the_counting_rule():
    assert count_words(POST_BODY) == 150
    assert count_words(REPLY_BODY) == 50
    assert count_words("one\ntwo\tthree  four\r\nfive") == 5
    assert count_words("- * > # | --- ** — &") == 0
    assert count_words("") == count_words(None) == 0


def test_200_words_across_lines_tabs_and_lists_show_as_200(world, make, login_as):
    student = make.member(world.course, Role.STUDENT, "Dora Words")
    posts.create_post(student, world.discussion, title="Counted", body=POST_BODY)
    make.reply(world.post, student, body=REPLY_BODY)
    assert _roster_words(login_as(world.instructor), world.discussion, student) == 200


def test_an_edit_updates_the_count(world, make, login_as, api):
    student = make.member(world.course, Role.STUDENT, "Dora Words")
    post = posts.create_post(student, world.discussion, title="Counted", body=POST_BODY)
    reply = make.reply(world.post, student, body=REPLY_BODY)
    response = api.patch(student, f"/api/v1/posts/{post.id}",
                         {"body": POST_BODY + "\n- two\tmore"})
    assert response.status_code == 200
    response = login_as(student).post(f"/replies/{reply.id}/edit",
                                      data={"body": "Just\nthree words", "version": reply.version})
    assert response.status_code == 302
    assert _roster_words(login_as(world.instructor), world.discussion, student) == 155


def test_the_migration_counts_the_words_already_written(empty_database_url):  # noqa: F811
    app = create_app({"TESTING": True, "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        flask_migrate.upgrade(revision="0005")
        with db.engine.begin() as connection:
            _write_old_rows(connection, posts=3, replies=2_500)
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            post_counts = connection.execute(sa.text(
                "SELECT word_count FROM posts ORDER BY id")).scalars().all()
            reply_counts = set(connection.execute(sa.text(
                "SELECT word_count FROM replies")).scalars())
        db.engine.dispose()
    assert post_counts == [150, 150, 150]
    assert reply_counts == {50}


def _write_old_rows(connection, posts: int, replies: int) -> None:
    """Rows as a 0005 database holds them, before word counts existed."""
    now = "2026-11-01 10:00:00"
    connection.execute(sa.text(
        "INSERT INTO users (id, email, display_name, password_hash, is_admin, is_disabled, "
        "session_epoch, created_at) VALUES (1, 'a@example.edu', 'A', 'x', false, false, 0, "
        ":now)"), {"now": now})
    connection.execute(sa.text(
        "INSERT INTO courses (id, code, title, term, timezone, visibility, created_at, "
        "people_version) VALUES (1, 'H1', 'History', 'Fall', 'UTC', 'private', :now, 0)"),
        {"now": now})
    connection.execute(sa.text(
        "INSERT INTO discussions (id, course_id, title, prompt, prompt_html, opens_at, "
        "points_possible, created_by_id, created_at, updated_at, version, rubric, min_posts, "
        "min_peer_replies, require_prompt_answers, allow_extra_credit) VALUES (1, 1, 'D', "
        "'P', 'P', :now, 10, 1, :now, :now, 1, '[]', 1, 0, false, false)"), {"now": now})
    connection.execute(sa.text(
        "INSERT INTO posts (id, discussion_id, author_id, title, body, body_html, status, "
        "created_at, version) VALUES (:id, 1, 1, 'T', :body, '', 'published', :now, 1)"),
        [{"id": n + 1, "body": POST_BODY, "now": now} for n in range(posts)])
    connection.execute(sa.text(
        "INSERT INTO replies (id, post_id, author_id, kind, body, body_html, path, depth, "
        "created_at, version) VALUES (:id, 1, 1, 'reply', :body, '', :path, 0, :now, 1)"),
        [{"id": n + 1, "body": REPLY_BODY, "path": f"{n + 1:010d}", "now": now}
         for n in range(replies)])


@pytest.mark.parametrize("text, words", [("Keynes,\n\n\tMarks", 2), ("1. 1919", 1)])
def test_lists_numbers_and_years(text, words):
    assert count_words(text) == words
