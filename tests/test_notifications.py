"""Notifications: who is told of what, what they are told, and that nobody learns from a
notification what they may not see. Events are turned into notifications by the same
service the worker runs (forum/services/notifying.py); tests/test_worker.py runs it in
a real consumer, with real mail."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from forum.extensions import db
from forum.models import (
    Anonymity,
    Delivery,
    Event,
    EventKind,
    Moderation,
    Preference,
    Reveal,
    Role,
    User,
)
from forum.services import (
    annotations,
    grading,
    moderation,
    notifications,
    notifying,
    posts,
    replies,
)
from forum.services import subscriptions as subscription_service
from forum.services.notifications import notifications_page, unread_count


def told(user: User) -> list:
    """What the user is told, as the notifications page and API show it."""
    return notifications_page(user, limit=100)[0]


def kinds(user: User) -> list[str]:
    return [item.kind.value for item in told(user)]


def process() -> int:
    done = notifying.process_events()
    return done.notifications


def test_a_reply_tells_the_posts_author_and_nobody_else(world, make):
    process()
    before = {name: len(told(u)) for name, u in world.actors.items() if u is not None}
    reply = make.reply(world.post, world.classmate, body="Harsh to whom, though?")
    process()
    assert kinds(world.student)[0] == "reply_created"
    item = told(world.student)[0]
    assert item.text == f"{world.classmate.display_name} replied on your post “Harsh in tone”"
    assert item.excerpt == "Harsh to whom, though?"
    assert (item.post_id, item.reply_id) == (world.post.id, reply.id)
    after = {name: len(told(u)) for name, u in world.actors.items() if u is not None}
    assert {n for n in after if after[n] != before[n]} == {"student"}  # the writer too: not told


def test_a_reply_to_a_reply_tells_its_author_that_it_answers_them(world, make):
    answer = make.reply(world.post, world.instructor, parent=world.reply, body="Good question.")
    process()
    mine = [i for i in told(world.classmate) if i.reply_id == answer.id]
    assert mine and mine[0].text.startswith(f"{world.instructor.display_name} replied to you in")


def test_processing_twice_tells_nobody_twice(world, make):
    make.reply(world.post, world.classmate)
    process()
    count = unread_count(world.student)
    db.session.execute(update(Event).values(processed_at=None))  # as if a worker died
    db.session.commit()
    process()
    assert unread_count(world.student) == count
    assert db.session.scalar(select(func.count()).select_from(Event).where(
        Event.processed_at.is_(None))) == 0


def test_a_prompt_tells_the_author_even_when_they_muted_the_thread(world, make):
    subscription_service.set_subscription(world.student, world.post, "mute")
    make.reply(world.post, world.classmate, body="Muted news.")
    make.prompt(world.post, world.instructor, body="Which clause?")
    process()
    assert "reply_created" not in kinds(world.student)
    assert "prompt_asked" in kinds(world.student)


def test_an_answer_to_a_prompt_tells_who_asked(world, make):
    process()
    make.reply(world.post, world.student, parent=world.prompt, body="Article 231.")
    process()
    assert told(world.instructor)[0].text.startswith(
        f"{world.student.display_name} answered your question")


def test_following_a_discussion_tells_of_new_posts_and_replies(world, make):
    subscription_service.set_subscription(world.ta, world.discussion, "follow")
    post = posts.create_post(world.classmate, world.discussion, title="On Locarno",
                             body="Locarno changed the mood.")
    process()
    assert told(world.ta)[0].text == f"{world.classmate.display_name} posted “On Locarno”"
    make.reply(post, world.student)
    process()
    assert told(world.ta)[0].kind == "reply_created"


def test_an_anonymous_writer_is_never_named_to_a_classmate(world, make, login_as, api):
    world.discussion.anonymity = Anonymity.ALLOWED
    db.session.commit()
    quiet = make.member(world.course, Role.STUDENT, "Quinn Quiet")
    replies.reply_to(quiet, world.post, None, "Quietly: I disagree.", anonymous=True)
    subscription_service.set_subscription(world.instructor, world.post, "follow")
    process()
    name = quiet.display_name
    assert told(world.student)[0].text.startswith("Anonymous replied")
    page = login_as(world.student).get("/notifications").get_data(as_text=True)
    assert "Anonymous replied" in page and name not in page
    body = api.get(world.student, "/api/v1/notifications").get_data(as_text=True)
    assert "Anonymous replied" in body and name not in body
    assert told(world.instructor)[0].text.startswith(name)  # staff may know


def test_a_held_comment_tells_staff_only_until_it_is_approved(blog, make):
    world = blog
    process()
    notifications.mark_all_read(world.student)
    comment = make.guest_comment(world.post, body="The tone was harsher in French.")
    assert comment.moderation is Moderation.PENDING
    process()
    assert unread_count(world.student) == 0  # the author of the post is not told of it
    assert told(world.instructor)[0].kind == "comment_held"
    assert "Grete Visitor" in told(world.instructor)[0].text
    assert "comment_held" in kinds(world.ta)
    moderation.moderate(world.instructor, comment, "approve")
    process()
    assert told(world.student)[0].kind == "reply_created"
    assert told(world.student)[0].text.startswith("Grete Visitor replied")


def test_a_course_may_keep_its_staff_from_being_told_of_held_comments(blog, make, api):
    url = f"/api/v1/courses/{blog.course.id}"
    assert api.patch(blog.instructor, url, {"notify_held": "maybe"}).status_code == 422
    assert api.patch(blog.instructor, url, {"notify_held": False}).status_code == 200
    assert api.get(blog.instructor, url).get_json()["notify_held"] is False
    assert "notify_held" not in api.get(blog.student, url).get_json()
    make.guest_comment(blog.post)
    process()
    assert "comment_held" not in kinds(blog.instructor)


def test_an_unrevealed_post_is_not_told_to_a_classmate_who_follows(world, make):
    world.discussion.reveal = Reveal.AFTER_POSTING
    db.session.commit()
    newcomer = make.member(world.course, Role.STUDENT, "Cleo Newcomer")
    subscription_service.set_subscription(newcomer, world.discussion, "follow")
    posts.create_post(world.classmate, world.discussion, title="Hidden for now",
                      body="Only after you post.")
    process()
    assert told(newcomer) == []


def test_private_annotations_and_draft_grades_tell_nobody(world, make):
    process()
    already = len(told(world.student))
    annotations.annotate(world.instructor, world.post, quote="Its terms were moderate.",
                         body="Private: weak claim.")
    grading.save_grade(world.instructor, world.discussion, world.student.id, version=0,
                       score=7, feedback="Private feedback in a draft")
    process()
    assert len(told(world.student)) == already
    grading.release_grades(world.instructor, world.discussion)
    process()
    item = told(world.student)[0]
    assert item.kind == "grade_released" and "released" in item.text
    assert all(item.kind != "grade_released" for item in told(world.classmate))


def test_a_mention_tells_the_person_named_once_the_post_is_published(world, make):
    draft = posts.create_post(world.student, world.discussion, title="Draft",
                              body=f"As @[{world.classmate.display_name}] said.", publish=False)
    process()
    assert "mention" not in kinds(world.classmate)
    posts.update_post(world.student, draft, version=draft.version, title="Draft",
                      body=draft.body, publish=True)
    process()
    assert "mention" in kinds(world.classmate)


def test_what_is_no_longer_visible_is_no_longer_told(world, make):
    reply = make.reply(world.post, world.classmate, body="Soon to be hidden.")
    process()
    moderation.moderate(world.instructor, reply, "hide", "Off topic")
    item = told(world.student)[0]
    assert not item.available and "no longer available" in item.text
    assert item.excerpt == "" and item.post_id is None


def test_reading_marks_one_or_all(world, make, login_as, api):
    process()
    notifications.mark_all_read(world.student)
    make.reply(world.post, world.classmate)
    make.prompt(world.post, world.instructor)
    process()
    assert unread_count(world.student) == 2
    page = login_as(world.student).get("/")
    assert 'aria-label="2 unread"' in page.get_data(as_text=True)
    first = told(world.student)[0]
    assert api.post(world.classmate, f"/api/v1/notifications/{first.id}/read").status_code == 404
    assert api.post(world.student, f"/api/v1/notifications/{first.id}/read").status_code == 204
    assert api.get(world.student, "/api/v1/notifications/unread").get_json() == {"unread": 1}
    assert api.post(world.student, "/api/v1/notifications/read").get_json() == {"marked": 1}
    assert unread_count(world.student) == 0
    assert 'unread"' not in login_as(world.student).get("/").get_data(as_text=True).split(
        "Notifications", 1)[1][:40]


def test_settings_refuse_bad_choices_and_change_nothing(world, login_as, api):
    response = api.call(world.student, "PUT", "/api/v1/me/notification-settings", json={
        "timezone": "Mars/Olympus", "digest_hour": 7, "deliveries": {"mention": "never"}})
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Preference)) == 0
    response = login_as(world.student).post("/notifications/settings", data={
        "digest_hour": "25", "timezone": "Europe/Paris", "delivery-mention": "never"})
    assert response.status_code == 422
    assert db.session.get(User, world.student.id).timezone == "UTC"
    ok = api.call(world.student, "PUT", "/api/v1/me/notification-settings", json={
        "timezone": "Europe/Paris", "digest_hour": 18, "deliveries": {"mention": "digest"}})
    assert ok.status_code == 200
    assert ok.get_json()["deliveries"]["mention"] == "digest"
    assert ok.get_json()["email_enabled"] is False
    saved = login_as(world.student).post("/notifications/settings", data={
        "digest_hour": "6", "timezone": "Europe/Paris", "delivery-mention": "never"})
    assert saved.status_code == 302
    assert db.session.get(Preference, (world.student.id, EventKind.MENTION)).delivery \
        is Delivery.NEVER
    page = login_as(world.student).get("/notifications/settings").get_data(as_text=True)
    assert "sends no email" in page
    assert "waiting for moderation" not in page  # news that never reaches a student
    assert "waiting for moderation" in login_as(world.ta).get(
        "/notifications/settings").get_data(as_text=True)


def test_unsubscribing_needs_the_token_and_no_login(world, client):
    token = subscription_service.unsubscribe_token(world.student.id, EventKind.REPLY_CREATED)
    assert client.get(f"/unsubscribe/{token}").status_code == 200
    assert client.post(f"/unsubscribe/{token}x").status_code == 404
    assert client.post(f"/unsubscribe/{token}",
                       data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert db.session.get(Preference, (world.student.id, EventKind.REPLY_CREATED)).delivery \
        is Delivery.NEVER


@pytest.mark.parametrize("target", ["post", "discussion", "course"])
def test_following_needs_to_be_able_to_read_it(world, api, target):
    thing = {"post": world.post, "discussion": world.discussion, "course": world.course}[target]
    url = f"/api/v1/{target}s/{thing.id}/subscription"
    assert api.call(world.outsider, "PUT", url, json={"level": "follow"}).status_code == 404
    assert api.call(world.ta, "PUT", url, json={"level": "loud"}).status_code == 422
    assert api.call(world.ta, "PUT", url, json={"level": "follow"}).get_json() == {
        "level": "follow"}
    assert api.get(world.ta, url).get_json() == {"level": "follow"}


def test_the_post_author_follows_their_own_thread_until_they_mute_it(world, login_as):
    page = login_as(world.student).get(f"/posts/{world.post.id}").get_data(as_text=True)
    assert "You follow this thread." in page
    login_as(world.student).post(f"/post/{world.post.id}/subscription", data={"level": "mute"})
    page = login_as(world.student).get(f"/posts/{world.post.id}").get_data(as_text=True)
    assert "Muted" in page


def test_the_notifications_page_costs_the_same_for_many(world, make, login_as, count_queries):
    make.reply(world.post, world.classmate)
    process()
    viewer = login_as(world.student)
    viewer.get("/notifications")
    with count_queries() as few:
        viewer.get("/notifications")
    for _ in range(12):
        make.reply(world.post, world.classmate)
    make.prompt(world.post, world.instructor)
    process()
    with count_queries() as many:
        assert viewer.get("/notifications").status_code == 200
    assert many.count == few.count


def test_mail_that_never_goes_out_is_listed_for_admins_to_resend(world, make, app,
                                                                  login_as):
    """No SMTP server listens on the port: each try fails for real, the last one leaves
    the mail dead, an admin sees it and queues it again."""
    from forum.config import mail_config
    from forum.models import MailMessage, MailState
    from forum.services import mailing

    app.config.update(mail_config("smtp://127.0.0.1:9"), FORUM_MAIL_ATTEMPTS=2,
                      FORUM_MAIL_RETRY_SECONDS=0)
    make.reply(world.post, world.classmate, body="This will not be mailed.")
    process()
    mail = db.session.scalar(select(MailMessage).where(MailMessage.user_id == world.student.id))
    assert mailing.deliver(mail.id) is MailState.QUEUED  # tried once, waits
    assert mailing.deliver(mail.id) is MailState.DEAD
    assert mailing.deliver(mail.id) is None  # a dead mail is nobody's to send
    assert login_as(world.instructor).get("/admin/mail").status_code == 403
    page = login_as(world.admin).get("/admin/mail").get_data(as_text=True)
    assert "replied on your post" in page and "ConnectionRefusedError" in page
    login_as(world.admin).post(f"/admin/mail/{mail.id}/resend")
    db.session.refresh(mail)
    assert (mail.state, mail.attempts) == (MailState.QUEUED, 0)


@pytest.mark.parametrize("page", ["²", "٣", "0", "-1", "99999999999"])
def test_any_page_number_in_an_address_shows_a_page(world, login_as, page):
    """Python calls "²" a digit that int() refuses: the notifications page and the
    moderation queue read page numbers alike, and never answer 500."""
    assert login_as(world.student).get(f"/notifications?page={page}").status_code == 200
    assert login_as(world.instructor).get(
        f"/courses/{world.course.id}/moderation?page={page}").status_code == 200
