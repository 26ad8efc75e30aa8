"""Posts: writing with sources, drafts, validation, dates, revisions, deleting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Post, PostSource, Revision, Role, utcnow


def _posts() -> int:
    return db.session.scalar(select(func.count()).select_from(Post))


def _new_post(client, discussion, **fields):
    data = {"title": "Versailles reconsidered", "body": "An *argued* position.",
            "publish": "Publish", **fields}
    return client.post(f"/discussions/{discussion.id}/posts/new", data=data)


def test_student_writes_a_post_with_sources(world, login_as):
    client = login_as(world.classmate)
    response = _new_post(client, world.discussion, **{
        "sources-0-citation": "Keynes, The Economic Consequences of the Peace (1919)",
        "sources-0-url": "https://example.org/keynes",
        "sources-1-citation": "Treaty of Versailles, Article 231", "sources-1-url": "",
        "sources-2-citation": "", "sources-2-url": ""})
    assert response.status_code == 302
    post = db.session.scalar(select(Post).where(Post.title == "Versailles reconsidered"))
    assert [(s.citation, s.url) for s in post.sources] == [
        ("Keynes, The Economic Consequences of the Peace (1919)", "https://example.org/keynes"),
        ("Treaty of Versailles, Article 231", None)]
    assert post.body_html == "<p>An <em>argued</em> position.</p>\n"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Treaty of Versailles, Article 231" in page
    assert 'href="https://example.org/keynes"' in page
    listing = login_as(world.student).get(f"/discussions/{world.discussion.id}")
    assert "Versailles reconsidered" in listing.get_data(as_text=True)


LONG = {"title": "t" * 201, "body": "b" * 50_001}


@pytest.mark.parametrize(("fields", "message"), [
    ({"title": ""}, "Title is required"),
    ({"title": "   "}, "Title is required"),
    ({"body": ""}, "Body is required"),
    ({"title": LONG["title"]}, "Title must be at most 200 characters"),
    ({"body": LONG["body"]}, "Body must be at most 50,000 characters"),
    ({"body": "nul \x00 byte"}, "NUL character"),
    ({"sources-0-citation": "A book", "sources-0-url": "javascript:alert(1)"},
     "URL must start with http"),
    ({"sources-0-citation": "", "sources-0-url": "https://example.org"}, "Citation is required"),
])
def test_bad_post_input_is_explained_and_writes_nothing(world, login_as, fields, message):
    before = _posts()
    response = _new_post(login_as(world.classmate), world.discussion, **fields)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _posts() == before
    assert db.session.scalar(select(func.count()).select_from(PostSource)) == 0


def test_a_draft_is_seen_by_its_author_only(world, login_as):
    response = _new_post(login_as(world.classmate), world.discussion,
                         title="Half-finished thoughts", publish="", save_draft="Save draft")
    post_url = response.headers["Location"]
    assert login_as(world.classmate).get(post_url).status_code == 200
    for seat in ("student", "ta", "instructor"):
        client = login_as(world.actors[seat])
        assert client.get(post_url).status_code == 404
        listing = client.get(f"/discussions/{world.discussion.id}").get_data(as_text=True)
        assert "Half-finished thoughts" not in listing


def test_publishing_a_draft(world, login_as, make):
    draft = make.post(world.discussion, world.classmate, draft=True, title="Draft")
    client = login_as(world.classmate)
    client.post(f"/posts/{draft.id}/edit", data={"title": "Final", "body": "Done.",
                                                 "publish": "Publish"})
    db.session.refresh(draft)
    assert draft.is_published and draft.published_at is not None
    assert login_as(world.student).get(f"/posts/{draft.id}").status_code == 200
    assert db.session.scalar(select(func.count()).select_from(Revision)) == 0


@pytest.mark.parametrize(("change", "student_may_post"), [
    ({"closed_at": utcnow()}, False),
    ({"opens_at": utcnow() + timedelta(days=1)}, False),
    ({"locks_at": utcnow() - timedelta(minutes=1)}, False),
    ({"due_at": utcnow() - timedelta(days=1)}, True),
])
def test_students_post_only_while_a_discussion_is_open(make, login_as, world, change,
                                                        student_may_post):
    discussion = make.discussion(world.course, **{"opens_at": utcnow() - timedelta(days=2),
                                                  "due_at": None, **change})
    before = _posts()
    response = _new_post(login_as(world.classmate), discussion)
    assert response.status_code == (302 if student_may_post else 403)
    assert _posts() == before + student_may_post


def test_staff_may_post_before_opening_and_after_locking_but_not_once_closed(make, world,
                                                                             login_as):
    early = make.discussion(world.course, opens_at=utcnow() + timedelta(days=1))
    locked = make.discussion(world.course, locks_at=utcnow() - timedelta(minutes=1))
    closed = make.discussion(world.course, closed_at=utcnow())
    client = login_as(world.instructor)
    assert _new_post(client, early).status_code == 302
    assert _new_post(client, locked).status_code == 302
    assert _new_post(client, closed).status_code == 403


def test_late_posts_are_marked(make, world, login_as):
    discussion = make.discussion(world.course, due_at=utcnow() - timedelta(hours=1))
    make.post(discussion, world.classmate, title="After the deadline")
    make.post(discussion, world.student, title="Before the deadline",
              published_at=utcnow() - timedelta(hours=2))
    page = login_as(world.instructor).get(f"/discussions/{discussion.id}").get_data(as_text=True)
    late_row = page.split("After the deadline")[1].split("</li>")[0]
    on_time_row = page.split("Before the deadline")[1].split("</li>")[0]
    assert "Late" in late_row
    assert "Late" not in on_time_row


def test_editing_a_published_post_keeps_a_revision(world, login_as):
    client = login_as(world.student)
    original_body = world.post.body
    response = client.post(f"/posts/{world.post.id}/edit", data={
        "title": "Harsh in tone (revised)", "body": "A sharper argument.",
        "version": str(world.post.version)})
    assert response.status_code == 302
    db.session.refresh(world.post)
    assert world.post.title == "Harsh in tone (revised)"
    assert world.post.edited_at is not None
    revisions = db.session.scalars(select(Revision).where(Revision.post_id == world.post.id)).all()
    assert [(r.title, r.body) for r in revisions] == [("Harsh in tone", original_body)]
    page = login_as(world.instructor).get(f"/posts/{world.post.id}/revisions")
    assert original_body in page.get_data(as_text=True)


def test_a_stale_edit_conflicts_loudly_and_changes_nothing(world, login_as):
    client = login_as(world.student)
    stale = world.post.version
    client.post(f"/posts/{world.post.id}/edit", data={
        "title": "First edit", "body": "One.", "version": str(stale)})
    response = client.post(f"/posts/{world.post.id}/edit", data={
        "title": "Second edit", "body": "Two.", "version": str(stale)})
    assert response.status_code == 422
    assert "Someone else changed this" in response.get_data(as_text=True)
    db.session.refresh(world.post)
    assert world.post.title == "First edit"
    assert db.session.scalar(select(func.count()).select_from(Revision)) == 1


def test_deleting_a_post_leaves_a_tombstone_that_keeps_its_thread(world, login_as):
    login_as(world.student).post(f"/posts/{world.post.id}/delete")
    db.session.refresh(world.post)
    assert world.post.deleted_at is not None and world.post.deleted_by_id == world.student.id
    page = login_as(world.classmate).get(f"/posts/{world.post.id}").get_data(as_text=True)
    assert "This post was deleted." in page
    assert "Harsh in tone" not in page
    assert world.post.body not in page
    assert "Moderate for whom?" in page
    listing = login_as(world.classmate).get(f"/discussions/{world.discussion.id}")
    assert "This post was deleted" in listing.get_data(as_text=True)


def test_a_deleted_post_without_replies_disappears_for_students(make, world, login_as):
    post = make.post(world.discussion, world.classmate, title="Regretted")
    login_as(world.classmate).post(f"/posts/{post.id}/delete")
    listing = login_as(world.student).get(f"/discussions/{world.discussion.id}")
    assert "Regretted" not in listing.get_data(as_text=True)
    assert "This post was deleted" not in listing.get_data(as_text=True)
    staff_listing = login_as(world.ta).get(f"/discussions/{world.discussion.id}")
    assert "Regretted" in staff_listing.get_data(as_text=True)


def test_staff_see_and_restore_deleted_posts(world, login_as):
    login_as(world.student).post(f"/posts/{world.post.id}/delete")
    client = login_as(world.ta)
    page = client.get(f"/posts/{world.post.id}").get_data(as_text=True)
    assert "Harsh in tone" in page and "Restore post" in page
    assert client.post(f"/posts/{world.post.id}/restore").status_code == 302
    db.session.refresh(world.post)
    assert world.post.deleted_at is None
    assert login_as(world.student).post(f"/posts/{world.post.id}/restore").status_code == 403


def test_response_counts_on_the_discussion_and_course_pages(world, login_as, make):
    make.reply(world.post, world.student, parent=world.reply, body="Moderate for Germany.")
    client = login_as(world.classmate)
    listing = client.get(f"/discussions/{world.discussion.id}").get_data(as_text=True)
    assert "3 responses" in listing
    course_page = client.get(f"/courses/{world.course.id}").get_data(as_text=True)
    row = course_page.split("Was the treaty too harsh?")[1].split("</tr>")[0]
    assert "<td>1</td>" in row and "<td>3</td>" in row


def test_the_course_page_counts_what_is_unread(world, login_as, make):
    client = login_as(world.classmate)
    client.post(f"/discussions/{world.discussion.id}/read")
    assert "unread</span>" not in client.get(f"/courses/{world.course.id}").get_data(as_text=True)
    make.post(world.discussion, make.member(world.course, Role.STUDENT), title="Fresh")
    assert "1 unread" in client.get(f"/courses/{world.course.id}").get_data(as_text=True)
