"""Moderation through the pages: the guest comment form and what its sender is told,
the queue for every seat and the staff's actions on it, members' reports, thread locks
and pins, restored versions, the course and discussion settings, and guest emails kept
from everyone but the staff."""

from __future__ import annotations

import time

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import (
    Course,
    Discussion,
    Flag,
    GuestComments,
    Moderation,
    Post,
    Reply,
    Role,
    Visibility,
)
from forum.services import posts as post_service
from forum.web.guests import HELD, PUBLISHED
from forum.web.moderation import THANKS

GENUINE = "Was the treaty's tone really harsh, or only the reparations clause?"
SPAM = ("Great post, very informative! Buy cheap essays at https://essays.example "
        "and https://essays.example/sale, best prices")
EMAIL = "margarethe.vogel@example.org"


def signed_start(app, seconds_ago: float = 60) -> str:
    """The guest form's clock, as the page signs it, opened `seconds_ago`."""
    clock = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="guest-form")
    return clock.dumps(time.time() - seconds_ago)


def guest_form(app, body: str = GENUINE, **fields) -> dict:
    return {"name": "Margarethe Vogel", "email": EMAIL, "website": "", "body": body,
            "homepage_url": "", "parent_id": "", "started": signed_start(app), **fields}


def _replies_by_guests() -> list[Reply]:
    return list(db.session.scalars(select(Reply).where(Reply.guest_id.is_not(None))
                                   .order_by(Reply.id)))


def _page(response) -> str:
    return response.get_data(as_text=True)


# The guest comment form


def test_the_form_shows_to_visitors_only_where_guests_may_comment(blog, app, client,
                                                                   login_as, make):
    page = _page(client.get(f"/posts/{blog.post.id}"))
    assert 'id="guest-comment"' in page and 'name="homepage_url"' in page
    assert "Never shown to anyone but the course staff." in page
    assert 'aria-hidden="true"' in page and 'tabindex="-1"' in page
    assert 'id="guest-comment"' not in _page(login_as(blog.student).get(f"/posts/{blog.post.id}"))
    blog.course.guest_comments = GuestComments.OFF
    db.session.commit()
    assert 'id="guest-comment"' not in _page(login_as(None).get(f"/posts/{blog.post.id}"))


@pytest.mark.parametrize(("policy", "message", "state"), [
    (GuestComments.MODERATED, HELD, Moderation.PENDING),
    (GuestComments.AUTO, PUBLISHED, Moderation.PUBLISHED),
])
def test_a_visitor_is_told_published_or_held(blog, app, client, policy, message, state):
    blog.course.guest_comments = policy
    db.session.commit()
    response = client.post(f"/posts/{blog.post.id}/comments", data=guest_form(app),
                           follow_redirects=True)
    assert response.status_code == 200
    assert message in _page(response)
    [reply] = _replies_by_guests()
    assert reply.moderation is state and reply.guest.email == EMAIL


def test_a_filled_honeypot_lands_in_spam_and_the_visitor_is_told_held(blog, app, client):
    form = guest_form(app, homepage_url="https://cheap.example")
    response = client.post(f"/posts/{blog.post.id}/comments", data=form,
                           follow_redirects=True)
    assert HELD in _page(response)
    [reply] = _replies_by_guests()
    assert reply.moderation is Moderation.SPAM


def test_spam_is_announced_as_held(blog, app, client):
    blog.course.guest_comments = GuestComments.AUTO
    db.session.commit()
    response = client.post(f"/posts/{blog.post.id}/comments",
                           data=guest_form(app, SPAM, name="Best Essays USA"),
                           follow_redirects=True)
    assert HELD in _page(response) and PUBLISHED not in _page(response)
    assert _replies_by_guests()[0].moderation is Moderation.SPAM


@pytest.mark.parametrize("started", ["fresh", "missing", "forged"])
def test_a_form_sent_too_fast_comes_back_with_its_text(blog, app, client, started):
    token = {"fresh": signed_start(app, 0), "missing": "",
             "forged": URLSafeTimedSerializer("other", salt="guest-form").dumps(0)}[started]
    response = client.post(f"/posts/{blog.post.id}/comments",
                           data=guest_form(app, started=token))
    assert response.status_code == 422
    page = _page(response)
    assert "That was quick" in page and GENUINE.replace("'", "&#39;") in page
    assert 'value="Margarethe Vogel"' in page and f'value="{EMAIL}"' in page
    assert _replies_by_guests() == []


def test_three_links_are_refused_with_the_text_kept(blog, app, client):
    body = "See https://a.example, https://b.example and https://c.example for more."
    response = client.post(f"/posts/{blog.post.id}/comments", data=guest_form(app, body))
    assert response.status_code == 422
    assert "at most 2 links" in _page(response) and "https://c.example for more." in _page(
        response)
    assert _replies_by_guests() == []


def test_missing_fields_are_named_beside_them(blog, app, client):
    response = client.post(f"/posts/{blog.post.id}/comments",
                           data=guest_form(app, email="", name=""))
    assert response.status_code == 422
    page = _page(response)
    assert page.count('class="error"') >= 2 and 'aria-invalid="true"' in page


def test_the_same_comment_twice_is_refused(blog, app, client):
    assert client.post(f"/posts/{blog.post.id}/comments",
                       data=guest_form(app)).status_code == 302
    again = client.post(f"/posts/{blog.post.id}/comments", data=guest_form(app))
    assert again.status_code == 409
    assert "already posted" in _page(again)
    assert len(_replies_by_guests()) == 1


def test_a_reply_to_link_names_whom_the_comment_answers(blog, app, client):
    page = _page(client.get(f"/posts/{blog.post.id}?reply_to={blog.reply.id}"))
    assert "Replying to Ben Carter" in page and f'value="{blog.reply.id}"' in page
    assert "Comment on the post instead" in page
    bogus = _page(client.get(f"/posts/{blog.post.id}?reply_to=999999"))
    assert "Replying to" not in bogus
    response = client.post(f"/posts/{blog.post.id}/comments",
                           data=guest_form(app, parent_id=str(blog.reply.id)))
    assert response.status_code == 302
    assert _replies_by_guests()[0].parent_id == blog.reply.id


def test_the_guest_sees_their_held_comment_and_a_fresh_visitor_does_not(blog, app, client):
    client.post(f"/posts/{blog.post.id}/comments", data=guest_form(app))
    own = _page(client.get(f"/posts/{blog.post.id}"))
    assert "Awaiting review" in own and "reparations clause" in own
    other = _page(app.test_client().get(f"/posts/{blog.post.id}"))
    assert "reparations clause" not in other and "Awaiting review" not in other


def test_guest_emails_reach_only_the_staff(blog, app, client, login_as, make):
    blog.course.guest_comments = GuestComments.AUTO
    db.session.commit()
    client.post(f"/posts/{blog.post.id}/comments", data=guest_form(app))
    held = guest_form(app, "A second thought on the reparations, held for review.",
                      email="second." + EMAIL)
    blog.course.guest_comments = GuestComments.MODERATED
    db.session.commit()
    client.post(f"/posts/{blog.post.id}/comments", data=held)
    [published, pending] = _replies_by_guests()
    assert published.moderation is Moderation.PUBLISHED
    assert pending.moderation is Moderation.PENDING
    pages = [f"/posts/{blog.post.id}", f"/discussions/{blog.discussion.id}",
             f"/courses/{blog.course.id}", f"/posts/{blog.post.id}?reply_to={published.id}",
             f"/replies/{published.id}/report", "/"]
    for seat in ("anonymous", "student", "outsider"):
        browser = login_as(blog.actors[seat])
        for url in pages:
            assert EMAIL not in _page(browser.get(url)), (seat, url)
    queue = _page(login_as(blog.ta).get(f"/courses/{blog.course.id}/moderation"))
    assert "second." + EMAIL in queue


class TestGuestLimit:
    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True}  # the default: 1 per 5 seconds; 30 per day

    def test_a_second_comment_within_seconds_comes_back_with_its_text(self, blog, app,
                                                                      client):
        first = client.post(f"/posts/{blog.post.id}/comments", data=guest_form(app))
        assert first.status_code == 302
        second = client.post(f"/posts/{blog.post.id}/comments",
                             data=guest_form(app, "Another thought, sent too soon."))
        assert second.status_code == 429
        page = _page(second)
        assert "you can comment again in a few seconds" in page
        assert "Another thought, sent too soon." in page and f'value="{EMAIL}"' in page
        assert int(second.headers["Retry-After"]) > 0
        assert len(_replies_by_guests()) == 1

    def test_refused_forms_do_not_count(self, blog, app, client):
        for _ in range(3):
            assert client.post(f"/posts/{blog.post.id}/comments",
                               data=guest_form(app, email="")).status_code == 422
        assert client.post(f"/posts/{blog.post.id}/comments",
                           data=guest_form(app)).status_code == 302


class TestDailyGuestLimit:
    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True, "FORUM_LIMIT_GUEST": "2 per day"}

    def test_the_daily_limit_is_named(self, blog, app, client):
        for n in range(2):
            assert client.post(f"/posts/{blog.post.id}/comments",
                               data=guest_form(app, f"Thought number {n}.")).status_code == 302
        third = client.post(f"/posts/{blog.post.id}/comments",
                            data=guest_form(app, "Thought number 3."))
        assert third.status_code == 429
        assert "at most 2 comments a day from one address" in _page(third)
        assert "Thought number 3." in _page(third)


# The queue


@pytest.mark.parametrize(("seat", "status"), [
    ("admin", 200), ("instructor", 200), ("ta", 200), ("student", 403), ("outsider", 404),
    ("anonymous", 302)])
def test_the_queue_opens_for_staff_only(world, login_as, seat, status):
    response = login_as(world.actors[seat]).get(f"/courses/{world.course.id}/moderation")
    assert response.status_code == status
    if status == 302:
        assert "/login?next=" in response.headers["Location"]


def _guest_comments(blog, app, client, count: int) -> list[Reply]:
    for n in range(count):
        client.post(f"/posts/{blog.post.id}/comments",
                    data=guest_form(app, f"Guest thought number {n} on the treaty.",
                                    email=f"guest{n}@example.org"))
    return _replies_by_guests()


@pytest.mark.parametrize(("action", "state"), [
    ("approve", Moderation.PUBLISHED), ("spam", Moderation.SPAM),
    ("hide", Moderation.HIDDEN)])
def test_staff_act_on_one_comment_and_return_to_the_same_filter(blog, app, client, login_as,
                                                                 action, state):
    [reply] = _guest_comments(blog, app, client, 1)
    staff = login_as(blog.instructor)
    page = _page(staff.get(f"/courses/{blog.course.id}/moderation?state=pending"))
    assert "guest0@example.org" in page and "Guest thought number 0" in page
    assert "Pending (1)" in page
    response = staff.post(
        f"/courses/{blog.course.id}/moderation/reply/{reply.id}",
        data={"action": action, "reason": "Off topic here.", "state": "pending"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/courses/{blog.course.id}/moderation?state=pending")
    db.session.expire_all()
    assert db.session.get(Reply, reply.id).moderation is state
    assert "1 comment" in _page(staff.get(response.headers["Location"]))


def test_a_hidden_comment_is_restored(blog, app, client, login_as):
    [reply] = _guest_comments(blog, app, client, 1)
    staff = login_as(blog.ta)
    staff.post(f"/courses/{blog.course.id}/moderation/reply/{reply.id}",
               data={"action": "hide", "reason": "Rude."})
    page = _page(staff.get(f"/courses/{blog.course.id}/moderation?state=hidden"))
    assert "Rude." in page and 'value="restore"' in page
    response = staff.post(f"/courses/{blog.course.id}/moderation/reply/{reply.id}",
                          data={"action": "restore", "state": "hidden"}, follow_redirects=True)
    assert "1 comment restored." in _page(response)
    db.session.expire_all()
    assert db.session.get(Reply, reply.id).moderation is Moderation.PUBLISHED


def test_a_refused_action_keeps_the_reason_typed(blog, app, client, login_as):
    [reply] = _guest_comments(blog, app, client, 1)
    reason = "x" * 600
    response = login_as(blog.ta).post(
        f"/courses/{blog.course.id}/moderation/reply/{reply.id}",
        data={"action": "hide", "reason": reason})
    assert response.status_code == 422
    assert f'value="{reason}"' in _page(response)


def test_bulk_actions_on_the_ticked_or_on_the_whole_page(blog, app, client, login_as):
    replies = _guest_comments(blog, app, client, 4)
    staff = login_as(blog.instructor)
    response = staff.post(f"/courses/{blog.course.id}/moderation", data={
        "item": [f"reply:{replies[0].id}", f"reply:{replies[1].id}", "reply:x"],
        "action": "approve", "reason": ""}, follow_redirects=True)
    assert "2 comments approved." in _page(response)
    db.session.expire_all()
    assert [r.moderation for r in _replies_by_guests()] == [
        Moderation.PUBLISHED, Moderation.PUBLISHED, Moderation.PENDING, Moderation.PENDING]
    page = _page(staff.get(f"/courses/{blog.course.id}/moderation?state=pending"))
    on_page = [f"reply:{r.id}" for r in replies[2:]]
    assert all(f'name="on_page" value="{value}"' in page for value in on_page)
    response = staff.post(f"/courses/{blog.course.id}/moderation", data={
        "all": "1", "on_page": on_page, "action": "spam", "state": "pending"})
    assert response.headers["Location"].endswith("moderation?state=pending")
    db.session.expire_all()
    assert [r.moderation for r in _replies_by_guests()][2:] == [Moderation.SPAM] * 2


def test_a_bulk_action_with_nothing_ticked_comes_back(blog, app, client, login_as):
    _guest_comments(blog, app, client, 1)
    response = login_as(blog.ta).post(f"/courses/{blog.course.id}/moderation",
                                      data={"action": "hide", "reason": "Typed reason"})
    assert response.status_code == 422
    page = _page(response)
    assert "Choose at least one item." in page and 'value="Typed reason"' in page


def test_students_cannot_act_on_the_queue(blog, app, client, login_as):
    [reply] = _guest_comments(blog, app, client, 1)
    student = login_as(blog.student)
    assert student.post(f"/courses/{blog.course.id}/moderation/reply/{reply.id}",
                        data={"action": "approve"}).status_code in (403, 404)
    assert student.post(f"/courses/{blog.course.id}/moderation",
                        data={"item": f"reply:{reply.id}", "action": "approve"}
                        ).status_code == 403
    db.session.expire_all()
    assert db.session.get(Reply, reply.id).moderation is Moderation.PENDING


def test_erasing_a_guest_through_the_queue(blog, app, client, login_as):
    [reply] = _guest_comments(blog, app, client, 1)
    staff = login_as(blog.instructor)
    response = staff.post(f"/courses/{blog.course.id}/moderation/reply/{reply.id}/erase",
                          data={"text": "remove"}, follow_redirects=True)
    assert "Guest data erased from 1 comment." in _page(response)
    db.session.expire_all()
    erased = db.session.get(Reply, reply.id)
    assert erased.guest.email == "" and erased.body == ""


def test_the_course_page_and_dashboard_show_what_waits(blog, app, client, login_as):
    _guest_comments(blog, app, client, 2)
    staff = login_as(blog.instructor)
    assert "2 waiting, 0 flagged" in _page(staff.get(f"/courses/{blog.course.id}"))
    assert "2 waiting, 0 flagged" in _page(staff.get("/"))
    student = login_as(blog.student)
    assert "flagged" not in _page(student.get(f"/courses/{blog.course.id}"))
    assert "flagged" not in _page(student.get("/"))


# Members' reports


def test_reports_through_the_pages_hide_at_the_threshold(world, make, login_as):
    reporters = [world.classmate] + [make.member(world.course, Role.STUDENT) for _ in range(2)]
    page = _page(login_as(world.classmate).get(f"/posts/{world.post.id}"))
    assert "Report this post" in page
    for n, member in enumerate(reporters):
        response = login_as(member).post(f"/posts/{world.post.id}/report",
                                         data={"reason": f"Copied from a website ({n})."},
                                         follow_redirects=True)
        assert THANKS in _page(response)
    db.session.expire_all()
    assert db.session.get(Post, world.post.id).moderation is Moderation.HIDDEN
    queue = _page(login_as(world.ta).get(f"/courses/{world.course.id}/moderation?state=flagged"))
    assert "Copied from a website (2)." in queue and "Flagged (1)" in queue


def test_a_reply_is_reported_once_per_member(world, login_as):
    member = login_as(world.student)
    page = _page(member.get(f"/replies/{world.reply.id}/report"))
    assert "Moderate for whom?" in page
    assert member.post(f"/replies/{world.reply.id}/report",
                       data={"reason": "Rude."}).status_code == 302
    again = member.post(f"/replies/{world.reply.id}/report", data={"reason": "Still rude."})
    assert again.status_code == 409
    assert "You already reported this." in _page(again) and "Still rude." in _page(again)
    empty = member.post(f"/replies/{world.reply.id}/report", data={"reason": ""})
    assert empty.status_code in (409, 422)
    assert db.session.scalar(select(func.count()).select_from(Flag)) == 1


@pytest.mark.parametrize(("seat", "status"), [
    ("instructor", 403), ("classmate", 403), ("outsider", 404), ("anonymous", 302)])
def test_who_may_not_report_a_reply(world, login_as, seat, status):
    response = login_as(world.actors[seat]).post(f"/replies/{world.reply.id}/report",
                                                 data={"reason": "Why not"})
    assert response.status_code == status


# Thread controls


def test_staff_lock_and_pin_a_thread(world, make, login_as):
    other = make.post(world.discussion, world.classmate, title="An earlier post",
                      published_at=world.post.published_at)
    staff = login_as(world.ta)
    page = _page(staff.get(f"/posts/{world.post.id}"))
    assert "Lock thread" in page and "Pin to the top" in page
    assert staff.post(f"/posts/{world.post.id}/lock").status_code == 302
    assert staff.post(f"/posts/{world.post.id}/pin").status_code == 302
    page = _page(staff.get(f"/posts/{world.post.id}"))
    assert "Unlock thread" in page and "Unpin" in page
    student_view = _page(login_as(world.classmate).get(f"/posts/{world.post.id}"))
    assert "This thread is locked by the course staff" in student_view
    assert "Pinned" in student_view and "Lock thread" not in student_view
    listing = _page(login_as(world.classmate).get(f"/discussions/{world.discussion.id}"))
    assert listing.index("Harsh in tone") < listing.index(other.title)
    assert 'badge-pinned">Pinned' in listing and 'badge-locked">Locked' in listing
    assert login_as(world.student).post(f"/posts/{world.post.id}/unlock").status_code == 403
    staff = login_as(world.ta)
    staff.post(f"/posts/{world.post.id}/unlock")
    staff.post(f"/posts/{world.post.id}/unpin")
    db.session.expire_all()
    post = db.session.get(Post, world.post.id)
    assert post.locked_at is None and post.pinned_at is None


def test_a_hidden_post_shows_its_author_why(world, login_as):
    login_as(world.ta).post(f"/courses/{world.course.id}/moderation/post/{world.post.id}",
                            data={"action": "hide", "reason": "Plagiarised paragraph."})
    page = _page(login_as(world.student).get(f"/posts/{world.post.id}"))
    assert "Hidden by the course staff: Plagiarised paragraph." in page
    assert login_as(world.classmate).get(f"/posts/{world.post.id}").status_code == 404


# Earlier versions


def test_staff_restore_an_earlier_version(world, login_as):
    post_service.update_post(world.student, world.post, version=None, title="Harsh in tone",
                             body="A rewritten text.", sources=[], publish=True)
    page = _page(login_as(world.student).get(f"/posts/{world.post.id}/revisions"))
    assert "Restore this version" not in page
    page = _page(login_as(world.instructor).get(f"/posts/{world.post.id}/revisions"))
    assert "Restore this version" in page
    revision_id = int(page.split("/revisions/")[1].split("/restore")[0])
    response = login_as(world.instructor).post(f"/revisions/{revision_id}/restore",
                                               follow_redirects=True)
    assert "Earlier version restored" in _page(response)
    db.session.expire_all()
    assert db.session.get(Post, world.post.id).body.startswith("The treaty was harsh")
    assert login_as(world.student).post(f"/revisions/{revision_id}/restore").status_code == 403


# Settings


def test_course_settings_take_guest_comments_and_thresholds(world, login_as):
    teacher = login_as(world.instructor)
    form = {"code": world.course.code, "title": world.course.title, "term": "Autumn 2026",
            "timezone": "UTC", "visibility": "public", "guest_comments": "auto",
            "spam_threshold": "0.8", "hold_threshold": "0.9"}
    refused = teacher.post(f"/courses/{world.course.id}/edit", data=form)
    assert refused.status_code == 422
    assert "must not be above the spam threshold" in _page(refused)
    assert 'value="0.9"' in _page(refused)
    typo = teacher.post(f"/courses/{world.course.id}/edit", data={**form, "spam_threshold": "abc"})
    assert typo.status_code == 422 and 'value="abc"' in _page(typo)
    assert teacher.post(f"/courses/{world.course.id}/edit",
                        data={**form, "hold_threshold": "0.4"}).status_code == 302
    db.session.expire_all()
    course = db.session.get(Course, world.course.id)
    assert course.guest_comments is GuestComments.AUTO
    assert (course.spam_threshold, course.hold_threshold) == (0.8, 0.4)
    page = _page(teacher.get(f"/courses/{world.course.id}/edit"))
    assert '<option selected value="auto">' in page or 'value="auto" selected' in page


def test_discussion_settings_follow_or_override_the_course(world, login_as):
    teacher = login_as(world.instructor)
    url = f"/discussions/{world.discussion.id}/edit"
    page = _page(teacher.get(url))
    assert "Course setting" in page and "Members only" in page
    form = {"title": world.discussion.title, "prompt": "Discuss.", "points_possible": "10",
            "visibility": "public", "guest_comments": "moderated",
            "version": str(world.discussion.version)}
    refused = teacher.post(url, data=form)  # a private course's discussion is never public
    assert refused.status_code == 422
    assert "Only a public course&#39;s discussions can be public." in _page(refused)
    assert teacher.post(url, data={**form, "visibility": "private"}).status_code == 302
    db.session.expire_all()
    discussion = db.session.get(Discussion, world.discussion.id)
    assert discussion.visibility is Visibility.PRIVATE
    assert discussion.guest_comments is GuestComments.MODERATED
    form = {**form, "visibility": "course", "guest_comments": "course",
            "version": str(discussion.version)}
    assert teacher.post(url, data=form).status_code == 302
    db.session.expire_all()
    discussion = db.session.get(Discussion, world.discussion.id)
    assert discussion.visibility is None and discussion.guest_comments is None


def test_the_queue_costs_the_same_however_full(blog, app, client, login_as, make,
                                               count_queries):
    def statements() -> int:
        staff = login_as(blog.instructor)
        with count_queries() as counter:
            assert staff.get(f"/courses/{blog.course.id}/moderation").status_code == 200
        return counter.count

    _guest_comments(blog, app, client, 1)
    login_as(blog.student).post(f"/replies/{blog.reply.id}/report", data={"reason": "Rude"})
    small = statements()
    for n in range(4):
        member = make.member(blog.course, Role.STUDENT)
        login_as(member).post(f"/replies/{blog.reply.id}/report", data={"reason": f"No {n}"})
        if n < 2:  # a third report would hide the post, and close it to guests
            login_as(member).post(f"/posts/{blog.post.id}/report", data={"reason": f"No {n}"})
    login_as(None)
    for n in range(5):
        client.post(f"/posts/{blog.post.id}/comments",
                    data=guest_form(app, f"Another guest thought, number {n}.",
                                    email=f"other{n}@example.org"))
    assert len(_replies_by_guests()) == 6
    assert statements() == small
