"""The pages and the API are two doors to one forum: same data, same refusals."""

from __future__ import annotations

import pytest

from forum.extensions import db
from forum.models import utcnow


def test_what_the_api_creates_the_pages_show(world, api, login_as):
    created = api.post(world.classmate, f"/api/v1/discussions/{world.discussion.id}/posts",
                       {"title": "Written by a script", "body": "From the **API**.",
                        "sources": [{"citation": "Hobsbawm, Age of Extremes (1994)"}]}).json
    page = login_as(world.student).get(f"/posts/{created['id']}").get_data(as_text=True)
    assert "Written by a script" in page and "<strong>API</strong>" in page
    assert "Hobsbawm, Age of Extremes (1994)" in page


def test_what_the_pages_create_the_api_shows(world, api, login_as):
    login_as(world.classmate).post(f"/posts/{world.post.id}/replies",
                                   data={"body": "Typed in a browser",
                                         "parent_id": str(world.prompt.id)})
    thread = api.get(world.student, f"/api/v1/posts/{world.post.id}/thread").json
    prompt = next(r for r in thread["replies"] if r["id"] == world.prompt.id)
    assert prompt["replies"][0]["body"] == "Typed in a browser"


REFUSALS = {
    "a student asks a prompt": (
        "student", lambda w: (f"/posts/{w.post.id}/prompts", {"body": "Q?"}),
        lambda w: (f"/api/v1/posts/{w.post.id}/replies", {"body": "Q?", "kind": "prompt"}), 403),
    "a student deletes a classmate's reply": (
        "student", lambda w: (f"/replies/{w.reply.id}/delete", {}),
        lambda w: (f"/api/v1/replies/{w.reply.id}", None), 403),
    "a TA resolves nothing in another course": (
        "outsider", lambda w: (f"/replies/{w.prompt.id}/resolve", {}),
        lambda w: (f"/api/v1/replies/{w.prompt.id}/resolve", {}), 404),
    "a reply in a closed discussion": (
        "classmate", lambda w: (f"/posts/{w.post.id}/replies", {"body": "Late"}),
        lambda w: (f"/api/v1/posts/{w.post.id}/replies", {"body": "Late"}), 403),
    "an empty post": (
        "classmate", lambda w: (f"/discussions/{w.discussion.id}/posts/new",
                                {"title": "T", "body": "", "publish": "Publish"}),
        lambda w: (f"/api/v1/discussions/{w.discussion.id}/posts", {"title": "T", "body": ""}),
        422),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_web_and_api_refuse_the_same_things(world, api, login_as, case):
    seat, web, api_call, status = REFUSALS[case]
    if case == "a reply in a closed discussion":
        world.discussion.closed_at = utcnow()
        db.session.commit()
    user = world.actors[seat]
    url, form = web(world)
    assert login_as(user).post(url, data=form).status_code == status
    url, body = api_call(world)
    method = "DELETE" if body is None else "POST"
    assert api.call(user, method, url, json=body).status_code == status
