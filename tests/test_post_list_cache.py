"""The discussion page's list of posts is rendered once per kind of viewer and kept
(forum/web/post_list_view.py): every viewer gets the bytes the page had without the
cache, nobody gets another person's drafts, held posts, New marks or anonymous name, and
every write shows at once."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from forum import access
from forum.extensions import db
from forum.models import Anonymity, Anonymous, GuestComments, Post, Reply, Reveal, Role, Visibility
from forum.services import accounts, guests, moderation, posts, replies
from forum.services.post_list import personal_posts
from forum.web import post_list_view
from forum.web.post_list_view import _peer_of

VIEWERS = ["student", "classmate", "ta", "instructor", "admin", "anonymous", "visitor"]


@pytest.fixture
def listing(world, make):
    """The world's discussion with everything a list item depends on, on a public course:
    the student's draft, held post and anonymous post; a pinned, a locked and a deleted
    post; a deleted post kept on the list only by the classmate's own held reply; the
    classmate's held reply on the student's post; a guest's held comment. And a second
    discussion that reveals classmates' posts after one's own: the student posted there,
    the classmate did not."""
    world.course.visibility, world.course.guest_comments = Visibility.PUBLIC, GuestComments.AUTO
    world.discussion.anonymity = Anonymity.ALLOWED
    db.session.commit()
    w = world
    w.draft = make.post(w.discussion, w.student, title="Half a thought", draft=True)
    w.held = make.post(w.discussion, w.student, title="Held back for now")
    moderation.moderate(w.ta, w.held, "hide", "Cite your sources")
    w.unsigned = posts.create_post(w.student, w.discussion, title="Said without my name",
                                   body="An anonymous view.", anonymous=True)
    third = make.member(w.course, Role.STUDENT, "Cleo Third")
    w.pinned = make.post(w.discussion, third, title="Pinned by staff")
    moderation.set_pinned(w.ta, w.pinned, True)
    w.locked = make.post(w.discussion, third, title="Locked by staff")
    moderation.set_locked(w.ta, w.locked, True)
    w.gone = make.post(w.discussion, third, title="Gone but answered")
    make.reply(w.gone, w.student, body="An answer that keeps it listed.")
    posts.delete_post(third, w.gone)
    w.kept_by_own = make.post(w.discussion, third, title="Kept by one held reply")
    own_held = make.reply(w.kept_by_own, w.classmate, body="Mine, under review.")
    moderation.moderate(w.ta, own_held, "hide", "Later")
    posts.delete_post(third, w.kept_by_own)
    w.held_reply = make.reply(w.post, w.classmate, body="Under review.")
    moderation.moderate(w.ta, w.held_reply, "hide", "Tone")
    comment = guests.comment_as_guest(Anonymous(), w.post, guests.GuestInput(
        name="Visitor", email="visitor@example.org", body="A visitor's held comment."))
    moderation.moderate(w.ta, comment, "hide", "Off topic")
    w.visitor_comment = comment
    w.late = make.discussion(w.course, reveal=Reveal.AFTER_POSTING,
                             created_by_id=w.instructor.id, title="After posting")
    opening = make.post(w.late, w.ta, title="The TA opens")
    make.reply(opening, w.classmate, body="The classmate answers.")
    make.post(w.late, w.student, title="The student's own")
    return w


def _client(w, login_as, name: str):
    if name == "visitor":
        client = login_as(None)
        with client.session_transaction() as session:
            session["guest_comments"] = {str(w.visitor_comment.guest_id): w.post.id}
        return client
    return login_as(w.actors[name])


def _page(client, discussion) -> str:
    response = client.get(f"/discussions/{discussion.id}")
    assert response.status_code == 200
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value=""',
                  response.get_data(as_text=True))


def _list(client, discussion) -> str:
    page = _page(client, discussion)
    return page[page.index("<h2>", page.index("</header>")):]


def _item(listed: str, post: Post) -> str:
    """The list item of one post ('' when it is not on the list)."""
    for item in listed.split('<li class="post-summary')[1:]:
        if f'href="/posts/{post.id}"' in item:
            return item[:item.index("</li>")]
    return ""


@pytest.mark.parametrize("which", ["discussion", "late"])
def test_every_viewer_gets_the_bytes_the_page_had_without_the_cache(
        listing, login_as, monkeypatch, which):
    discussion = getattr(listing, which)
    # Some reading, so that New marks and "n new" differ from person to person.
    _page(login_as(listing.student), listing.discussion)
    login_as(listing.student).get(f"/posts/{listing.pinned.id}")
    make_reply = replies.reply_to(listing.ta, listing.pinned, None, "After she read it.")
    assert make_reply.id
    seen = set()
    for name in VIEWERS * 2:  # the second round is served from copies made by others
        client = _client(listing, login_as, name)
        served = _page(client, discussion)
        with monkeypatch.context() as patch:
            patch.setattr(post_list_view, "post_list", post_list_view.post_list_alone)
            alone = _page(client, discussion)
        assert served == alone, name
        seen.add(served)
    assert len(seen) >= 5


def test_nobody_gets_another_persons_own_posts_marks_or_name(listing, login_as):
    student, classmate = login_as(listing.student), None
    login_as(listing.student).get(f"/posts/{listing.pinned.id}")
    mine = _list(student, listing.discussion)
    classmate = login_as(listing.classmate)
    theirs = _list(classmate, listing.discussion)
    staff = _list(login_as(listing.ta), listing.discussion)
    assert "Half a thought" in mine and "Half a thought" not in theirs + staff
    assert "Held back for now" in mine and "Held back for now" not in theirs
    assert "you (anonymous)" in mine and "you (anonymous)" not in theirs + staff
    assert "Ana Lindqvist" not in _item(theirs, listing.unsigned)
    assert "Anonymous" in _item(theirs, listing.unsigned)
    assert "badge-new" not in _item(mine, listing.pinned)
    assert "badge-new" in _item(theirs, listing.pinned)
    # The deleted post kept on the list by the classmate's own held reply is theirs.
    assert _item(theirs, listing.kept_by_own) and not _item(mine, listing.kept_by_own)
    assert "1 response" in _item(theirs, listing.kept_by_own)
    # The classmate's held reply counts for them and for staff, not for the author.
    assert "3 responses" in _item(theirs, listing.post)
    assert "2 responses" in _item(mine, listing.post)
    # Anonymous visitors get neither, nor the guest's held comment in the count.
    outside = _list(login_as(None), listing.discussion)
    assert "Held back for now" not in outside and "Half a thought" not in outside
    assert "2 responses" in _item(outside, listing.post)
    visitor = _list(_client(listing, login_as, "visitor"), listing.discussion)
    assert "3 responses" in _item(visitor, listing.post)


def test_a_student_who_has_not_posted_sees_only_their_own_and_the_staffs(listing, login_as):
    student = _list(login_as(listing.student), listing.late)
    classmate = _list(login_as(listing.classmate), listing.late)
    assert "The student&#39;s own" in student and "The TA opens" in student
    assert "The student&#39;s own" not in classmate and "The TA opens" in classmate
    # The TA's post: the student sees the classmate's reply; the classmate their own.
    assert "1 response" in student and "1 response" in classmate


def _rename(w):
    accounts.update_profile(w.third_author, "Cleo Renamed")


WRITES = {
    "a new title": (lambda w: posts.update_post(
        w.third_author, w.pinned, version=w.pinned.version, title="A better title",
        body="Body."), "A better title"),
    "a moderation": (lambda w: moderation.moderate(w.ta, w.pinned, "hide", "No"), None),
    "a deletion": (lambda w: posts.delete_post(w.third_author, w.locked), None),
    "a pin": (lambda w: moderation.set_pinned(w.ta, w.locked, True), "badge-pinned"),
    "a lock": (lambda w: moderation.set_locked(w.ta, w.pinned, True), "badge-locked"),
    "a new reply": (lambda w: replies.reply_to(w.ta, w.locked, None, "A word."),
                    "1 response"),
    "a new name": (_rename, "Cleo Renamed"),
}


@pytest.mark.parametrize("write", WRITES)
def test_every_write_shows_at_once(listing, login_as, write):
    w = listing
    w.third_author = db.session.get(Post, w.pinned.id).author
    target = w.locked if write in {"a deletion", "a pin", "a new reply"} else w.pinned
    client = login_as(w.classmate)
    before = _item(_list(client, w.discussion), target)
    WRITES[write][0](w)
    after = _item(_list(client, w.discussion), target)
    assert after != before, write
    shown = WRITES[write][1]
    if shown:
        assert shown in after and shown not in before
    elif write == "a moderation":
        assert after == ""
    else:
        assert "This post was deleted" in after or after == ""


def test_a_reveal_shows_at_once(listing, login_as):
    client = login_as(listing.classmate)
    assert "The student&#39;s own" not in _list(client, listing.late)
    posts.create_post(listing.classmate, listing.late, title="Mine at last", body="Here.")
    listed = _list(client, listing.late)
    assert "The student&#39;s own" in listed and "Mine at last" in listed


def test_a_removed_reply_count_comes_back(listing, login_as):
    client = login_as(listing.classmate)
    assert "3 responses" in _item(_list(client, listing.discussion), listing.post)
    replies.delete_reply(listing.classmate, listing.held_reply)
    assert "2 responses" in _item(_list(client, listing.discussion), listing.post)


def _statements(client, discussion, count_queries) -> int:
    client.get(f"/discussions/{discussion.id}")
    with count_queries() as counter:
        assert client.get(f"/discussions/{discussion.id}").status_code == 200
    return counter.count


@pytest.mark.parametrize("name", ["admin", "student", "classmate", "anonymous"])
def test_the_statements_stay_bounded(listing, make, login_as, count_queries, monkeypatch,
                                     name):
    """The stamp takes the list's place; a viewer's own posts (the student's) and replies
    counted for them alone (the classmate's held one) cost one statement each."""
    client = login_as(listing.actors[name])
    with monkeypatch.context() as patch:
        patch.setattr(post_list_view, "post_list", post_list_view.post_list_alone)
        uncached = _statements(client, listing.discussion, count_queries)
    small = _statements(client, listing.discussion, count_queries)
    for n in range(8):
        author = make.member(listing.course, Role.STUDENT, f"Grown {n}")
        post = make.post(listing.discussion, author, title=f"Grown post {n}")
        make.reply(post, listing.classmate if n % 2 else listing.student)
    assert _statements(client, listing.discussion, count_queries) == small
    assert small == uncached + {"admin": 0, "anonymous": 0, "student": 1}.get(name, 2)


SEATS = ["admin", "instructor", "ta", "student", "classmate", "outsider", "anonymous"]


@pytest.mark.parametrize("which", ["discussion", "late"])
def test_a_kinds_list_shows_nothing_its_viewers_may_not_see(listing, which):
    """What the cache relies on, seat by seat: the kind's list holds only posts each of
    its viewers' lists holds; the posts read for the viewer alone are exactly those the
    kind's list lacks or that they wrote; and the replies counted for the viewer and not
    for the kind are their own."""
    discussion = getattr(listing, which)
    actors = {**listing.actors, "visitor": Anonymous(
        guest_ids=frozenset({listing.visitor_comment.guest_id}))}
    for seat, actor in actors.items():
        actor = actor or Anonymous()
        if seat == "outsider":
            continue  # never past the discussion's gate
        kind = _peer_of(actor, discussion)
        theirs = set(db.session.scalars(select(Post.id).where(
            access.listed_posts(kind, discussion))))
        mine = set(db.session.scalars(select(Post.id).where(
            access.listed_posts(actor, discussion))))
        alone = set(db.session.scalars(select(Post.id).where(
            access.listed_posts(actor, discussion), personal_posts(actor, kind, discussion))))
        assert theirs <= mine, seat
        own = {post.id for post in db.session.scalars(select(Post).where(
            Post.discussion_id == discussion.id)) if actor.id and post.author_id == actor.id}
        assert alone == (mine - theirs) | (own & mine), seat
        counted = _counted(actor, discussion)
        kind_counted = _counted(kind, discussion)
        assert kind_counted <= counted, seat
        for reply_id in counted - kind_counted:
            reply = db.session.get(Reply, reply_id)
            assert (reply.author_id is not None and reply.author_id == actor.id) or (
                reply.guest_id in actor.guest_ids), (seat, reply_id)


def _counted(actor, discussion) -> set[int]:
    return set(db.session.scalars(select(Reply.id).where(
        access.visible_replies_in(actor, discussion))))
