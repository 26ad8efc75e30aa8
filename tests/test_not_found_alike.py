"""Missing, deleted-and-not-yours and out of sight answer alike, status and body, for
each seat and each kind of resource: walking ids tells nobody what exists."""

from __future__ import annotations

import pytest

from forum.models import Enrollment, Role
from forum.services import annotations
from forum.services import replies as reply_service
from forum.services.tokens import create_token, revoke_token

MISSING = 999_999
SEATS = ["instructor", "ta", "student", "classmate", "outsider", "anonymous"]
STAFF = {"instructor", "ta"}


@pytest.fixture
def hidden(world, make):
    """Beside the world: a third course nobody of the world belongs to, with one of
    everything, and things deleted or not one's own."""
    from forum.extensions import db

    course = make.course()
    teacher = make.member(course, Role.INSTRUCTOR)
    pupil = make.member(course, Role.STUDENT)
    discussion = make.discussion(course, created_by_id=teacher.id)
    post = make.post(discussion, pupil)
    reply = make.reply(post, pupil)
    world.hidden = {
        "course": course.id, "discussion": discussion.id, "post": post.id,
        "reply": reply.id, "pupil": pupil.id,
        "annotation": annotations.annotate(teacher, post, quote="harsh in tone",
                                           body="Tone?").id,
        "member": db.session.scalar(db.select(Enrollment.id).where(
            Enrollment.user_id == pupil.id)),
    }
    deleted = make.reply(world.post, world.classmate, body="Taken back.")
    reply_service.delete_reply(world.classmate, deleted)
    withdrawn = annotations.annotate(world.ta, world.post, quote="harsh in tone", body="x")
    annotations.delete_annotation(world.ta, withdrawn)
    owner = make.user("Token owner")
    revoked = create_token(owner, "old")[0]
    revoke_token(owner, revoked.id)
    world.gone = {"reply": deleted.id, "annotation": withdrawn.id, "token": revoked.id,
                  "token_live": create_token(owner, "live")[0].id,
                  "draft": make.post(world.discussion, draft=True).id}
    return world


# resource: (method, URL of an id, the cases that must answer like a missing id)
RESOURCES = {
    "course": ("GET", "/api/v1/courses/{}", {"other course": "{h[course]}"}),
    "discussion": ("GET", "/api/v1/discussions/{}", {"other course": "{h[discussion]}"}),
    "post": ("GET", "/api/v1/posts/{}", {"other course": "{h[post]}",
                                         "someone's draft": "{g[draft]}"}),
    "reply": ("GET", "/api/v1/replies/{}", {"other course": "{h[reply]}",
                                            "deleted": "{g[reply]}"}),
    "annotation": ("DELETE", "/api/v1/annotations/{}", {"other course": "{h[annotation]}",
                                                        "withdrawn": "{g[annotation]}"}),
    "grade": ("GET", "/api/v1/discussions/{w.discussion.id}/grades/{}",
              {"student of another course": "{h[pupil]}"}),
    "grade list": ("GET", "/api/v1/discussions/{}/grades", {"other course": "{h[discussion]}"}),
    "member": ("GET", "/api/v1/courses/{w.course.id}/members/{}",
               {"member of another course": "{h[member]}"}),
    "token": ("DELETE", "/api/v1/tokens/{}", {"someone else's": "{g[token_live]}",
                                              "someone else's, revoked": "{g[token]}"}),
}
CASES = [(kind, case) for kind, (_, _, cases) in RESOURCES.items() for case in cases]


def _seen_by_staff(case: str) -> bool:
    return case in {"deleted"}  # staff see deleted replies; the rest they never see


@pytest.mark.parametrize("seat", SEATS)
@pytest.mark.parametrize(("kind", "case"), CASES, ids=[f"{k}: {c}" for k, c in CASES])
def test_hidden_answers_like_missing(hidden, api, kind, case, seat):
    if seat in STAFF and _seen_by_staff(case):
        pytest.skip("staff see it")
    method, template, cases = RESOURCES[kind]
    user = hidden.actors[seat]
    hidden_id = cases[case].format(h=hidden.hidden, g=hidden.gone)
    missing = api.call(user, method, template.format(MISSING, w=hidden))
    found = api.call(user, method, template.format(hidden_id, w=hidden))
    assert (found.status_code, found.json) == (missing.status_code, missing.json)
    assert found.status_code in (401, 403, 404)


@pytest.mark.parametrize("url", ["/api/v1/replies/{}", "/api/v1/posts/{}",
                                 "/api/v1/courses/{}"])
def test_anonymous_callers_get_404_for_any_id(hidden, api, url):
    """Ids the route refuses (too large) and ids the service refuses answer alike."""
    for some_id in (MISSING, 2**31, hidden.hidden["course"]):
        response = api.get(None, url.format(some_id))
        assert response.status_code == 404 and "WWW-Authenticate" not in response.headers
