"""LTI 1.3 services through real HTTP: the tests' LMS (tests/lti_platform.py) hands out
tokens only for client assertions signed with the key the forum publishes at /lti/jwks
(fetched from the forum served on loopback), serves its roster (Names and Roles, paged)
and takes line items and scores (Assignment and Grade Services). The worker's tasks run
in this process, in huey's immediate mode, with that real LMS."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from forum.extensions import db
from forum.models import (
    Discussion,
    Enrollment,
    Grade,
    LtiContext,
    LtiResourceLink,
    LtiScorePassback,
    LtiUser,
    Post,
    Role,
    User,
    utcnow,
)
from forum.models.lti import PassbackState
from forum.services import grading, lti_keys, lti_roster, notifications
from forum.worker import queue, tasks
from tests.lti_platform import (
    ANA,
    BEN,
    LEARNER,
    MEMBERSHIP,
    OKAFOR,
    TA,
    Person,
)

CARLA = Person("lms-user-4", LEARNER, name="Carla Diaz", email="carla@uni.example")


def member(person: Person, roles: list[str] | None = None, status: str = "Active") -> dict:
    return {"user_id": person.sub, "roles": roles or person.roles, "status": status,
            "name": person.name, "given_name": person.given_name,
            "family_name": person.family_name, "email": person.email}


@pytest.fixture
def worker(app):
    """The worker's tasks, run at once in this process (huey's immediate mode); a
    retry scheduled for later waits in memory until the test runs it."""
    tasks.bind(app)
    queue.immediate = True
    yield tasks
    queue.immediate = False
    tasks.bind(None)


def _launch_all(app, platform, *people) -> dict[str, object]:
    clients = {}
    for person in people:
        clients[person.sub] = client = app.test_client()
        response = platform.launch(client, person)
        assert response.status_code in (200, 302), response.text
    return clients


def _user(person: Person) -> User:
    return db.session.scalar(select(LtiUser).where(LtiUser.sub == person.sub)).user


# Names and Roles ------------------------------------------------------------------


def test_a_sync_adds_changes_and_removes_members_as_the_lms_roster_says(app, platform, make):
    clients = _launch_all(app, platform, OKAFOR, ANA, CARLA)
    context = db.session.scalar(select(LtiContext))
    assert context.memberships_url == platform.memberships_url
    course = context.course
    by_hand = make.member(course, Role.STUDENT, "Guest Lecturer's Assistant")
    discussion = make.discussion(course)
    ana_post = make.post(discussion, _user(ANA), title="Ana's view")
    assert clients[ANA.sub].get(f"/courses/{course.id}").status_code == 200

    # Ana left the LMS course, Carla became a TA, Ben is there but never launched.
    platform.members = [member(OKAFOR), member(CARLA, TA), member(BEN),
                        member(Person("lms-user-9", [f"{MEMBERSHIP}#Mentor"], name="A Parent"))]
    result = app.test_cli_runner().invoke(args=["lti-sync-roster", course.code])
    assert result.exit_code == 0, result.output
    assert "4 members in the LMS roster; 1 added, 1 changed, 1 removed, 1 without" \
        in result.output

    db.session.expire_all()
    roles = {e.user.display_name: e.role for e in db.session.scalars(
        select(Enrollment).where(Enrollment.course_id == course.id))}
    assert roles == {"Dr. Okafor": Role.INSTRUCTOR, "Carla Diaz": Role.TA,
                     "Ben Carter": Role.STUDENT, by_hand.display_name: Role.STUDENT}
    ben = _user(BEN)
    assert ben.email == "ben@uni.example"  # provisioned as a launch would have
    # Ana's work stays; her access is gone.
    assert db.session.get(Post, ana_post.id).title == "Ana's view"
    assert clients[ANA.sub].get(f"/courses/{course.id}").status_code == 404
    # A later launch by Ben signs him into the account the sync made.
    _launch_all(app, platform, BEN)
    assert _user(BEN).id == ben.id
    # The roster came in pages (Link: rel="next"), with a token for a signed assertion.
    assert "/memberships?page=2" in platform.requests
    assert platform.assertions and not platform.refused_tokens
    assert {a["kid"] for a in platform.assertions} == {lti_keys.signing_key().kid}
    assert db.session.get(LtiContext, context.id).roster_synced_at is not None


def test_the_worker_syncs_a_new_context_and_an_empty_roster_removes_nobody(
        app, platform, worker):
    _launch_all(app, platform, OKAFOR, ANA)
    context = db.session.scalar(select(LtiContext))
    assert lti_roster.contexts_due() == [context.id]  # the launch brought its roster
    platform.members = []
    worker.sweep.call_local()
    db.session.expire_all()
    assert db.session.get(LtiContext, context.id).roster_synced_at is not None
    assert len(context.course.enrollments) == 2

    db.session.execute(update(LtiContext).values(roster_synced_at=None))
    db.session.commit()
    platform.members = [member(OKAFOR), member(BEN)]
    worker.sweep.call_local()
    db.session.expire_all()
    names = sorted(e.user.display_name for e in context.course.enrollments)
    assert names == ["Ben Carter", "Dr. Okafor"]


def test_a_platform_that_refuses_the_assertion_syncs_nothing(app, platform):
    _launch_all(app, platform, OKAFOR)
    platform.tool_jwks_url = platform.keyset_url  # checks the tool's token with other keys
    platform.members = [member(OKAFOR), member(BEN)]
    code = db.session.scalar(select(LtiContext)).course.code
    result = app.test_cli_runner().invoke(args=["lti-sync-roster", code])
    assert result.exit_code == 1 and "Roster not synced" in result.output
    assert platform.refused_tokens and db.session.scalar(
        select(LtiUser).where(LtiUser.sub == BEN.sub)) is None


# Assignment and Grade Services -------------------------------------------------------


@pytest.fixture
def graded(app, platform, make):
    """An instructor's link opening a 10-point discussion, two students launched, and
    a student added by hand (no LMS identity); all graded, nothing released yet."""
    instructor = app.test_client()
    platform.launch(instructor, OKAFOR)
    link = db.session.scalar(select(LtiResourceLink))
    assert instructor.post(f"/lti/links/{link.id}", data={
        "action": "create", "title": "Versailles"}).status_code == 302
    discussion = db.session.scalar(select(Discussion))
    discussion.points_possible = 10
    db.session.commit()
    _launch_all(app, platform, ANA, BEN)
    local = make.member(discussion.course, Role.STUDENT, "Local Student")
    teacher = _user(OKAFOR)
    for student, score, feedback in ((_user(ANA), 8, "Good use of *sources*."),
                                     (_user(BEN), 6.5, ""), (local, 7, "Fine.")):
        grading.save_grade(teacher, discussion, student.id, version=0, score=score,
                           feedback=feedback)
    return discussion, teacher, local


def _passbacks(**where) -> list[LtiScorePassback]:
    db.session.expire_all()
    return list(db.session.scalars(select(LtiScorePassback).filter_by(**where)
                                   .order_by(LtiScorePassback.id)))


def test_releasing_grades_sends_each_score_to_the_lms(app, platform, graded, worker):
    discussion, teacher, local = graded
    grading.release_grades(teacher, discussion)
    worker.process_events_task.call_local()  # what the release's event wakes

    assert len(platform.line_items) == 1
    item = platform.line_items[0]
    assert (item["label"], item["scoreMaximum"], item["resourceLinkId"]) == (
        "Versailles", 10, "link-1")
    assert db.session.scalar(select(LtiResourceLink)).lineitem_url == item["id"]
    scores = {score["userId"]: score for score in platform.scores}
    assert set(scores) == {ANA.sub, BEN.sub}
    ana = scores[ANA.sub]
    assert ana["lineitem"] == "/lineitems/1"
    assert (ana["scoreGiven"], ana["scoreMaximum"], ana["activityProgress"],
            ana["gradingProgress"], ana["comment"]) == (
        8, 10, "Completed", "FullyGraded", "Good use of *sources*.")
    assert ana["timestamp"].endswith("+00:00")
    assert scores[BEN.sub]["scoreGiven"] == 6.5
    # Each passback and its answer, beside the grade's audit trail.
    sent = _passbacks(state=PassbackState.ACCEPTED)
    assert len(sent) == 2 and all([t.status for t in p.tries] == [204] for p in sent)
    skipped = _passbacks(state=PassbackState.SKIPPED)
    assert [p.grade.student_id for p in skipped] == [local.id]
    assert "no LMS identity" in skipped[0].reason
    # The assertions were signed with the tool's current key, for this platform.
    assertion = platform.assertions[0]
    assert (assertion["iss"], assertion["aud"], assertion["kid"]) == (
        platform.client_id, platform.token_url, lti_keys.signing_key().kid)
    # Nothing is sent twice: a later sweep finds nothing to plan.
    worker.sweep.call_local()
    assert len(platform.scores) == 2 and len(_passbacks()) == 3


def test_a_refused_score_is_retried_until_the_lms_accepts(app, platform, graded, worker,
                                                          login_as):
    discussion, teacher, _local = graded
    platform.fail_scores = 2
    grading.release_grades(teacher, discussion, [_user(ANA).id])
    worker.process_events_task.call_local()
    (passback,) = _passbacks()
    assert passback.state is PassbackState.PENDING and passback.attempts == 1
    wait = passback.next_attempt_at - passback.tries[0].at
    assert timedelta(seconds=29) < wait < timedelta(seconds=31)
    assert worker.send_score_task.call_local(passback.id) is None  # not due yet
    assert platform.score_posts == 1
    for _ in range(2):  # time passes: the retry falls due
        db.session.execute(update(LtiScorePassback).values(
            next_attempt_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        worker.send_score_task.call_local(passback.id)
    (passback,) = _passbacks()
    assert passback.state is PassbackState.ACCEPTED and passback.attempts == 3
    assert [t.status for t in passback.tries] == [503, 503, 204]
    assert "try later" in passback.tries[0].answer
    assert len(platform.scores) == 1 and platform.scores[0]["scoreGiven"] == 8
    # The grade's history on the grading page shows the passback and each answer.
    page = login_as(teacher).get(f"/discussions/{discussion.id}/grading/{_user(ANA).id}")
    assert page.status_code == 200 and "Sent to the LMS" in page.text
    # Each try's line reads "<when> · <status>": a bare "503" could be any number's digits.
    assert re.findall(r"· (\d{3})\b", page.text) == ["503", "503", "204"]
    assert "accepted" in page.text


def test_a_grade_changed_after_release_sends_the_new_score(app, platform, graded, worker):
    discussion, teacher, _local = graded
    ana = _user(ANA)
    grading.release_grades(teacher, discussion, [ana.id])
    worker.process_events_task.call_local()
    grade = grading.find_grade(discussion, ana.id)
    grading.save_grade(teacher, discussion, ana.id, version=grade.version, score=9.5,
                       feedback="Revised after your sources were checked.")
    worker.process_events_task.call_local()  # what the change's event wakes: no sweep
    assert [(s["scoreGiven"], s["comment"]) for s in platform.scores] == [
        (8, "Good use of *sources*."), (9.5, "Revised after your sources were checked.")]
    assert platform.scores[0]["timestamp"] < platform.scores[1]["timestamp"]
    assert [p.state for p in _passbacks()] == [PassbackState.ACCEPTED] * 2
    assert len(platform.line_items) == 1  # the line item made once, then reused
    # Ana is told of the change, as of the release, in words that fit.
    told = [n.text for n in notifications.notifications_page(ana)[0]]
    assert told[0] == "Your grade for “Versailles” was changed"
    assert told[1] == "Your grade for “Versailles” is released"


def test_a_launch_s_line_item_is_used_as_is(app, platform, graded, worker):
    discussion, teacher, _local = graded
    platform.line_items.append({"id": f"{platform.url}/lineitems/77", "label": "LMS's own",
                                "scoreMaximum": 10, "resourceLinkId": "link-1"})
    platform.launch(app.test_client(), OKAFOR, lineitem=f"{platform.url}/lineitems/77")
    grading.release_grades(teacher, discussion, [_user(ANA).id])
    worker.process_events_task.call_local()
    assert [s["lineitem"] for s in platform.scores] == ["/lineitems/77"]
    assert "/lineitems" not in platform.requests  # nothing looked up or made
    assert len(platform.line_items) == 1


# The gradebook's column -----------------------------------------------------------


def _link() -> LtiResourceLink:
    db.session.expire_all()
    return db.session.scalar(select(LtiResourceLink))


def test_linking_a_discussion_with_points_makes_its_lms_column_at_once(
        app, platform, graded, worker):
    assert platform.line_items == []  # nothing graded is released yet
    worker.sweep.call_local()
    (item,) = platform.line_items
    assert (item["label"], item["scoreMaximum"], item["resourceLinkId"]) == (
        "Versailles", 10, "link-1")
    link = _link()
    assert (link.lineitem_url, link.lineitem_label, link.lineitem_score_maximum) == (
        item["id"], "Versailles", 10)
    # Nothing more to say: the next sweep sends nothing.
    asked = len(platform.requests)
    worker.sweep.call_local()
    assert len(platform.requests) == asked


def test_a_new_title_or_points_changes_the_lms_column(app, platform, graded, worker):
    discussion, _teacher, _local = graded
    worker.sweep.call_local()
    discussion = db.session.get(Discussion, discussion.id)
    discussion.title, discussion.points_possible = "Versailles, 1919", 20
    db.session.commit()
    worker.sweep.call_local()
    (item,) = platform.line_items  # the same column, changed in place
    assert (item["label"], item["scoreMaximum"]) == ("Versailles, 1919", 20)
    assert platform.line_item_puts == 1
    assert _link().lineitem_label == "Versailles, 1919"


def test_a_refused_column_waits_before_it_is_tried_again(app, platform, graded, worker):
    platform.fail_line_items = 1
    worker.sweep.call_local()
    assert platform.line_items == []
    link = _link()
    assert link.lineitem_url is None and link.lineitem_retry_at > utcnow()
    worker.sweep.call_local()  # not due yet: the platform is not asked again
    assert platform.fail_line_items == 0 and platform.line_items == []
    db.session.execute(update(LtiResourceLink).values(
        lineitem_retry_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    worker.sweep.call_local()
    assert len(platform.line_items) == 1 and _link().lineitem_retry_at is None


def test_a_discussion_without_points_gets_no_lms_column(app, platform, graded, worker):
    discussion, _teacher, _local = graded
    db.session.get(Discussion, discussion.id).points_possible = 0
    db.session.commit()
    worker.sweep.call_local()
    assert platform.line_items == [] and _link().lineitem_url is None


# The admins' page of scores the LMS has not taken ------------------------------------


def test_admins_see_scores_not_taken_and_send_them_now(app, platform, graded, worker,
                                                       login_as, make):
    discussion, teacher, local = graded
    platform.fail_scores = 1
    grading.release_grades(teacher, discussion, [_user(ANA).id, local.id])
    worker.process_events_task.call_local()
    admin = login_as(make.user("Site Admin", admin=True))
    page = admin.get("/admin/lti/scores")
    assert page.status_code == 200
    rows = page.text.split("<tbody>")[1]
    assert "Ana Lindqvist" in rows and "Local Student" in rows
    assert "gradebook busy" in rows and "no LMS identity" in rows
    pending = _passbacks(state=PassbackState.PENDING)[0]
    # Send now: at once, not at its retry time 30 s away.
    answer = admin.post(f"/admin/lti/scores/{pending.id}/send")
    assert answer.status_code == 302
    assert db.session.get(LtiScorePassback, pending.id).state is PassbackState.ACCEPTED
    assert [s["scoreGiven"] for s in platform.scores] == [8]
    # A skipped one cannot be aimed while the student has no LMS identity: said, kept.
    skipped = _passbacks(state=PassbackState.SKIPPED)[0]
    page = admin.post(f"/admin/lti/scores/{skipped.id}/send", follow_redirects=True)
    assert "still has no LMS identity" in page.text
    assert _passbacks(state=PassbackState.SKIPPED)[0].id == skipped.id
    # Once they launch from the LMS, it goes.
    db.session.add(LtiUser(platform_id=db.session.scalar(select(LtiUser.platform_id)),
                           sub="lms-user-local", user_id=local.id))
    db.session.commit()
    admin.post(f"/admin/lti/scores/{skipped.id}/send")
    assert {s["userId"]: s["scoreGiven"] for s in platform.scores}["lms-user-local"] == 7
    # An accepted one has nothing to send.
    page = admin.post(f"/admin/lti/scores/{pending.id}/send", follow_redirects=True)
    assert "This score is accepted: nothing to send." in page.text
    assert "None: every released score was taken." in admin.get("/admin/lti/scores").text


@pytest.mark.parametrize("who", ["instructor", "student", "anonymous"])
def test_only_admins_see_or_send_scores_not_taken(app, platform, graded, worker, login_as,
                                                  who):
    discussion, teacher, local = graded
    grading.release_grades(teacher, discussion, [local.id])
    worker.process_events_task.call_local()
    (skipped,) = _passbacks()
    client = {"instructor": lambda: login_as(teacher), "student": lambda: login_as(local),
              "anonymous": app.test_client}[who]()
    page = client.get("/admin/lti/scores")
    sent = client.post(f"/admin/lti/scores/{skipped.id}/send")
    if who == "anonymous":
        assert page.status_code == sent.status_code == 302  # to the sign-in page
    else:
        assert page.status_code == sent.status_code == 403
    assert "no LMS identity" not in page.text
    assert _passbacks()[0].state is PassbackState.SKIPPED


def test_an_older_version_of_a_grade_is_never_sent_by_hand(app, platform, graded, worker,
                                                             login_as, make):
    """Send now on a score whose grade has changed since refuses: the newer version goes
    (and, once planned, the older one is superseded, skipped ones too)."""
    discussion, teacher, local = graded
    grading.release_grades(teacher, discussion, [local.id])
    worker.process_events_task.call_local()
    (skipped,) = _passbacks()
    grade = grading.find_grade(discussion, local.id)
    db.session.execute(update(Grade).where(Grade.id == grade.id)
                       .values(version=Grade.version + 1, score=3))
    db.session.commit()
    admin = login_as(make.user("Site Admin", admin=True))
    page = admin.post(f"/admin/lti/scores/{skipped.id}/send", follow_redirects=True)
    assert "its newer version is sent instead" in page.text
    assert _passbacks()[0].state is PassbackState.SKIPPED
    worker.process_events_task.call_local()  # plans the new version
    states = [p.state for p in _passbacks()]
    assert states == [PassbackState.SUPERSEDED, PassbackState.SKIPPED]
