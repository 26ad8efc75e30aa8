"""Importing a WordPress course blog: the done-when blog (a student's post, two student
responses, the instructor's question, four approved spam comments), comment states,
guests, re-imports, all-or-nothing, and the command."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from forum.access import visible_replies
from forum.errors import Invalid
from forum.extensions import db
from forum.formats.wxr import read_wxr
from forum.models import (
    Discussion,
    Guest,
    Moderation,
    ModerationEntry,
    Post,
    PromptState,
    Reply,
    ReplyKind,
    Role,
    SpamCheck,
)
from forum.services import wordpress
from forum.services.threads import load_thread

DATA = Path(__file__).parent / "data" / "wordpress"
BLOG = DATA / "course_blog.xml"
STATES = DATA / "states.xml"
LATER = DATA / "course_blog_later.xml"  # the same blog exported later: two new comments


@pytest.fixture
def seminar(make):
    return make_seminar(make)


def make_seminar(make):
    """The course the blog belonged to: its instructor and three of its students."""
    from types import SimpleNamespace

    course = make.course(code="HIST-212", title="Europe between the Wars")
    s = SimpleNamespace(course=course)
    s.instructor = make.member(course, Role.INSTRUCTOR, "Dr. Miriam Okafor",
                               email="okafor@example.edu")
    s.ana = make.member(course, Role.STUDENT, "Ana Lindqvist", email="ana@example.edu")
    s.ben = make.member(course, Role.STUDENT, "Ben Carter", email="ben@example.edu")
    s.chloe = make.member(course, Role.STUDENT, "Chloé Martin", email="chloe@example.edu")
    return s


def _replies(post: Post) -> list[Reply]:
    return list(db.session.scalars(select(Reply).where(Reply.post_id == post.id)
                                   .order_by(Reply.path)))


def test_the_course_blog_imports_with_its_spam_held_and_everything_else_in_place(seminar):
    summary = wordpress.import_wordpress(seminar.instructor, seminar.course, read_wxr(BLOG))

    post = db.session.scalars(select(Post)).one()
    assert (post.title, post.author_id) == ("Was Versailles too harsh? Not in its terms",
                                            seminar.ana.id)
    assert post.discussion.title == "Weekly responses"
    assert post.discussion.course_id == seminar.course.id
    assert post.published_at.isoformat().startswith("2019-03-05T21:47:03")
    assert post.sources[0].url == \
        "https://hist212.blogs.example.edu/2019/03/05/was-versailles-too-harsh/"
    assert "by Ana Lindqvist, 05 March 2019" in post.sources[0].citation

    ben, chloe, question, *spam = _replies(post)
    assert (ben.author_id, ben.parent_id, ben.moderation) == (
        seminar.ben.id, None, Moderation.PUBLISHED)
    assert (chloe.author_id, chloe.parent_id, chloe.depth) == (seminar.chloe.id, ben.id, 1)
    assert chloe.created_at.isoformat().startswith("2019-03-06T23:02:10")
    assert "Poincaré sent troops" in ben.body and "\n\n" in ben.body  # two paragraphs
    assert (question.author_id, question.kind, question.prompt_state) == (
        seminar.instructor.id, ReplyKind.PROMPT, PromptState.OPEN)
    assert len(spam) == 4
    assert all(r.guest_id is not None and r.moderation is Moderation.PENDING for r in spam)
    checks = {c.reply_id: c for c in db.session.scalars(select(SpamCheck))}
    assert set(checks) == {r.id for r in spam}  # members' replies are not scored here
    assert all(checks[r.id].score >= seminar.course.hold_threshold and checks[r.id].reasons
               for r in spam)
    holds = db.session.scalars(select(ModerationEntry).where(
        ModerationEntry.action == "hold")).all()
    assert {h.reply_id for h in holds} == {r.id for r in spam}

    assert (summary.posts, summary.comments, summary.comments_by_members, summary.guests,
            summary.held_as_spam, summary.prompts, summary.published, summary.pending) == (
        1, 7, 3, 4, 4, 1, 3, 4)
    assert len(summary.members_matched) == 4
    assert summary.discussions_created == ["Weekly responses"]
    assert summary.other_items == 1  # the map's attachment
    assert summary.remote_images == 1

    # A classmate sees the thread without the held spam; staff see it all.
    assert [n.reply.id for n in load_thread(seminar.ben, post)] == [
        ben.id, chloe.id, question.id]
    assert len(load_thread(seminar.instructor, post)) == 7
    seen = db.session.scalars(select(Reply.id).where(visible_replies(seminar.ben, post)))
    assert set(seen) == {ben.id, chloe.id, question.id}


def test_the_post_keeps_its_structure_through_the_forums_renderer(seminar):
    wordpress.import_wordpress(seminar.instructor, seminar.course, read_wxr(BLOG))
    post = db.session.scalars(select(Post)).one()
    html = post.body_html
    assert html.count("<p>") >= 4  # blank lines were paragraphs
    assert "<em>reception</em>" in html
    assert ('<a href="https://www.gutenberg.org/ebooks/15776" rel="nofollow ugc">'
            "The Economic Consequences of the Peace</a>") in html
    assert "<blockquote>\n<p>The Treaty includes no provisions" in html
    assert "<h3>What the reparations bill really asked</h3>" in html
    assert html.count("<li>") == 3 and "<strong>nobody</strong>" in html
    assert ('<img src="https://hist212.blogs.example.edu/wp-content/uploads/2019/03/'
            'map-600x400.jpg" alt="Map of Europe in 1923">') in html
    assert "<em>Europe in 1923 (Wikimedia Commons, public domain)</em>" in html
    assert "[caption" not in post.body and "<br>\nArticle 231" in html


def test_comment_states_guests_and_unmatched_authors(seminar):
    summary = wordpress.import_wordpress(seminar.instructor, seminar.course, read_wxr(STATES))
    posts = {p.title: p for p in db.session.scalars(select(Post))}
    assert set(posts) == {"Reading week: the Locarno treaties", "Notes for the exam"}
    locarno = posts["Reading week: the Locarno treaties"]
    # Its author has no account here: the importer's, with the author named.
    assert locarno.author_id == seminar.instructor.id
    assert locarno.body.startswith("*Written by James Walsh on HIST 212 Archive.*")
    assert locarno.discussion.title == wordpress.UNCATEGORIZED
    notes = posts["Notes for the exam"]
    assert notes.status == "draft" and notes.published_at is None

    by_body = {r.body.split()[0].rstrip(":,"): r for r in _replies(locarno)}
    assert by_body["Pending"].moderation is Moderation.PENDING
    assert by_body["Spam"].moderation is Moderation.SPAM
    trashed = by_body["Trashed"]
    assert trashed.moderation is Moderation.HIDDEN
    assert trashed.moderation_reason == wordpress.TRASH_REASON
    visitor = by_body["I"]  # a genuine outsider: a published guest comment
    assert visitor.moderation is Moderation.PUBLISHED
    guest = db.session.get(Guest, visitor.guest_id)
    assert (guest.name, guest.email, guest.website) == (
        "Margaret Hughes", "m.hughes@example.org", None)
    answer = by_body["Thanks"]  # a member answering a visitor
    assert answer.parent_id == visitor.id and answer.author_id == seminar.ben.id
    assert (summary.pingbacks, summary.spam, summary.hidden, summary.pending,
            summary.held_as_spam, summary.other_items, summary.posts_by_importer) == (
        1, 1, 1, 1, 0, 1, 1)


def _counts() -> tuple[int, ...]:
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Post, Reply, Discussion, Guest, SpamCheck, ModerationEntry))


def test_importing_the_same_export_twice_adds_nothing(seminar):
    wordpress.import_wordpress(seminar.instructor, seminar.course, read_wxr(BLOG))
    before = _counts()
    again = wordpress.import_wordpress(seminar.instructor, seminar.course, read_wxr(BLOG))
    assert (again.posts, again.comments, again.already_imported,
            again.comments_already_imported) == (0, 0, 1, 7)
    assert again.discussions_created == [] and again.held_as_spam == 0
    assert _counts() == before == (1, 7, 1, 4, 4, 4)


def test_a_later_export_adds_its_new_comments_under_the_comments_they_answer(seminar):
    wordpress.import_wordpress(seminar.instructor, seminar.course, read_wxr(BLOG))
    post = db.session.scalars(select(Post)).one()
    before = {r.id: (r.path, r.body) for r in _replies(post)}
    chloe = next(r for r in _replies(post) if r.author_id == seminar.chloe.id)

    later = wordpress.import_wordpress(seminar.instructor, seminar.course, read_wxr(LATER))
    assert (later.posts, later.already_imported, later.comments,
            later.comments_already_imported, later.guests) == (0, 1, 2, 7, 1)
    replies = _replies(post)
    new = [r for r in replies if r.id not in before]
    assert {r.id: (r.path, r.body) for r in replies if r.id in before} == before
    answer, visitor = sorted(new, key=lambda r: r.created_at)
    assert (answer.author_id, answer.parent_id, answer.depth) == (seminar.ben.id, chloe.id, 2)
    assert answer.path.startswith(chloe.path)
    assert (visitor.parent_id, visitor.guest.name, visitor.moderation) == (
        None, "Margaret Hughes", Moderation.PUBLISHED)
    # The thread shows the answer right under the comment it answers.
    order = [n.reply.id for n in load_thread(seminar.ben, post)]
    assert order[order.index(chloe.id) + 1] == answer.id

    again = wordpress.import_wordpress(seminar.instructor, seminar.course, read_wxr(LATER))
    assert (again.comments, again.comments_already_imported) == (0, 9)


def test_an_erased_guests_comments_are_not_imported_again(seminar):
    from forum.services.moderation import erase_guest

    wordpress.import_wordpress(seminar.instructor, seminar.course, read_wxr(BLOG))
    spam = db.session.scalars(select(Reply).where(Reply.guest_id.is_not(None))).first()
    erase_guest(seminar.instructor, spam, remove_text=True)
    again = wordpress.import_wordpress(seminar.instructor, seminar.course, read_wxr(BLOG))
    assert (again.comments, again.comments_already_imported) == (0, 7)


def test_importing_into_another_course_is_a_first_import_there(seminar, make):
    wordpress.import_wordpress(seminar.instructor, seminar.course, read_wxr(BLOG))
    other = make.course(code="HIST-313", title="Europe between the Wars, again")
    instructor = make.member(other, Role.INSTRUCTOR, "Dr. Paul Weiss")
    summary = wordpress.import_wordpress(instructor, other, read_wxr(LATER))
    assert (summary.posts, summary.already_imported, summary.comments,
            summary.comments_already_imported) == (1, 0, 9, 0)
    assert summary.discussions_created == ["Weekly responses"]
    assert db.session.scalar(select(func.count()).select_from(Post)) == 2


def test_an_error_half_way_imports_nothing(seminar):
    blog = read_wxr(BLOG)
    long_comment = blog.posts[1].comments[-1]
    object.__setattr__(long_comment, "content", "x" * 60_000)  # past the body limit
    with pytest.raises(Invalid) as refused:
        wordpress.import_wordpress(seminar.instructor, seminar.course, blog)
    assert "comment 107" in refused.value.errors["file"][0]
    for model in (Post, Reply, Guest, Discussion, SpamCheck, ModerationEntry):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0, model


def test_only_the_courses_instructors_import(seminar):
    from forum.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        wordpress.import_wordpress(seminar.ana, seminar.course, read_wxr(BLOG))
    assert db.session.scalar(select(func.count()).select_from(Post)) == 0


def test_the_command_imports_and_prints_the_summary(app, seminar):
    result = app.test_cli_runner().invoke(args=[
        "import-wordpress", str(BLOG), "--course", "HIST-212"])
    assert result.exit_code == 0, result.output
    assert "Posts: 1 imported" in result.output
    assert "Held as spam: 4 approved guest comment(s)" in result.output
    assert "Members matched by email: 4." in result.output
    assert db.session.scalar(select(func.count()).select_from(Reply)) == 7


def test_the_command_refuses_a_broken_file_with_its_line(app, seminar, tmp_path):
    broken = tmp_path / "broken.xml"
    text = BLOG.read_text(encoding="utf-8").replace("</wp:comment_author>", "", 1)
    broken.write_text(text, encoding="utf-8")
    # expat stops at the first closing tag that does not match: the comment's own end
    line = text[:text.index("</wp:comment>")].count("\n") + 1
    result = app.test_cli_runner().invoke(args=[
        "import-wordpress", str(broken), "--course", "HIST-212"])
    assert result.exit_code == 1
    assert "nothing imported" in result.output and f"line {line}:" in result.output
    assert db.session.scalar(select(func.count()).select_from(Post)) == 0


def test_the_students_answer_to_the_instructors_question_marks_the_prompt_answered(seminar):
    from dataclasses import replace
    from datetime import timedelta

    blog = read_wxr(BLOG)
    comments = blog.posts[1].comments
    question = next(c for c in comments if c.id == 103)
    comments.append(replace(question, id=108, parent_id=103, author_name="Ana Lindqvist",
                            author_email="ana@example.edu",
                            content="Keynes's own papers; the public did not.",
                            date_gmt=question.date_gmt + timedelta(hours=2)))
    wordpress.import_wordpress(seminar.instructor, seminar.course, blog)
    prompt = db.session.scalars(select(Reply).where(Reply.kind == ReplyKind.PROMPT)).one()
    assert prompt.prompt_state is PromptState.ANSWERED
    assert prompt.answered_at == question.date_gmt + timedelta(hours=2)
