"""Commands: seed-demo gives a newcomer a living course; create-user makes accounts;
set-password replaces a forgotten password."""

from __future__ import annotations

from sqlalchemy import func, select

from forum.extensions import db
from forum.models import (
    Anonymity,
    Course,
    Discussion,
    GuestComments,
    Moderation,
    Post,
    PromptState,
    Reply,
    ReplyKind,
    Reveal,
    Role,
    SpamCheck,
    User,
)
from forum.models.base import utcnow
from forum.models.replies import path_segment


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_seed_demo_builds_a_realistic_course(app):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "okafor@example.edu" in result.output and "ana@example.edu" in result.output
    seminar = db.session.scalar(select(Course).where(Course.code == "HIST-230"))
    roles = [e.role for e in seminar.enrollments]
    assert roles.count(Role.INSTRUCTOR) == 1 and roles.count(Role.TA) == 1
    assert roles.count(Role.STUDENT) >= 6
    assert _count(Discussion, Discussion.course_id == seminar.id) == 2
    posts = db.session.scalars(select(Post)).all()
    assert posts and all(post.sources for post in posts)
    assert max(reply.depth for reply in db.session.scalars(select(Reply))) >= 2
    states = {r.prompt_state for r in db.session.scalars(
        select(Reply).where(Reply.kind == ReplyKind.PROMPT))}
    assert {PromptState.OPEN, PromptState.ANSWERED} <= states


def test_seed_demo_shows_the_writing_features(app):
    """A post-first discussion with an anonymous post, a quoted and endorsed reply, a
    like: each can be seen at once by logging in as the README says."""
    app.test_cli_runner().invoke(args=["seed-demo"])
    sealed = db.session.scalar(select(Discussion).where(
        Discussion.reveal == Reveal.AFTER_POSTING))
    assert sealed.anonymity is Anonymity.ALLOWED
    assert any(post.anonymous for post in sealed.posts)
    assert any(post.like_count for post in sealed.posts)
    answer = db.session.scalar(select(Reply).where(Reply.quote.is_not(None),
                                                   Reply.kind == ReplyKind.REPLY))
    assert answer.is_endorsed and answer.post.discussion_id == sealed.id


def test_seed_demo_has_a_public_blog_with_a_moderation_queue(app):
    """A newcomer sees the queue at once: genuine guest comments wait, spam is in spam,
    each with the filter's reasons."""
    app.test_cli_runner().invoke(args=["seed-demo"])
    blog = db.session.scalar(select(Course).where(Course.code == "HIST-115"))
    assert blog.is_public and blog.guest_comments is GuestComments.MODERATED
    states = [r.moderation for r in db.session.scalars(
        select(Reply).where(Reply.guest_id.is_not(None)))]
    assert states.count(Moderation.PENDING) >= 2 and states.count(Moderation.SPAM) == 1
    assert all(check.reasons for check in db.session.scalars(select(SpamCheck)))


def test_spam_retrain_rebuilds_the_shipped_model(app, tmp_path):
    from forum.spam.model import BASE_MODEL_PATH

    out = tmp_path / "model.json"
    result = app.test_cli_runner().invoke(args=["spam-retrain", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text() == BASE_MODEL_PATH.read_text()  # the shipped file is current
    assert "genuine comments" in result.output


def test_seed_demo_leaves_a_used_database_alone(app, make):
    make.user()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 1
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0 and "not loaded" in result.output
    assert _count(User) == 1


def test_create_user_makes_an_admin(app):
    result = app.test_cli_runner().invoke(args=[
        "create-user", "--email", "root@example.edu", "--name", "Root",
        "--password", "a sturdy passphrase", "--admin"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User))
    assert user.is_admin and user.check_password("a sturdy passphrase")


def test_create_user_explains_bad_input(app):
    result = app.test_cli_runner().invoke(args=[
        "create-user", "--email", "bad", "--name", "X", "--password", "short"])
    assert result.exit_code == 1
    assert "valid email" in result.output and "at least 8" in result.output
    assert _count(User) == 0


def test_bench_data_writes_a_large_course_that_keeps_working(app, api):
    from forum.models import Course
    from forum.services.tokens import create_token

    result = app.test_cli_runner().invoke(args=[
        "bench-data", "--students", "12", "--discussions", "2", "--posts-per-discussion", "5",
        "--replies", "700"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Course ")  # the progress bar goes to stderr
    assert _count(Course) == 1 and _count(Reply) == 700
    replies = {reply.id: reply for reply in db.session.scalars(select(Reply))}
    assert max(reply.depth for reply in replies.values()) < 12
    # One ordered query returns the tree: each path is its parent's plus its own segment.
    for reply in replies.values():
        parent = replies.get(reply.parent_id)
        assert reply.path == (parent.path if parent else "") + path_segment(reply.id)
        assert reply.depth == (parent.depth + 1 if parent else 0)
        assert parent is None or parent.post_id == reply.post_id
        assert (reply.prompt_state is PromptState.OPEN) == (reply.kind is ReplyKind.PROMPT)
    assert all(reply.created_at < utcnow() for reply in replies.values())
    # Ids were written explicitly: new rows must still get fresh ones (PostgreSQL sequences).
    student = db.session.scalar(select(User).where(User.email.like("bench%-2@example.edu")))
    response = api.post(student, "/api/v1/posts/1/replies", {"body": "After the bulk load"},
                        token=create_token(student, "t")[1])
    assert response.status_code == 201


def test_seed_demo_prints_every_login_the_readme_lists(app):
    """A newcomer reads the logins off `make run`: all the README promises are there."""
    import re

    from forum.config import PROJECT_ROOT

    readme = (PROJECT_ROOT / "README.md").read_text()
    listed = set(re.findall(r"`([a-z]+@example\.edu)`", readme))
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    printed = set(re.findall(r"[a-z]+@example\.edu", result.output))
    assert len(listed) == 9 and listed <= printed


def test_set_password_replaces_a_forgotten_one_and_ends_sessions(app, make):
    user = make.user("Forgetful", email="forgetful@example.edu")
    epoch = user.session_epoch
    runner = app.test_cli_runner()
    short = runner.invoke(args=["set-password", "forgetful@example.edu"],
                          input="short\nshort\n")
    assert short.exit_code == 1 and "at least 8" in short.output.lower()
    done = runner.invoke(args=["set-password", "Forgetful@Example.edu"],
                         input="remembered at last\nremembered at last\n")
    assert done.exit_code == 0, done.output
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert user.check_password("remembered at last") and user.session_epoch == epoch + 1
    unknown = runner.invoke(args=["set-password", "nobody@example.edu"],
                            input="remembered at last\nremembered at last\n")
    assert unknown.exit_code == 1 and "No account has the address" in unknown.output
