"""Every page renders for the people who may see it."""

import pytest


@pytest.mark.parametrize("actor", ["admin", "instructor", "ta", "student", "classmate"])
def test_every_page_renders(world, login_as, actor):
    client = login_as(world.actors[actor])
    pages = ["/", "/courses", f"/courses/{world.course.id}", f"/courses/{world.course.id}/members",
             f"/discussions/{world.discussion.id}", f"/posts/{world.post.id}",
             f"/discussions/{world.discussion.id}/posts/new", f"/users/{world.student.id}",
             "/account/password"]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, (page, response.data[:3000])
