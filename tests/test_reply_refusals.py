"""A refused reply says what is true for the one refused."""

from __future__ import annotations

import pytest

from forum.extensions import db
from forum.models import Reply, Visibility, utcnow


@pytest.fixture
def public_world(world):
    world.course.visibility = Visibility.PUBLIC
    db.session.commit()
    return world


def _refusal(api, login_as, user, post_id: int) -> tuple[str, str]:
    page = login_as(user).post(f"/posts/{post_id}/replies", data={"body": "May I?"})
    answer = api.post(user, f"/api/v1/posts/{post_id}/replies", {"body": "May I, by API?"})
    assert page.status_code == answer.status_code == 403
    return page.get_data(as_text=True), answer.json["message"]


def test_a_reader_of_a_public_course_is_told_only_members_reply(public_world, make, api,
                                                                login_as):
    passer_by = make.user("Passer-by")
    page, message = _refusal(api, login_as, passer_by, public_world.post.id)
    assert message == "Only members of this course can reply."
    assert "Only members of this course can reply." in page
    assert "closed" not in message
    assert db.session.scalar(db.select(Reply).where(Reply.author_id == passer_by.id)) is None


def test_a_member_in_a_closed_discussion_is_told_it_is_closed(public_world, api, login_as):
    public_world.discussion.closed_at = utcnow()
    db.session.commit()
    _page, message = _refusal(api, login_as, public_world.classmate, public_world.post.id)
    assert message == "This discussion is closed for replies."
