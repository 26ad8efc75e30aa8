"""The web answers the domain's invalid-input and conflict errors with a page saying
what was wrong (422 / 409), like the API, even where a view forgot to catch them."""

from __future__ import annotations

import pytest
from flask_login import current_user

from forum.extensions import db
from forum.models import Discussion, Post
from forum.services import replies, rubrics


@pytest.fixture
def app(app):
    """Test-only views that call services and, unlike the real ones, catch nothing."""

    def careless_settings(discussion_id: int, version: int):
        rubrics.update_grading_settings(current_user, db.session.get(Discussion, discussion_id),
                                        version=version, min_posts=-1, points_possible=-5)
        return "saved"

    def careless_reply(post_id: int):
        post = db.session.get(Post, post_id)
        replies.reply_to(current_user, post, None, "Moderate for whom?")
        return "saved"

    app.add_url_rule("/test-only/settings/<int:discussion_id>/<int:version>",
                     view_func=careless_settings, methods=["POST"])
    app.add_url_rule("/test-only/reply/<int:post_id>", view_func=careless_reply,
                     methods=["POST"])
    return app


def test_invalid_input_is_a_422_page_listing_each_field_message(world, login_as):
    response = login_as(world.instructor).post(
        f"/test-only/settings/{world.discussion.id}/{world.discussion.version}")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "<h1>Please check what you sent</h1>" in page
    assert "Nothing was saved." in page
    assert "Choose a number from 0 to 100." in page and "<li>" in page
    db.session.refresh(world.discussion)
    assert world.discussion.min_posts != -1


def test_an_invalid_that_clashes_with_what_is_stored_is_a_409_page(world, login_as):
    response = login_as(world.classmate).post(f"/test-only/reply/{world.post.id}")
    assert response.status_code == 409
    assert "You already posted this reply here." in response.get_data(as_text=True)


def test_a_stale_version_is_a_409_page_and_changes_nothing(world, login_as):
    stale = world.discussion.version
    rubrics.update_grading_settings(world.instructor, world.discussion, version=stale,
                                    min_posts=2)
    response = login_as(world.instructor).post(
        f"/test-only/settings/{world.discussion.id}/{stale}")
    assert response.status_code == 409
    assert "Someone else changed this since you opened it." in response.get_data(as_text=True)
    db.session.refresh(world.discussion)
    assert world.discussion.min_posts == 2
