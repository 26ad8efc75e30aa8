"""The three rules that make the post page's kept threads right (forum/web/thread_view.py),
as checks rather than comments:

1. the rules the thread uses read the viewer's kind (signed in, admin, role), and of the
   person only whether they wrote the reply at hand;
2. replies are never removed;
3. every write to a reply raises its version, so the thread's stamp changes.
"""

from __future__ import annotations

import inspect

import pytest
from sqlalchemy import delete, update

from forum import access
from forum.extensions import db
from forum.models import PromptState, Reply, Role
from forum.models.replies import ThreadRuleBroken
from forum.services import replies
from forum.services.threads import thread_stamp
from forum.web.thread_view import Peer

SEATS = ["admin", "instructor", "ta", "student", "classmate", "outsider", "anonymous",
         "guest"]


@pytest.fixture
def thread(world, make):
    """A thread with every state a control depends on: a deleted reply, a resolved and
    an answered prompt, the author's answer, a TA's reply."""
    make.reply(world.post, world.ta, body="A TA adds a source.")
    gone = make.reply(world.post, world.classmate, body="Withdrawn")
    replies.delete_reply(world.classmate, gone)
    answer = make.reply(world.post, world.student, parent=world.prompt, body="These terms.")
    resolved = make.prompt(world.post, world.ta, body="And the reparations?")
    replies.resolve_prompt(world.ta, resolved)
    world.answer = answer
    _held_and_guests(world, make)
    _revealed_after_posting(world, make)
    return world


def _revealed_after_posting(world, make):
    """A discussion that shows classmates' writing after one's own post: the student
    posted, the classmate did not; both answered the TA's post (the classmate without
    their name)."""
    from forum.models import Anonymity, Reveal

    discussion = make.discussion(world.course, reveal=Reveal.AFTER_POSTING,
                                 anonymity=Anonymity.ALLOWED,
                                 created_by_id=world.instructor.id)
    opening = make.post(discussion, world.ta, title="The TA opens")
    replies.reply_to(world.classmate, opening, None, "The classmate answers, unsigned.",
                     anonymous=True)
    make.post(discussion, world.student, title="The student's own")
    make.reply(opening, world.student, body="The student answers.")


def _held_and_guests(world, make):
    """A public course's thread with a guest's published and hidden comments, and a
    member's reply held for review."""
    from forum.models import Anonymous, GuestComments, Visibility
    from forum.services import guests, moderation

    world.course.visibility, world.course.guest_comments = Visibility.PUBLIC, GuestComments.AUTO
    db.session.commit()
    held = make.reply(world.post, world.classmate, body="Wait for me")
    moderation.moderate(world.ta, held, "hide", "Later")
    guest_ids = set()
    for body in ("The tone was harsh indeed.", "A visitor's aside on the treaty."):
        comment = guests.comment_as_guest(Anonymous(), world.post, guests.GuestInput(
            name="Visitor", email="visitor@example.org", body=body))
        guest_ids.add(comment.guest_id)
    moderation.moderate(world.ta, comment, "hide", "Off topic")
    world.actors["guest"] = Anonymous(guest_ids=frozenset(guest_ids))


def _subject(rule, reply: Reply) -> tuple:
    """What the rule is asked about: the reply, its post or its course (an item's rule
    also reads its course)."""
    name = list(inspect.signature(rule).parameters)[1]
    course = reply.post.discussion.course
    return {"reply": (reply,), "post": (reply.post,), "course": (course,),
            "item": (reply, course), "discussion": (reply.post.discussion,)}[name]


def _as_kind(actor, reply: Reply) -> Peer:
    """The stand-in the cache renders with: the viewer's kind, and their id only where
    they wrote the reply."""
    course = reply.post.discussion.course
    wrote = actor.is_authenticated and actor.id == reply.author_id
    as_guest = frozenset({reply.guest_id}) & actor.guest_ids
    return Peer(role=access.role_in(actor, course), is_admin=access.is_admin(actor),
                is_authenticated=actor.is_authenticated, id=actor.id if wrote else None,
                guest_ids=as_guest,
                unlocked=access.peers_revealed(actor, reply.post.discussion))


@pytest.mark.parametrize("rule", access.THREAD_RULES, ids=lambda r: r.__name__)
def test_thread_rules_read_only_the_viewers_kind(thread, rule):
    """Were a rule to read anything else about the person (who wrote the post, a name,
    a setting), some viewer would get a copy rendered for someone else."""
    from forum.models import Anonymous

    for reply in db.session.scalars(db.select(Reply)):
        subject = _subject(rule, reply)
        for seat in SEATS:
            actor = thread.actors[seat] or Anonymous()
            assert rule(actor, *subject) == rule(_as_kind(actor, reply), *subject), \
                (rule.__name__, seat, reply.id)


class Recorder:
    """An actor that notes which of its attributes a rule reads."""

    def __init__(self, role: Role | None, author_id: int | None):
        self._role, self.read = role, set()
        self._id = author_id

    def __getattr__(self, name):
        self.read.add(name)
        values = {"id": self._id, "is_authenticated": True, "is_admin": False,
                  "guest_ids": frozenset(),
                  "course_role": lambda _course_id: self._role,
                  "has_unlocked": lambda _discussion: False}
        if name not in values:
            raise AttributeError(name)
        return values[name]


@pytest.mark.parametrize("rule", access.THREAD_RULES, ids=lambda r: r.__name__)
def test_thread_rules_read_the_actor_only_through_its_protocol(thread, rule):
    protocol = {"id", "is_authenticated", "is_admin", "course_role", "guest_ids",
                "has_unlocked"}
    for reply in db.session.scalars(db.select(Reply)):
        for role in (None, *Role):
            actor = Recorder(role, reply.author_id)
            rule(actor, *_subject(rule, reply))
            assert actor.read <= protocol, (rule.__name__, actor.read - protocol)


def test_a_reply_is_never_removed(thread):
    reply = db.session.get(Reply, thread.reply.id)
    db.session.delete(reply)
    with pytest.raises(ThreadRuleBroken):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(ThreadRuleBroken):
        db.session.execute(delete(Reply).where(Reply.id == thread.reply.id))
    db.session.rollback()
    assert db.session.get(Reply, thread.reply.id) is not None


def test_a_bulk_update_must_raise_the_version(thread):
    with pytest.raises(ThreadRuleBroken):
        db.session.execute(update(Reply).where(Reply.id == thread.reply.id)
                           .values(body="Quietly changed"))
    db.session.rollback()
    db.session.execute(update(Reply).where(Reply.id == thread.reply.id)
                       .values(body="Openly changed", version=Reply.version + 1))
    db.session.commit()


WRITES = {
    "a new reply": lambda w: replies.reply_to(w.classmate, w.post, None, "One more thought."),
    "a new prompt": lambda w: replies.ask_prompt(w.ta, w.post, None, "Sources?"),
    "an edit": lambda w: replies.update_reply(w.classmate, w.reply, version=w.reply.version,
                                              body="Moderate, for whom exactly?"),
    "a deletion": lambda w: replies.delete_reply(w.classmate, w.reply),
    "a restoration": lambda w: (replies.delete_reply(w.classmate, w.reply),
                                replies.restore_reply(w.ta, w.reply)),
    "a resolved prompt": lambda w: replies.resolve_prompt(w.instructor, w.prompt),
    "an answered prompt": lambda w: replies.reply_to(w.student, w.post, w.prompt.id,
                                                     "I mean the reparations."),
}


@pytest.mark.parametrize("write", WRITES)
def test_every_write_to_a_thread_raises_its_stamp(world, write):
    before = thread_stamp(world.post)
    WRITES[write](world)
    db.session.expire_all()
    assert thread_stamp(world.post) > before
    if write == "an answered prompt":
        assert db.session.get(Reply, world.prompt.id).prompt_state is PromptState.ANSWERED
