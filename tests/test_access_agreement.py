"""Every visibility rule and its SQL twin agree, for every seat and every object.

`forum.access.TWINS` pairs each `can_view_*`-style predicate with the scope that lists,
counts, search and exports use. Over a world with drafts, tombstones, private and shared
feedback, draft and released grades, a public and a private course, the rows a scope
selects are exactly the objects its predicate allows.
"""

from __future__ import annotations

import inspect

import pytest
from sqlalchemy import select

from forum import access
from forum.extensions import db
from forum.models import (
    AnnotationVisibility,
    Anonymous,
    Enrollment,
    GuestComments,
    Role,
    Visibility,
)
from forum.services import (
    annotations,
    grading,
    guests,
    moderation,
    notifying,
    posts,
    replies,
)

SEATS = ["admin", "instructor", "ta", "author", "classmate", "outsider", "stranger",
         "anonymous", "guest"]

# Predicates that gate a page or a standing, not rows: no list is filtered by them.
GATES = {
    "can_view_deleted": "a standing in a course (staff), read by the row rules",
    "can_view_members": "opens the members page; its rows follow can_view_enrollment",
    "can_view_revisions": "opens a post's earlier versions, all or none",
    "can_view_reply_revisions": "opens a reply's earlier versions, all or none",
    "can_view_gradebook": "opens the gradebook; its grades follow can_view_grade",
    "can_view_prompt_list": "opens the staff list of prompts",
    "can_view_held": "a standing read by the row rules of posts and replies (held items)",
}


@pytest.fixture
def universe(make):
    """Two courses, one public, each with everything a rule can tell apart."""
    from types import SimpleNamespace

    w = SimpleNamespace()
    private, public = make.course(title="Private seminar"), make.course(public=True)
    w.admin = make.user("Admin", admin=True)
    w.instructor = make.member(private, Role.INSTRUCTOR, "Instructor")
    w.ta = make.member(private, Role.TA, "Assistant")
    w.author = make.member(private, Role.STUDENT, "Author")
    w.classmate = make.member(private, Role.STUDENT, "Classmate")
    w.outsider = make.member(public, Role.STUDENT, "Public student")
    w.stranger = make.user("Registered, in no course")
    public_teacher = make.member(public, Role.INSTRUCTOR, "Public teacher")
    db.session.add(Enrollment(user=w.author, course=public, role=Role.STUDENT))
    db.session.commit()
    for course, teacher, student, peer in ((private, w.instructor, w.author, w.classmate),
                                           (public, public_teacher, w.outsider, w.author)):
        discussion = make.discussion(course, created_by_id=teacher.id)
        live = make.post(discussion, student, title="Live")
        make.post(discussion, student, title="Draft", draft=True)
        gone = make.post(discussion, peer, title="Deleted, no replies")
        posts.delete_post(peer, gone)
        answered = make.post(discussion, peer, title="Deleted, answered")
        make.reply(answered, student, body="Still here beneath a tombstone.")
        posts.delete_post(peer, answered)
        make.reply(live, peer)
        hasty = make.reply(live, peer, body="Said in haste.")
        replies.delete_reply(peer, hasty)
        make.prompt(live, teacher, body="Why so?")
        for shared in AnnotationVisibility:
            annotations.annotate(teacher, live, quote="settlement", body=f"{shared} note",
                                 visibility=shared.value)
        withdrawn = annotations.annotate(teacher, live, quote="harsh", body="Withdrawn")
        annotations.delete_annotation(teacher, withdrawn)
        grading.save_grade(teacher, discussion, student.id, version=None, score=7)
        grading.release_grades(teacher, discussion)
        grading.save_grade(teacher, discussion, peer.id, version=None, score=3)
        _moderated_items(teacher, discussion, live, student, peer, make)
    _revealed_late(make, private, w)
    _anonymous_items(make, private, w)
    kept = make.discussion(public, created_by_id=public_teacher.id, title="Members only",
                           visibility=Visibility.PRIVATE)
    make.reply(make.post(kept, w.outsider, title="Kept to members"), w.author)
    public.guest_comments = GuestComments.AUTO
    db.session.commit()
    w.guest_ids = set()
    public_live = next(p for p in public.discussions[0].posts if p.title == "Live")
    for name, body, honeypot in (
            ("Reader", "The settlement was harsh, as the post says, in tone.", ""),
            ("Held reader", "Another view on the settlement, held for review.", ""),
            ("Bot", "Cheap essays, great post", "filled")):
        comment = guests.comment_as_guest(Anonymous(), public_live, guests.GuestInput(
            name=name, email=f"{name.split()[0].lower()}@example.org", body=body,
            honeypot=honeypot))
        if name == "Held reader":
            moderation.moderate(public_teacher, comment, "hide", "Off topic")
            w.guest_ids.add(comment.guest_id)
    w.actors = {seat: getattr(w, seat, None) or Anonymous() for seat in SEATS}
    w.actors["guest"] = Anonymous(guest_ids=frozenset(w.guest_ids))
    notifying.process_events()  # everyone's notifications of all this
    return w


def _revealed_late(make, course, w):
    """Discussions that show classmates' writing only after posting (the author posted,
    the classmate did not), after a due date still to come, and after grades are released
    (the author's is, the classmate's is a draft); a staff post answered by both."""
    from datetime import timedelta

    from forum.models import Reveal, utcnow

    for reveal in (Reveal.AFTER_POSTING, Reveal.AFTER_DUE, Reveal.AFTER_RELEASE):
        discussion = make.discussion(course, created_by_id=w.instructor.id, reveal=reveal,
                                     title=f"Reveal {reveal}",
                                     due_at=utcnow() + timedelta(days=3))
        staff_post = make.post(discussion, w.ta, title="The TA opens")
        make.reply(staff_post, w.classmate, body="The classmate answers the TA.")
        make.reply(staff_post, w.author, body="The author answers the TA.")
        make.post(discussion, w.author, title=f"Author's {reveal}")
        make.post(discussion, w.classmate, title=f"Classmate's draft {reveal}", draft=True)
        grading.save_grade(w.instructor, discussion, w.author.id, version=None, score=5)
        grading.release_grades(w.instructor, discussion)
        grading.save_grade(w.instructor, discussion, w.classmate.id, version=None, score=4)


def _anonymous_items(make, course, w):
    """A discussion where students may write anonymously: an anonymous post by the
    classmate, a named one by the author, and an anonymous reply by the author."""
    from forum.models import Anonymity

    discussion = make.discussion(course, created_by_id=w.instructor.id,
                                 anonymity=Anonymity.ALLOWED, title="Anonymous allowed")
    hidden = posts.create_post(w.classmate, discussion, title="Unsigned", body="By someone.",
                               anonymous=True)
    named = make.post(discussion, w.author, title="Signed")
    replies.reply_to(w.author, hidden, None, "An unsigned answer.", anonymous=True)
    make.reply(named, w.classmate)


def _moderated_items(teacher, discussion, live, student, peer, make):
    """A post hidden by staff with a visible reply beneath it; a member's reply held for
    review, one marked as spam, one hidden with a reply beneath; a flagged reply."""
    hidden_post = make.post(discussion, peer, title="Hidden by staff")
    make.reply(hidden_post, student, body="Answered before it was hidden.")
    moderation.moderate(teacher, hidden_post, "hide", "Not the assignment")
    for action in ("hide", "spam"):
        held = make.reply(live, peer, body=f"To be {action}")
        make.reply(live, student, parent=held, body=f"Beneath what became {action}")
        moderation.moderate(teacher, held, action)
    waiting = make.reply(live, student, body="Waiting for review")
    waiting.moderation = waiting.moderation.PENDING
    db.session.commit()
    moderation.flag(peer, make.reply(live, student, body="Flagged once"), "Rude")


def _all(model) -> list:
    return list(db.session.scalars(select(model)))


def _rows(twin: access.Twin, actor, container) -> set[int]:
    condition = twin.scope(actor) if container is None else twin.scope(actor, container)
    return set(db.session.scalars(select(twin.model.id).where(condition)))


@pytest.mark.parametrize("twin", access.TWINS,
                         ids=lambda t: f"{t.predicate.__name__}~{t.scope.__name__}")
def test_scope_selects_exactly_what_its_predicate_allows(universe, twin):
    objects = _all(twin.model)
    groups: dict = {}
    for obj in objects:
        groups.setdefault(None if twin.within is None else twin.within(obj), []).append(obj)
    for seat in SEATS:
        actor = universe.actors[seat]
        for container, members in groups.items():
            allowed = {obj.id for obj in members if twin.predicate(actor, obj)}
            assert _rows(twin, actor, container) == allowed, (seat, container)


def test_the_world_tells_the_rules_apart(universe):
    """A world where every predicate says yes to someone and no to someone."""
    for twin in access.TWINS:
        answers = {twin.predicate(universe.actors[seat], obj)
                   for seat in SEATS for obj in _all(twin.model)}
        assert answers == {True, False}, twin.predicate.__name__


def test_every_visibility_predicate_has_a_twin_or_is_a_gate():
    twinned = {twin.predicate.__name__ for twin in access.TWINS}
    predicates = {name for name, value in vars(access).items()
                  if name.startswith("can_view_") and inspect.isfunction(value)}
    assert predicates - twinned - set(GATES) == set()
    assert not (set(GATES) & twinned)


def test_search_is_held_to_the_rules_across_courses_and_within_one():
    """Search spans courses (the actor's own, a visitor's public ones) and may be narrowed
    to one course or one author: each way has its twin above."""
    ways = {(twin.predicate.__name__, twin.within is None) for twin in access.TWINS}
    for rule in ("can_find_post", "can_find_reply"):
        assert {(rule, True), (rule, False)} <= ways
    assert {("can_attribute_reply", False), ("is_searched", True)} <= ways


def test_shared_feedback_is_for_members_not_for_readers_of_a_public_course(
        world, make, api, client):
    """A passage comment shared "with the class" reaches the course's members, never an
    anonymous visitor or a registered outsider of a public course (page and API)."""
    world.course.visibility = world.course.visibility.PUBLIC
    db.session.commit()
    annotations.annotate(world.ta, world.post, quote="harsh in tone",
                         body="Shared with the class", visibility="class")
    stranger = make.user("Passer-by")
    page = f"/posts/{world.post.id}"
    listing = f"/api/v1/posts/{world.post.id}/annotations"
    assert "Shared with the class" in api.get(world.classmate, listing).get_data(as_text=True)
    for reader in (None, stranger, world.outsider):
        assert "Shared with the class" not in api.get(reader, listing).get_data(as_text=True)
    client.get("/logout")
    assert "Shared with the class" not in client.get(page).get_data(as_text=True)


def test_every_kind_of_viewer_is_an_actor(world):
    from forum.models import Role
    from forum.web.thread_view import Peer

    for viewer in (world.student, world.admin, Anonymous(), Peer(Role.TA, False)):
        assert isinstance(viewer, access.Actor)
    assert not isinstance(object(), access.Actor)
