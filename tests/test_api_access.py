"""Every API operation from every seat: one table, and no route left out of it."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD

SEATS = ["admin", "instructor", "ta", "student", "classmate", "outsider", "anonymous",
         "revoked"]


def expect(admin, instructor, ta, student, classmate, outsider=404, anonymous=401) -> dict:
    statuses = [admin, instructor, ta, student, classmate, outsider, anonymous, 401]
    return dict(zip(SEATS, statuses, strict=True))


ALL = expect(200, 200, 200, 200, 200, 200)
MEMBERS = expect(200, 200, 200, 200, 200)
# Reads that need no token (a public course's): without one, a private course's is 404,
# the answer for anything missing or out of sight.
MEMBERS_READ = expect(200, 200, 200, 200, 200, anonymous=404)
STAFF_READ = expect(200, 200, 200, 403, 403, anonymous=404)
STAFF = expect(200, 200, 200, 403, 403)
INSTRUCTORS = expect(200, 200, 403, 403, 403)

# (method, URL rule as Flask knows it, URL to call, JSON body, expected statuses)
TABLE = [
    ("POST", "/api/v1/tokens", "/api/v1/tokens",
     {"email": "{student_email}", "password": PASSWORD}, {**ALL, **{
         s: 201 for s in SEATS if s != "revoked"}}),
    ("GET", "/api/v1/tokens", "/api/v1/tokens", None, ALL),
    ("DELETE", "/api/v1/tokens/<id:token_id>", "/api/v1/tokens/{student_token}", None,
     expect(404, 404, 404, 204, 404, 404)),
    ("GET", "/api/v1/me", "/api/v1/me", None, ALL),
    ("PATCH", "/api/v1/me", "/api/v1/me", {"display_name": "Renamed"}, ALL),
    ("GET", "/api/v1/me/prompts", "/api/v1/me/prompts", None, ALL),
    ("GET", "/api/v1/me/mentions", "/api/v1/me/mentions", None, ALL),
    ("GET", "/api/v1/me/feeds", "/api/v1/me/feeds", None, ALL),
    ("POST", "/api/v1/me/feeds/token", "/api/v1/me/feeds/token", None, ALL),
    ("GET", "/api/v1/search", "/api/v1/search?q=treaty", None, {**ALL, "anonymous": 200}),
    ("GET", "/api/v1/search", "/api/v1/search?q=treaty&course_id={course}", None,
     expect(200, 200, 200, 200, 200, outsider=404, anonymous=404)),
    ("GET", "/api/v1/courses", "/api/v1/courses", None, ALL),
    ("POST", "/api/v1/courses", "/api/v1/courses", {"code": "NEW-9", "title": "New"},
     expect(201, 403, 403, 403, 403, 403)),
    ("GET", "/api/v1/courses/<id:course_id>", "/api/v1/courses/{course}", None, MEMBERS_READ),
    ("PATCH", "/api/v1/courses/<id:course_id>", "/api/v1/courses/{course}",
     {"title": "Renamed course"}, INSTRUCTORS),
    ("GET", "/api/v1/courses/<id:course_id>/members", "/api/v1/courses/{course}/members",
     None, MEMBERS),
    ("GET", "/api/v1/courses/<id:course_id>/mentionable",
     "/api/v1/courses/{course}/mentionable?q=b", None, MEMBERS),
    ("POST", "/api/v1/courses/<id:course_id>/members", "/api/v1/courses/{course}/members",
     {"email": "{outsider_email}", "role": "student"}, expect(201, 201, 403, 403, 403)),
    ("GET", "/api/v1/courses/<id:course_id>/members/<id:member_id>",
     "/api/v1/courses/{course}/members/{membership}", None, MEMBERS),
    ("PATCH", "/api/v1/courses/<id:course_id>/members/<id:member_id>",
     "/api/v1/courses/{course}/members/{membership}", {"role": "ta"}, INSTRUCTORS),
    ("DELETE", "/api/v1/courses/<id:course_id>/members/<id:member_id>",
     "/api/v1/courses/{course}/members/{membership}", None, expect(204, 204, 403, 403, 403)),
    ("GET", "/api/v1/courses/<id:course_id>/discussions",
     "/api/v1/courses/{course}/discussions", None, MEMBERS_READ),
    ("POST", "/api/v1/courses/<id:course_id>/discussions",
     "/api/v1/courses/{course}/discussions", {"title": "Week 5"},
     expect(201, 201, 403, 403, 403)),
    ("GET", "/api/v1/discussions/<id:discussion_id>", "/api/v1/discussions/{discussion}",
     None, MEMBERS_READ),
    ("PATCH", "/api/v1/discussions/<id:discussion_id>", "/api/v1/discussions/{discussion}",
     {"closed": True}, INSTRUCTORS),
    ("GET", "/api/v1/discussions/<id:discussion_id>/posts",
     "/api/v1/discussions/{discussion}/posts", None, MEMBERS_READ),
    ("POST", "/api/v1/discussions/<id:discussion_id>/posts",
     "/api/v1/discussions/{discussion}/posts", {"title": "T", "body": "B"},
     expect(201, 201, 201, 201, 201)),
    ("GET", "/api/v1/discussions/<id:discussion_id>/prompts",
     "/api/v1/discussions/{discussion}/prompts", None, STAFF_READ),
    ("GET", "/api/v1/posts/<id:post_id>", "/api/v1/posts/{post}", None, MEMBERS_READ),
    ("PATCH", "/api/v1/posts/<id:post_id>", "/api/v1/posts/{post}", {"title": "Retitled"},
     expect(403, 403, 403, 200, 403)),
    ("DELETE", "/api/v1/posts/<id:post_id>", "/api/v1/posts/{post}", None,
     expect(204, 204, 204, 204, 403)),
    ("POST", "/api/v1/posts/<id:post_id>/restore", "/api/v1/posts/{deleted_post}/restore",
     None, STAFF),
    ("GET", "/api/v1/posts/<id:post_id>/thread", "/api/v1/posts/{post}/thread", None,
     MEMBERS_READ),
    ("GET", "/api/v1/posts/<id:post_id>/revisions", "/api/v1/posts/{post}/revisions", None,
     expect(200, 200, 200, 200, 403)),
    ("GET", "/api/v1/posts/<id:post_id>/replies", "/api/v1/posts/{post}/replies", None,
     MEMBERS_READ),
    ("POST", "/api/v1/posts/<id:post_id>/replies", "/api/v1/posts/{post}/replies",
     {"body": "A reply"}, expect(201, 201, 201, 201, 201)),
    ("GET", "/api/v1/replies/<id:reply_id>", "/api/v1/replies/{reply}", None, MEMBERS_READ),
    ("PATCH", "/api/v1/replies/<id:reply_id>", "/api/v1/replies/{reply}",
     {"body": "Edited"}, expect(403, 403, 403, 403, 200)),
    ("DELETE", "/api/v1/replies/<id:reply_id>", "/api/v1/replies/{reply}", None,
     expect(204, 204, 204, 403, 204)),
    ("POST", "/api/v1/replies/<id:reply_id>/resolve", "/api/v1/replies/{prompt}/resolve",
     None, STAFF),
    ("POST", "/api/v1/replies/<id:reply_id>/restore",
     "/api/v1/replies/{deleted_reply}/restore", None, expect(200, 200, 200, 404, 404)),
    ("GET", "/api/v1/replies/<id:reply_id>/revisions", "/api/v1/replies/{reply}/revisions",
     None, expect(200, 200, 200, 403, 200)),
    ("GET", "/api/v1/discussions/<id:discussion_id>/rubric",
     "/api/v1/discussions/{discussion}/rubric", None, MEMBERS_READ),
    ("PUT", "/api/v1/discussions/<id:discussion_id>/rubric",
     "/api/v1/discussions/{discussion}/rubric", {"min_posts": 2}, INSTRUCTORS),
    ("GET", "/api/v1/discussions/<id:discussion_id>/grades",
     "/api/v1/discussions/{discussion}/grades", None, STAFF),
    ("GET", "/api/v1/discussions/<id:discussion_id>/grades/<id:user_id>",
     "/api/v1/discussions/{discussion}/grades/{student_id}", None,
     expect(200, 200, 200, 200, 403)),
    ("PUT", "/api/v1/discussions/<id:discussion_id>/grades/<id:user_id>",
     "/api/v1/discussions/{discussion}/grades/{student_id}", {"score": 5}, STAFF),
    ("POST", "/api/v1/discussions/<id:discussion_id>/grades/release",
     "/api/v1/discussions/{discussion}/grades/release", {}, INSTRUCTORS),
    ("GET", "/api/v1/discussions/<id:discussion_id>/participation",
     "/api/v1/discussions/{discussion}/participation", None, STAFF),
    ("GET", "/api/v1/me/grades", "/api/v1/me/grades", None, ALL),
    ("GET", "/api/v1/me/progress", "/api/v1/me/progress", None, ALL),
    ("GET", "/api/v1/me/todo", "/api/v1/me/todo", None, ALL),
    # a student's own progress; staff name the student; a classmate may not
    ("GET", "/api/v1/discussions/<id:discussion_id>/progress",
     "/api/v1/discussions/{discussion}/progress?student_id={student_id}", None,
     expect(200, 200, 200, 200, 403)),
    ("GET", "/api/v1/courses/<id:course_id>/gradebook", "/api/v1/courses/{course}/gradebook",
     None, STAFF),
    # Archive jobs (tests/test_archive_jobs.py runs them): the world's export is queued.
    ("POST", "/api/v1/courses/<id:course_id>/archives", "/api/v1/courses/{course}/archives",
     None, expect(202, 202, 403, 403, 403)),
    ("GET", "/api/v1/archive-jobs/<id:job_id>", "/api/v1/archive-jobs/{archive_job}", None,
     INSTRUCTORS),
    ("GET", "/api/v1/archive-jobs/<id:job_id>/file", "/api/v1/archive-jobs/{archive_job}/file",
     None, expect(409, 409, 403, 403, 403)),
    # Uploads are multipart/form-data, as images are: a JSON body is refused first.
    ("POST", "/api/v1/archive-imports", "/api/v1/archive-imports", {"file": "not a file"},
     {seat: 415 for seat in SEATS}),
    ("GET", "/api/v1/posts/<id:post_id>/annotations", "/api/v1/posts/{post}/annotations",
     None, MEMBERS_READ),
    ("POST", "/api/v1/posts/<id:post_id>/annotations", "/api/v1/posts/{post}/annotations",
     {"quote": "Its terms were moderate.", "body": "Which terms?"},
     expect(201, 201, 201, 403, 403)),
    ("DELETE", "/api/v1/annotations/<id:annotation_id>", "/api/v1/annotations/{annotation}",
     None, expect(204, 204, 204, 403, 404)),
    # Likes (members, never their own) and endorsements (staff); the post is the
    # student's, the reply the classmate's
    *[(method, "/api/v1/posts/<id:post_id>/like", "/api/v1/posts/{post}/like", None,
       expect(403, 200, 200, 403, 200)) for method in ("PUT", "DELETE")],
    *[(method, "/api/v1/replies/<id:reply_id>/like", "/api/v1/replies/{reply}/like", None,
       expect(403, 200, 200, 200, 403)) for method in ("PUT", "DELETE")],
    *[(method, "/api/v1/posts/<id:post_id>/endorsement", "/api/v1/posts/{post}/endorsement",
       None, STAFF) for method in ("PUT", "DELETE")],
    *[(method, "/api/v1/replies/<id:reply_id>/endorsement",
       "/api/v1/replies/{reply}/endorsement", None, STAFF) for method in ("PUT", "DELETE")],
    # Read marks: a member's own
    ("POST", "/api/v1/courses/<id:course_id>/read", "/api/v1/courses/{course}/read", None,
     expect(204, 204, 204, 204, 204)),
    ("POST", "/api/v1/discussions/<id:discussion_id>/read",
     "/api/v1/discussions/{discussion}/read", None, expect(204, 204, 204, 204, 204)),
    ("GET", "/api/v1/notifications", "/api/v1/notifications", None, ALL),
    ("GET", "/api/v1/notifications/unread", "/api/v1/notifications/unread", None, ALL),
    ("POST", "/api/v1/notifications/read", "/api/v1/notifications/read", None, ALL),
    # Nobody's but its person's: here, nobody's.
    ("POST", "/api/v1/notifications/<id:notification_id>/read",
     "/api/v1/notifications/999999/read", None, expect(404, 404, 404, 404, 404, 404)),
    ("GET", "/api/v1/me/notification-settings", "/api/v1/me/notification-settings", None,
     ALL),
    ("PUT", "/api/v1/me/notification-settings", "/api/v1/me/notification-settings",
     {"deliveries": {}, "timezone": "UTC", "digest_hour": 8}, ALL),
    *[(method, f"/api/v1/{target}s/<id:thing_id>/subscription",
       f"/api/v1/{target}s/{{{target}}}/subscription", body, MEMBERS)
      for target in ("post", "discussion", "course")
      for method, body in (("GET", None), ("PUT", {"level": "follow"}))],
    ("POST", "/api/v1/posts/<id:post_id>/read", "/api/v1/posts/{post}/read", None,
     expect(204, 204, 204, 204, 204)),
    # Moderation (the fixture's course is private: guests never reach it)
    ("GET", "/api/v1/courses/<id:course_id>/moderation", "/api/v1/courses/{course}/moderation",
     None, STAFF),
    ("POST", "/api/v1/courses/<id:course_id>/moderation",
     "/api/v1/courses/{course}/moderation",
     lambda w: {"action": "approve", "ids": [{"kind": "reply", "id": w.reply.id}]}, STAFF),
    ("POST", "/api/v1/posts/<id:post_id>/moderation", "/api/v1/posts/{post}/moderation",
     {"action": "hide", "reason": "Off topic"}, STAFF),
    ("POST", "/api/v1/replies/<id:reply_id>/moderation", "/api/v1/replies/{reply}/moderation",
     {"action": "spam"}, STAFF),
    ("GET", "/api/v1/posts/<id:post_id>/flags", "/api/v1/posts/{post}/flags", None, STAFF),
    ("POST", "/api/v1/posts/<id:post_id>/flags", "/api/v1/posts/{post}/flags",
     {"reason": "Copied"}, expect(403, 403, 403, 403, 201)),
    ("GET", "/api/v1/replies/<id:reply_id>/flags", "/api/v1/replies/{reply}/flags", None,
     STAFF),
    ("POST", "/api/v1/replies/<id:reply_id>/flags", "/api/v1/replies/{reply}/flags",
     {"reason": "Rude"}, expect(403, 403, 403, 201, 403)),
    ("POST", "/api/v1/posts/<id:post_id>/lock", "/api/v1/posts/{post}/lock", None, STAFF),
    ("POST", "/api/v1/posts/<id:post_id>/unlock", "/api/v1/posts/{post}/unlock", None, STAFF),
    ("POST", "/api/v1/posts/<id:post_id>/pin", "/api/v1/posts/{post}/pin", None, STAFF),
    ("POST", "/api/v1/posts/<id:post_id>/unpin", "/api/v1/posts/{post}/unpin", None, STAFF),
    # A reply's earlier text: its author (the classmate) may read it, not restore it.
    ("POST", "/api/v1/revisions/<id:revision_id>/restore",
     "/api/v1/revisions/{revision}/restore", None, STAFF),
    # A member's reply has no guest data: staff get 409, the rest as for any staff action.
    ("POST", "/api/v1/replies/<id:reply_id>/guest-erasure",
     "/api/v1/replies/{reply}/guest-erasure", {"remove_text": False},
     expect(409, 409, 409, 403, 403)),
    # Guests comment without a token, and only where a public discussion takes them.
    ("POST", "/api/v1/posts/<id:post_id>/comments", "/api/v1/posts/{post}/comments",
     {"name": "Visitor", "email": "visitor@example.org", "body": "A comment"},
     expect(403, 403, 403, 403, 403, anonymous=404)),
    # A preview reads nothing and saves nothing: anyone may ask, a refused token is 401.
    ("POST", "/api/v1/preview", "/api/v1/preview", {"body": "Some *text*"},
     {**{seat: 200 for seat in SEATS}, "revoked": 401}),
    # Uploads are multipart/form-data: a JSON body is refused before anything else.
    # Who may upload, and who may then see an image: tests/test_images.py.
    ("POST", "/api/v1/images", "/api/v1/images", {"file": "not a file"},
     {seat: 415 for seat in SEATS}),
    ("GET", "/api/v1/openapi.json", "/api/v1/openapi.json", None,
     {seat: 200 for seat in SEATS}),
    ("GET", "/api/docs", "/api/docs", None, {seat: 200 for seat in SEATS}),
    ("GET", "/api/docs/interactive", "/api/docs/interactive", None,
     {seat: 200 for seat in SEATS}),
]


def _fill(text: str, w) -> str:
    return text.format(
        course=w.course.id, discussion=w.discussion.id, post=w.post.id, reply=w.reply.id,
        prompt=w.prompt.id, deleted_post=w.deleted_post.id, deleted_reply=w.deleted_reply.id,
        membership=w.membership.id, student_token=w.student_token.id,
        student_id=w.student.id, annotation=w.annotation.id,
        student_email=w.student.email, outsider_email=w.outsider.email,
        # Only this module's `seated` makes one (tests/test_query_budgets.py fills GETs).
        revision=w.revision.id if hasattr(w, "revision") else "none",
        archive_job=w.archive_job.id if hasattr(w, "archive_job") else "none")


@pytest.fixture
def seated(seated):
    """The shared seats, plus an earlier text of the classmate's reply (to restore)."""
    from forum.extensions import db
    from forum.models import Revision
    from forum.services.archive_jobs import request_export
    from forum.services.replies import update_reply

    update_reply(seated.classmate, seated.reply, version=seated.reply.version,
                 body="Moderate for whom, and when?")
    seated.revision = db.session.scalar(
        db.select(Revision).where(Revision.reply_id == seated.reply.id))
    seated.archive_job = request_export(seated.instructor, seated.course)
    return seated


@pytest.mark.parametrize("seat", SEATS)
@pytest.mark.parametrize("operation", TABLE, ids=[f"{m} {u}" for m, _, u, _, _ in TABLE])
def test_api_operation_by_seat(seated, api, operation, seat):
    method, _rule, url, body, expected = operation
    url = _fill(url, seated)
    if callable(body):  # a body that holds ids of the seated world
        body = body(seated)
    body = {k: _fill(v, seated) if isinstance(v, str) else v for k, v in (body or {}).items()}
    user = None if seat in ("anonymous", "revoked") else seated.actors[seat]
    token = seated.revoked_secret if seat == "revoked" else None
    headers = {"If-Match": "*"} if method in ("PATCH", "PUT") else {}
    response = api.call(user, method, url, json=body if method != "GET" else None,
                        headers=headers, token=token)
    assert response.status_code == expected[seat], response.get_data(as_text=True)[:500]
    if response.status_code >= 400:
        assert response.is_json and set(response.json) >= {"code", "status", "message"}
    if response.status_code == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_every_api_route_is_in_the_table(app):
    covered = {(method, rule) for method, rule, _, _, _ in TABLE}
    routes = {
        (method, rule.rule) for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/") and "<path:filename>" not in rule.rule
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes - covered == set()
