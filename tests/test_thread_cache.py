"""The post page's thread is rendered once per kind of viewer and kept: no viewer ever
gets what was meant for another, and every write shows at once."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from flask import g
from flask_login import current_user, login_user
from flask_wtf.csrf import generate_csrf

from forum import config, create_app
from forum.extensions import db
from forum.models import Role
from forum.services import accounts, courses, discussions, posts, replies
from forum.services.reading import read_state
from forum.services.threads import load_thread
from forum.web.thread_view import ThreadPage, _render, thread_html
from tests.conftest import redis_test_url
from tests.test_api import _redis_url


@pytest.fixture
def crowd(world, make):
    """The world with more on the thread: each person's own reply, a second TA, a
    deleted reply under which a live one hangs, an edited reply."""
    world.ta2 = make.member(world.course, Role.TA, "Second TA")
    world.ta_reply = make.reply(world.post, world.ta, body="A TA thinks aloud.")
    world.own_reply = make.reply(world.post, world.student, parent=world.reply,
                                 body="The author answers her classmate.")
    world.hasty = make.reply(world.post, world.classmate, body="Said in haste, unkindly.")
    make.reply(world.post, world.student, parent=world.hasty, body="Beneath the hasty one.")
    replies.delete_reply(world.classmate, world.hasty)
    world.edited = make.reply(world.post, world.classmate, body="First thoughts.")
    replies.update_reply(world.classmate, world.edited, version=world.edited.version,
                         body="Second thoughts.")
    return world


def _cached_and_direct(app, user, post) -> tuple[str, str]:
    """The thread as served (through the shared copy) and as rendered for this viewer
    alone, in one request so that both carry the same CSRF token."""
    with app.test_request_context(f"/posts/{post.id}"):
        g.pop("_login_user", None)  # the test's app context outlives each request
        if user is not None:
            login_user(user)
        token = generate_csrf() if user is not None else ""
        served = str(thread_html(post).html)
        alone = ThreadPage(post, load_thread(current_user, post), current_user, token,
                           read=read_state(current_user, post))
        return served, str(_render(alone))


VIEWERS = ["anonymous", "outsider", "student", "classmate", "ta", "ta2", "instructor", "admin"]


@pytest.mark.parametrize("public", [False, True])
def test_every_viewer_sees_exactly_their_own_rendering(app, crowd, make, public):
    if public:
        crowd.course.visibility = crowd.course.visibility.PUBLIC
    seen = set()
    for name in VIEWERS * 2:  # the second round is served from copies made by others
        user = getattr(crowd, name) if name != "anonymous" else None
        if name in ("anonymous", "outsider") and not public:
            continue
        served, alone = _cached_and_direct(app, user, crowd.post)
        assert served == alone, name
        seen.add(served)
    assert len(seen) >= 5  # students, TAs, instructor, admin... differ from each other


def test_held_replies_reach_only_staff_and_their_own_author(app, crowd, make):
    """A reply held by the moderators is never in a copy served to others; its author,
    a member or a guest in the browser that wrote it, gets a rendering of their own."""
    from forum.models import Anonymous, GuestComments
    from forum.services import guests, moderation

    crowd.course.visibility = crowd.course.visibility.PUBLIC
    crowd.course.guest_comments = GuestComments.MODERATED
    db.session.commit()
    held = make.reply(crowd.post, crowd.classmate, body="A member's reply under review.")
    moderation.moderate(crowd.ta, held, "hide", "Check the quotation")
    comment = guests.comment_as_guest(Anonymous(), crowd.post, guests.GuestInput(
        name="Visitor", email="visitor@example.org", body="A visitor's held comment."))
    visitor = Anonymous(guest_ids=frozenset({comment.guest_id}))
    staff = {"ta", "ta2", "instructor", "admin"}
    for name in [*VIEWERS, "visitor"] * 2:
        user = {"anonymous": None, "visitor": visitor}[name] if name in (
            "anonymous", "visitor") else getattr(crowd, name)
        served, alone = _served_to(app, user, crowd.post, comment)
        assert served == alone, name
        assert ("under review" in served) is (name in staff | {"classmate"}), name
        assert ("held comment" in served) is (name in staff | {"visitor"}), name
        assert "visitor@example.org" not in served


def _served_to(app, user, post, comment) -> tuple[str, str]:
    """Like _cached_and_direct, for a guest too (known by this browser's session)."""
    if user is None or user.is_authenticated:
        return _cached_and_direct(app, user, post)
    with app.test_request_context(f"/posts/{post.id}"):
        from flask import session

        session["guest_comments"] = {str(comment.guest_id): post.id}
        g._login_user = user
        served = str(thread_html(post).html)
        alone = ThreadPage(post, load_thread(user, post), user, "")
        return served, str(_render(alone))


def _page(client, post) -> str:
    response = client.get(f"/posts/{post.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _thread(client, post) -> str:
    """The thread section of the page, CSRF tokens blanked (they change by the second)."""
    html = _page(client, post)
    section = html[html.index('<section id="thread"'):]
    section = section[:section.index("</section>")]
    return re.sub(r'name="csrf_token" value="[^"]+"', 'name="csrf_token" value=""', section)


def _edit_link(reply) -> str:
    return f'href="/replies/{reply.id}/edit"'


def _tokens(html: str) -> set[str]:
    return set(re.findall(r'name="csrf_token" value="([^"]+)"', html))


class TestWithCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_a_classmate_gets_neither_the_authors_controls_nor_her_token(
            self, crowd, app, login_as):
        first = _page(login_as(crowd.student), crowd.post)
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = crowd.classmate.get_id()
        second = _page(client, crowd.post)
        assert _edit_link(crowd.own_reply) in first and _edit_link(crowd.reply) not in first
        assert _edit_link(crowd.reply) in second and _edit_link(crowd.own_reply) not in second
        assert len(_tokens(first)) == len(_tokens(second)) == 1
        assert _tokens(first) != _tokens(second)
        token = _tokens(second).pop()
        answer = client.post(f"/posts/{crowd.post.id}/replies",
                             data={"body": "Posted with my own token.", "csrf_token": token})
        assert answer.status_code == 302

    def test_a_second_ta_moderates_but_cannot_edit_the_firsts_reply(self, crowd, login_as):
        first = _page(login_as(crowd.ta), crowd.post)
        second = _page(login_as(crowd.ta2), crowd.post)
        assert _edit_link(crowd.ta_reply) in first
        assert _edit_link(crowd.ta_reply) not in second
        delete = f'action="/replies/{crowd.ta_reply.id}/delete"'
        assert delete in first and delete in second
        assert _tokens(first).isdisjoint(_tokens(second))


def test_students_never_get_the_staff_copy(crowd, login_as):
    staff = _page(login_as(crowd.instructor), crowd.post)
    student = _page(login_as(crowd.classmate), crowd.post)
    assert "Said in haste, unkindly." in staff
    assert "Said in haste, unkindly." not in student
    assert "This reply was deleted." in student
    assert "/restore" not in student and "Ask Ana Lindqvist a prompt" not in student


def test_anonymous_visitors_get_no_forms_or_tokens(crowd, make, login_as):
    crowd.course.visibility = crowd.course.visibility.PUBLIC
    _page(login_as(crowd.student), crowd.post)
    page = _page(login_as(None), crowd.post)
    assert "Moderate for whom?" in page
    assert "csrf_token" not in page and "<textarea" not in page
    assert "Said in haste, unkindly." not in page


def _rename(w):
    accounts.update_profile(w.classmate, "Benjamin Carter-Hughes")


def _promote(w):
    enrollment = next(e for e in w.course.enrollments if e.user_id == w.classmate.id)
    courses.change_role(w.instructor, enrollment, "ta")


def _close(w):
    discussions.update_discussion(w.instructor, w.discussion, version=w.discussion.version,
                                  closed=True)


WRITES = {
    "a new reply": (lambda w: w.make.reply(w.post, w.instructor, body="Fresh from the TA."),
                    "Fresh from the TA.", None),
    "an edit": (lambda w: replies.update_reply(w.classmate, w.reply, version=w.reply.version,
                                               body="Moderate, for whom exactly?"),
                "Moderate, for whom exactly?", "Moderate for whom?"),
    "a deletion": (lambda w: replies.delete_reply(w.instructor, w.reply),
                   None, "Moderate for whom?"),
    "an answered prompt": (lambda w: w.make.reply(w.post, w.student, parent=w.prompt,
                                                  body="The reparations."),
                           "Answered", None),
    "a resolved prompt": (lambda w: replies.resolve_prompt(w.ta, w.prompt), "Resolved", None),
    "a new display name": (_rename, "Benjamin Carter-Hughes", None),
    "a new role": (_promote, 'badge-ta">TA</span>', None),
    "a closed discussion": (_close, "This discussion is closed for replies.", "Post reply"),
    "a deleted post": (lambda w: posts.delete_post(w.instructor, w.post), None, "Post reply"),
}


@pytest.mark.parametrize("write", WRITES)
def test_every_write_shows_at_once(world, make, login_as, write):
    world.make = make
    change, shown, gone = WRITES[write]
    client = login_as(make.member(world.course, Role.STUDENT, "Quiet Reader"))
    before = _thread(client, world.post)
    change(world)
    after = _thread(client, world.post)
    assert after != before
    if shown:
        assert shown in after
    if gone:
        assert gone not in after


def test_a_restored_reply_comes_back(world, login_as):
    replies.delete_reply(world.instructor, world.reply)
    client = login_as(world.classmate)
    assert "Moderate for whom?" not in _thread(client, world.post)
    replies.restore_reply(world.instructor, world.reply)
    assert "Moderate for whom?" in _thread(client, world.post)


def test_a_removed_members_badge_goes(world, login_as):
    client = login_as(world.student)
    world.ta_reply = replies.reply_to(world.ta, world.post, None, "Hello from the TA.")
    assert 'badge-ta">TA</span>' in _thread(client, world.post)
    enrollment = next(e for e in world.course.enrollments if e.user_id == world.ta.id)
    courses.remove_member(world.instructor, enrollment)
    assert 'badge-ta">TA</span>' not in _thread(client, world.post)


def _statements_for(client, post, count_queries) -> int:
    with count_queries() as counter:
        assert client.get(f"/posts/{post.id}").status_code == 200
    return counter.count


def test_a_kept_thread_is_not_read_again(world, make, login_as, count_queries):
    for n in range(5):
        make.reply(world.post, world.classmate, body=f"One more thought, number {n}.")
    first = _statements_for(login_as(world.student), world.post, count_queries)
    again = _statements_for(login_as(world.classmate), world.post, count_queries)
    assert again <= first - 2  # neither the replies nor their authors' roles


@pytest.mark.skipif(_redis_url() is None, reason="no Redis on 127.0.0.1:6379")
class TestSharedInRedis:
    """With a redis:// cache, a copy made by one worker serves the others."""

    URL = redis_test_url(14)

    @pytest.fixture
    def app_config(self):
        import redis

        with redis.Redis.from_url(self.URL) as connection:
            connection.flushdb()
        return config.cache_settings(self.URL)

    def test_a_second_worker_uses_the_first_ones_copy(self, app, world, login_as,
                                                       count_queries):
        first = _statements_for(login_as(world.student), world.post, count_queries)
        post, reader = SimpleNamespace(id=world.post.id), world.classmate.get_id()
        other_worker = create_app(dict(app.config))
        other_worker.test_client_class = type(app.test_client())
        with other_worker.app_context():
            client = other_worker.test_client()
            with client.session_transaction() as session:
                session["_user_id"] = reader
            again = _statements_for(client, post, count_queries)
            db.session.remove()
            db.engine.dispose()
        assert again <= first - 2


class TestRedisAway:
    @pytest.fixture
    def app_config(self):
        return config.cache_settings("redis://127.0.0.1:1/0")  # nothing listens there

    def test_pages_still_come(self, world, login_as):
        page = _page(login_as(world.classmate), world.post)
        assert "Moderate for whom?" in page and "Which terms do you mean?" in page


def test_a_members_own_held_reply_is_on_their_page_alone(crowd, login_as):
    """Read with the post in the page's statement (no third statement), the viewer's own
    held reply sends them past the kind's copy, which never holds it."""
    from forum.services import moderation

    held = crowd.own_reply  # the author's answer to her classmate
    moderation.moderate(crowd.ta, held, "hide", "Cite the page, please")
    mine = _thread(login_as(crowd.student), crowd.post)
    theirs = _thread(login_as(crowd.classmate), crowd.post)
    assert "The author answers her classmate." in mine and "Cite the page, please" in mine
    assert "The author answers her classmate." not in theirs
