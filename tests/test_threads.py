"""Threads: replies at any depth, tombstones, prompts, and constant query counts."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import PromptState, Reply, ReplyKind, Role, utcnow


def _replies() -> int:
    return db.session.scalar(select(func.count()).select_from(Reply))


def _reply_ids_in_page(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<li class="reply[^"]*" id="reply-(\d+)"', html)]


def test_replies_nest_to_any_level_and_show_in_thread_order(world, login_as):
    client = login_as(world.student)
    url = f"/posts/{world.post.id}/replies"
    r1 = client.post(url, data={"body": "Level two", "parent_id": str(world.reply.id)})
    level2 = int(r1.headers["Location"].rsplit("reply-", 1)[1])
    r2 = login_as(world.classmate).post(url, data={"body": "Level three",
                                                   "parent_id": str(level2)})
    level3 = int(r2.headers["Location"].rsplit("reply-", 1)[1])
    sibling = login_as(world.ta).post(url, data={"body": "Top-level reply"})
    top = int(sibling.headers["Location"].rsplit("reply-", 1)[1])
    page = client.get(f"/posts/{world.post.id}").get_data(as_text=True)
    assert _reply_ids_in_page(page) == [world.reply.id, level2, level3, world.prompt.id, top]
    assert f'class="reply depth-2" id="reply-{level3}"' in page
    assert "in reply to" in page
    assert 'badge-ta">TA</span>' in page
    assert "5 responses" in page


def test_a_fifty_level_thread_stays_readable(world, make, login_as):
    parent = None
    chain = []
    for level in range(50):
        author = world.student if level % 2 else world.classmate
        parent = make.reply(world.post, author, parent=parent, body=f"Level {level + 1} says")
        chain.append(parent.id)
    assert parent.depth == 49
    page = login_as(world.student).get(f"/posts/{world.post.id}").get_data(as_text=True)
    ids = _reply_ids_in_page(page)
    assert ids[: ids.index(chain[-1]) + 1][-50:] == chain
    assert "depth-7" not in page  # indentation stops growing
    assert "level 50" in page     # but the true depth is still said


def test_a_deleted_reply_with_replies_leaves_a_tombstone(world, make, login_as):
    child = make.reply(world.post, world.student, parent=world.reply, body="Answer beneath")
    login_as(world.classmate).post(f"/replies/{world.reply.id}/delete")
    db.session.refresh(world.reply)
    assert world.reply.deleted_at is not None
    assert _replies() == 3  # nothing removed from the database
    page = login_as(world.student).get(f"/posts/{world.post.id}").get_data(as_text=True)
    assert "This reply was deleted." in page
    assert "Moderate for whom?" not in page
    assert "Ben Carter" not in page.split(f'id="reply-{world.reply.id}"')[1].split("</li>")[0]
    assert "Answer beneath" in page
    assert _reply_ids_in_page(page).index(world.reply.id) < _reply_ids_in_page(page).index(
        child.id)


def test_a_deleted_leaf_reply_vanishes_for_students_but_not_for_staff(world, login_as):
    login_as(world.classmate).post(f"/replies/{world.reply.id}/delete")
    student_page = login_as(world.student).get(f"/posts/{world.post.id}").get_data(as_text=True)
    assert f'id="reply-{world.reply.id}"' not in student_page
    assert "Moderate for whom?" not in student_page
    staff_page = login_as(world.ta).get(f"/posts/{world.post.id}").get_data(as_text=True)
    assert "Moderate for whom?" in staff_page and ">Restore</button>" in staff_page
    login_as(world.ta).post(f"/replies/{world.reply.id}/restore")
    restored = login_as(world.student).get(f"/posts/{world.post.id}").get_data(as_text=True)
    assert "Moderate for whom?" in restored


def test_replying_in_a_closed_discussion_is_refused_with_a_clear_message(world, login_as):
    world.discussion.closed_at = utcnow()
    db.session.commit()
    for seat in ("classmate", "instructor"):
        response = login_as(world.actors[seat]).post(f"/posts/{world.post.id}/replies",
                                                     data={"body": "Too late?"})
        assert response.status_code == 403
        assert "closed for replies" in response.get_data(as_text=True)
    assert _replies() == 2
    page = login_as(world.classmate).get(f"/posts/{world.post.id}").get_data(as_text=True)
    assert "This discussion is closed for replies." in page
    assert "Post reply" not in page


def test_replying_to_a_deleted_post_is_refused(world, login_as):
    login_as(world.student).post(f"/posts/{world.post.id}/delete")
    response = login_as(world.classmate).post(f"/posts/{world.post.id}/replies",
                                              data={"body": "Hello?"})
    assert response.status_code == 403
    assert _replies() == 2


@pytest.mark.parametrize(("parent", "message"), [
    ("other-post", "not in this thread"),
    ("999999", "not in this thread"),
    ("abc", "does not exist"),
    ("99999999999999999999999999999999999999", "does not exist"),
])
def test_a_reply_must_answer_a_message_of_the_same_thread(world, make, login_as, parent,
                                                          message):
    other = make.post(world.discussion, world.classmate, title="Elsewhere")
    elsewhere = make.reply(other, world.student)
    parent_id = str(elsewhere.id) if parent == "other-post" else parent
    before = _replies()
    response = login_as(world.classmate).post(f"/posts/{world.post.id}/replies",
                                              data={"body": "Misplaced", "parent_id": parent_id})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _replies() == before


def test_an_empty_reply_is_refused_on_the_form_it_came_from(world, login_as):
    response = login_as(world.classmate).post(
        f"/posts/{world.post.id}/replies", data={"body": "  ", "parent_id": str(world.reply.id)})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Reply is required." in page
    assert _replies() == 2


def test_a_reply_in_another_course_is_not_found(world, make, login_as):
    other_discussion = make.discussion(world.other_course)
    other_post = make.post(other_discussion, world.outsider)
    response = login_as(world.student).post(f"/posts/{other_post.id}/replies",
                                            data={"body": "Hi"})
    assert response.status_code == 404
    assert _replies() == 2


class TestPrompts:
    def test_staff_ask_a_prompt_quoting_a_passage(self, world, login_as):
        response = login_as(world.ta).post(f"/posts/{world.post.id}/prompts", data={
            "body": "What makes the tone harsh?",
            "quote": "The treaty was harsh in tone."})
        assert response.status_code == 302
        prompt = db.session.scalar(select(Reply).where(Reply.body == "What makes the tone harsh?"))
        assert prompt.kind is ReplyKind.PROMPT and prompt.prompt_state is PromptState.OPEN
        page = login_as(world.student).get(f"/posts/{world.post.id}").get_data(as_text=True)
        node = page.split(f'id="reply-{prompt.id}"')[1].split("</li>")[0]
        assert "Prompt for Ana Lindqvist" in node
        assert "<blockquote" in node and "The treaty was harsh in tone." in node

    def test_a_quote_must_come_from_the_post(self, world, login_as):
        response = login_as(world.ta).post(f"/posts/{world.post.id}/prompts", data={
            "body": "Really?", "quote": "Words the student never wrote."})
        assert response.status_code == 422
        assert "must be copied from the post" in response.get_data(as_text=True)
        assert _replies() == 2

    @staticmethod
    def _awaiting(client) -> str:
        page = client.get("/").get_data(as_text=True)
        return page.split('id="awaiting"')[1].split("</section>")[0] if 'id="awaiting"' in page \
            else ""

    def test_the_author_sees_it_awaiting_until_they_answer_beneath(self, world, login_as, make):
        client = login_as(world.student)
        assert "Which terms do you mean?" in self._awaiting(client)
        assert "Which terms" not in self._awaiting(login_as(world.classmate))
        make.reply(world.post, world.classmate, parent=world.prompt, body="I'd say reparations")
        db.session.refresh(world.prompt)
        assert world.prompt.prompt_state is PromptState.OPEN  # a classmate does not answer it
        deeper = make.reply(world.post, world.classmate, parent=world.prompt)
        make.reply(world.post, world.student, parent=deeper, body="The reparation clauses.")
        db.session.refresh(world.prompt)
        assert world.prompt.prompt_state is PromptState.ANSWERED
        assert "Which terms do you mean?" not in self._awaiting(client)

    def test_staff_follow_prompts_by_state_and_resolve_them(self, world, login_as, make):
        second = make.prompt(world.post, world.ta, body="Any primary source?")
        make.reply(world.post, world.student, parent=second, body="Article 231.")
        client = login_as(world.instructor)
        open_list = client.get(f"/discussions/{world.discussion.id}/prompts?state=open")
        assert "Which terms do you mean?" in open_list.get_data(as_text=True)
        assert "Any primary source?" not in open_list.get_data(as_text=True)
        answered = client.get(f"/discussions/{world.discussion.id}/prompts?state=answered")
        assert "Any primary source?" in answered.get_data(as_text=True)
        client.post(f"/replies/{second.id}/resolve", data={"back": "prompts"})
        db.session.refresh(second)
        assert second.prompt_state is PromptState.RESOLVED and second.resolved_at is not None
        resolved = client.get(f"/discussions/{world.discussion.id}/prompts?state=resolved")
        assert "Any primary source?" in resolved.get_data(as_text=True)
        assert client.get(f"/discussions/{world.discussion.id}/prompts?state=x").status_code == 400

    def test_students_cannot_ask_prompts(self, world, login_as):
        page = login_as(world.classmate).get(f"/posts/{world.post.id}").get_data(as_text=True)
        assert "Ask prompt" not in page
        response = login_as(world.classmate).post(f"/posts/{world.post.id}/prompts",
                                                  data={"body": "Gotcha"})
        assert response.status_code == 403
        assert _replies() == 2

    def test_a_removed_student_no_longer_sees_prompts_awaiting(self, world, login_as):
        from forum.models import Enrollment

        db.session.execute(Enrollment.__table__.delete().where(
            Enrollment.user_id == world.student.id))
        db.session.commit()
        assert "Which terms" not in self._awaiting(login_as(world.student))


class TestQueryCounts:
    """Pages cost a fixed number of SQL statements, however much they show."""

    def _grow_thread(self, make, world, replies: int) -> None:
        parent = None
        for n in range(replies):
            author = make.member(world.course, Role.STUDENT) if n % 3 == 0 else world.classmate
            parent = make.reply(world.post, author, parent=parent if n % 2 else None)

    def _statements(self, client, count_queries, url: str) -> int:
        client.get(url)  # warm caches that are not per request
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        return counter.count

    def test_post_page(self, world, make, login_as, count_queries):
        client = login_as(world.student)
        url = f"/posts/{world.post.id}"
        small = self._statements(client, count_queries, url)
        self._grow_thread(make, world, 60)
        assert self._statements(client, count_queries, url) == small <= 8

    def test_discussion_page(self, world, make, login_as, count_queries):
        client = login_as(world.ta)
        url = f"/discussions/{world.discussion.id}"
        small = self._statements(client, count_queries, url)
        for _ in range(15):
            post = make.post(world.discussion, make.member(world.course))
            make.reply(post, world.classmate)
        assert self._statements(client, count_queries, url) == small <= 10

    def test_dashboard(self, world, make, login_as, count_queries):
        small = {seat: self._statements(login_as(world.actors[seat]), count_queries, "/")
                 for seat in ("student", "instructor")}
        for n in range(8):
            discussion = make.discussion(world.course, title=f"Week {n}")
            post = make.post(discussion, world.student)
            make.prompt(post, world.instructor)
            make.reply(post, world.classmate)
        for seat in ("student", "instructor"):
            # Its lists, the student's progress and new grades, the staff's to-do list
            # and the unread counts of every course: a fixed number whatever the size.
            assert self._statements(login_as(world.actors[seat]), count_queries, "/") == \
                small[seat] <= 15

    def test_course_page(self, world, make, login_as, count_queries):
        client = login_as(world.student)
        url = f"/courses/{world.course.id}"
        small = self._statements(client, count_queries, url)
        for n in range(10):
            make.post(make.discussion(world.course, title=f"Week {n}"), world.classmate)
        assert self._statements(client, count_queries, url) == small <= 8


def test_concurrent_writers_on_one_thread_all_land_in_order(world, make, app, api):
    """Eight people answering the same thread at once: every reply acknowledged is
    there, each with a path of its own under its parent, and none is refused for a
    locked database."""
    writers = [make.member(world.course, Role.STUDENT, f"Writer {n}") for n in range(8)]
    tokens = [api.token_for(user) for user in writers]
    url, parent_id = f"/api/v1/posts/{world.post.id}/replies", world.reply.id
    db.session.commit()

    def write(token: str) -> list[tuple[int, int | None]]:
        client = app.test_client()
        answers = []
        for n in range(6):
            response = client.post(url, json={"body": f"Thought {n} from {token[-6:]}",
                                              "parent_id": parent_id if n % 2 else None},
                                   headers={"Authorization": f"Bearer {token}"})
            answers.append((response.status_code, (response.json or {}).get("id")))
        return answers

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = [answer for batch in pool.map(write, tokens) for answer in batch]
    assert [status for status, _ in answers] == [201] * 48
    created = {reply_id for _, reply_id in answers}
    rows = db.session.execute(select(Reply.id, Reply.parent_id, Reply.path)
                              .where(Reply.id.in_(created))).all()
    assert len(rows) == 48
    paths = {row.id: row.path for row in rows}
    assert len(set(paths.values())) == 48
    parent_path = db.session.get(Reply, parent_id).path
    for row in rows:
        expected_prefix = parent_path if row.parent_id == parent_id else ""
        assert row.path == expected_prefix + f"{row.id:010d}"


def test_the_dashboard_lists_replies_to_my_posts_and_replies_only(world, make, login_as):
    mine = make.reply(world.post, world.student, body="My own reply, answered below.")
    make.reply(world.post, world.classmate, parent=mine, body="An answer to her reply.")
    make.reply(world.post, world.ta, parent=world.reply, body="An answer to Ben, not her.")
    other = make.post(world.discussion, world.classmate, title="Ben's own post")
    make.reply(other, world.ta, body="A reply to Ben's post.")
    board = login_as(world.student).get("/").get_data(as_text=True)
    listed = board.split('id="recent-replies"')[1].split("</section>")[0]
    assert "An answer to her reply." in listed
    assert "Moderate for whom?" in listed  # Ben's answer to her post itself
    assert "An answer to Ben, not her." not in listed
    assert "A reply to Ben&#39;s post." not in listed and "Ben's post" not in listed
