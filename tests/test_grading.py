"""Grading: rubric, scores, audit, conflicts, release, who sees what, CSV, annotations."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Grade, GradeChange, GradeState, Role
from forum.services import annotations, grading, rubrics

RUBRIC_TEXT = """Argument: a clear claim
4 | Precise and sustained
2 | Present but general
0 | Missing
Sources
3 | Primary and secondary, used well
0 | None
"""


@pytest.fixture
def graded(world):
    """The world's discussion with a rubric (7 points of 10) and two requirements."""
    rubrics.update_grading_settings(
        world.instructor, world.discussion, version=None, min_posts=1, min_peer_replies=1,
        rubric=[{"title": "Argument", "levels": [{"points": 4, "description": "Strong"},
                                                 {"points": 2, "description": "Weak"}]},
                {"title": "Sources", "levels": [{"points": 3, "description": "Good"},
                                                {"points": 0, "description": "None"}]}])
    return world


def _grade_url(world, student=None) -> str:
    return f"/discussions/{world.discussion.id}/grading/{(student or world.student).id}"


def _changes() -> int:
    return db.session.scalar(select(func.count()).select_from(GradeChange))


class TestSettings:
    def test_a_rubric_written_as_text_is_stored_with_ids(self, world, login_as):
        response = login_as(world.instructor).post(
            f"/discussions/{world.discussion.id}/grading/settings",
            data={"points_possible": "10", "rubric": RUBRIC_TEXT, "min_posts": "1",
                  "min_peer_replies": "2", "require_prompt_answers": "y"})
        assert response.status_code == 302
        db.session.refresh(world.discussion)
        assert [c["title"] for c in world.discussion.rubric] == ["Argument", "Sources"]
        assert world.discussion.rubric[0]["levels"][0] == {
            "id": "c1-l1", "points": 4, "description": "Precise and sustained"}
        page = login_as(world.student).get(f"/discussions/{world.discussion.id}")
        text = page.get_data(as_text=True)
        assert "2 replies to classmates" in text and "answer to every prompt" in text

    @pytest.mark.parametrize(("rubric", "message"), [
        ("4 | Orphan level", "needs a criterion above it"),
        ("Argument", "needs 1 to 10 levels"),
        ("Argument\n8 | A lot\nSources\n5 | Also a lot", "more than the points possible"),
    ])
    def test_bad_rubrics_are_explained(self, world, login_as, rubric, message):
        response = login_as(world.instructor).post(
            f"/discussions/{world.discussion.id}/grading/settings",
            data={"points_possible": "10", "rubric": rubric})
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
        db.session.refresh(world.discussion)
        assert world.discussion.rubric == []

    def test_copy_a_rubric_from_another_discussion(self, graded, make, login_as):
        other = make.discussion(graded.course, title="Week 2")
        login_as(graded.instructor).post(f"/discussions/{other.id}/grading/copy-rubric",
                                         data={"copy-source": str(graded.discussion.id)})
        db.session.refresh(other)
        assert other.rubric == graded.discussion.rubric


class TestSaving:
    def test_the_score_is_the_rubric_sum_unless_overridden_with_a_reason(self, graded,
                                                                        login_as):
        client = login_as(graded.ta)
        client.post(_grade_url(graded), data={"criterion-c1": "c1-l1", "criterion-c2": "c2-l2",
                                              "feedback": "A *clear* argument."})
        grade = db.session.scalar(select(Grade))
        assert grade.score == 4 and grade.state is GradeState.DRAFT
        assert grade.feedback_html == "<p>A <em>clear</em> argument.</p>\n"
        refused = client.post(_grade_url(graded), data={
            "criterion-c1": "c1-l1", "criterion-c2": "c2-l2", "score": "6",
            "version": str(grade.version)})
        assert refused.status_code == 422 and "Say why" in refused.get_data(as_text=True)
        client.post(_grade_url(graded), data={
            "criterion-c1": "c1-l1", "criterion-c2": "c2-l2", "score": "6",
            "override_reason": "Exceptional sources outside the rubric",
            "version": str(grade.version)})
        db.session.refresh(grade)
        assert grade.score == 6 and grade.override_reason

    @pytest.mark.parametrize(("form", "message"), [
        ({"score": "11"}, "from 0 to 10"),
        ({"score": "-1"}, "from 0 to 10"),
        ({"criterion-c1": "c2-l1"}, "not a level of this rubric"),
        ({"criterion-c9": "c9-l1"}, "Choose rubric levels or give a score"),
    ])
    def test_bad_grades_write_nothing(self, graded, login_as, form, message):
        response = login_as(graded.instructor).post(_grade_url(graded), data=form)
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
        assert db.session.scalar(select(func.count()).select_from(Grade)) == 0
        assert _changes() == 0

    def test_extra_credit_needs_the_setting_and_a_reason(self, graded, login_as):
        graded.discussion.allow_extra_credit = True
        db.session.commit()
        client = login_as(graded.instructor)
        assert client.post(_grade_url(graded), data={"score": "12"}).status_code == 422
        assert client.post(_grade_url(graded), data={
            "score": "12", "override_reason": "Led the whole discussion"}).status_code == 302

    def test_saving_opens_the_next_ungraded_student(self, graded, make, login_as):
        response = login_as(graded.ta).post(_grade_url(graded, graded.classmate),
                                            data={"score": "5"})
        assert response.headers["Location"].endswith(_grade_url(graded, graded.student))

    def test_every_change_is_audited_and_shown(self, graded, login_as):
        client = login_as(graded.ta)
        client.post(_grade_url(graded), data={"score": "5"})
        grade = db.session.scalar(select(Grade))
        client.post(_grade_url(graded), data={"score": "6", "version": str(grade.version)})
        grading.release_grades(graded.instructor, graded.discussion)
        rows = db.session.execute(select(
            GradeChange.actor_id, GradeChange.old_score, GradeChange.new_score,
            GradeChange.old_state, GradeChange.new_state).order_by(GradeChange.id)).all()
        assert rows == [
            (graded.ta.id, None, 5, None, GradeState.DRAFT),
            (graded.ta.id, 5, 6, GradeState.DRAFT, GradeState.DRAFT),
            (graded.instructor.id, 6, 6, GradeState.DRAFT, GradeState.RELEASED)]
        page = login_as(graded.instructor).get(_grade_url(graded)).get_data(as_text=True)
        assert "History" in page and "5 → 6" in page

    def test_two_graders_from_the_same_version_one_is_told(self, graded, make, login_as):
        first = make.member(graded.course, Role.TA, "Second TA")
        grading.save_grade(graded.ta, graded.discussion, graded.student.id, version=None,
                           score=5)
        seen = db.session.scalar(select(Grade)).version
        assert login_as(first).post(_grade_url(graded), data={
            "score": "7", "feedback": "Mine", "version": str(seen)}).status_code == 302
        response = login_as(graded.ta).post(_grade_url(graded), data={
            "score": "3", "feedback": "Theirs", "version": str(seen)})
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        assert "Another grader saved this grade" in page and "Saved by Second TA" in page
        grade = db.session.scalar(select(Grade))
        db.session.refresh(grade)
        assert grade.score == 7 and grade.feedback == "Mine"
        assert _changes() == 2


class TestRelease:
    def test_students_see_their_own_released_grade_and_nothing_else(self, graded, api,
                                                                    login_as):
        grading.save_grade(graded.ta, graded.discussion, graded.student.id, version=None,
                           rubric_scores={"c1": "c1-l1", "c2": "c2-l1"},
                           feedback="SECRET-ANA feedback")
        grading.save_grade(graded.ta, graded.discussion, graded.classmate.id, version=None,
                           score=2, feedback="SECRET-BEN feedback")
        pages = ["/", "/grades", f"/discussions/{graded.discussion.id}",
                 f"/posts/{graded.post.id}", f"/courses/{graded.course.id}"]
        apis = ["/api/v1/me/grades", f"/api/v1/discussions/{graded.discussion.id}/grades/"
                f"{graded.student.id}", f"/api/v1/discussions/{graded.discussion.id}/posts",
                f"/api/v1/posts/{graded.post.id}/thread"]

        def seen_by(user) -> str:
            client = login_as(user)
            return " ".join([client.get(p).get_data(as_text=True) for p in pages]
                            + [api.get(user, u).get_data(as_text=True) for u in apis])

        assert "SECRET" not in seen_by(graded.student)  # drafts: nothing
        grading.release_grades(graded.instructor, graded.discussion, [graded.student.id])
        ana = seen_by(graded.student)
        assert "SECRET-ANA" in ana and "SECRET-BEN" not in ana
        assert "Your grade: 7 / 10" in ana and "Strong" in ana
        assert "SECRET" not in seen_by(graded.classmate)  # Ben's is still a draft

    def test_a_released_grade_edited_again_is_marked_updated(self, graded, login_as):
        grading.save_grade(graded.ta, graded.discussion, graded.student.id, version=None,
                           score=5)
        grading.release_grades(graded.instructor, graded.discussion)
        grade = db.session.scalar(select(Grade))
        grading.save_grade(graded.ta, graded.discussion, graded.student.id,
                           version=grade.version, score=6)
        page = login_as(graded.student).get("/grades").get_data(as_text=True)
        assert "Updated" in page and "<strong>6</strong>" in page

    def test_only_instructors_release(self, graded, login_as):
        grading.save_grade(graded.ta, graded.discussion, graded.student.id, version=None,
                           score=5)
        assert login_as(graded.ta).post(
            f"/discussions/{graded.discussion.id}/grading/release").status_code == 403
        assert db.session.scalar(select(Grade)).state is GradeState.DRAFT


class TestGradebook:
    def test_csv_escapes_formulas_and_totals_rows(self, graded, make, login_as):
        evil = make.member(graded.course, Role.STUDENT, '=HYPERLINK("http://evil","x")')
        grading.save_grade(graded.ta, graded.discussion, evil.id, version=None, score=4)
        second = make.discussion(graded.course, title="@risk", points_possible=5)
        grading.save_grade(graded.ta, second, evil.id, version=None, score=2.5)
        response = login_as(graded.instructor).get(f"/courses/{graded.course.id}/gradebook.csv")
        assert response.mimetype == "text/csv"
        rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
        assert rows[0][-1] == "Total (15)" and "'@risk (5)" in rows[0]
        row = next(r for r in rows if "HYPERLINK" in r[0])
        assert row[0].startswith("'=") and row[-1] == "6.5"
        assert login_as(graded.ta).get(
            f"/courses/{graded.course.id}/gradebook.csv").status_code == 403

    def test_the_api_gives_the_same_figures_and_csv_on_request(self, graded, api):
        grading.save_grade(graded.ta, graded.discussion, graded.student.id, version=None,
                           score=4)
        url = f"/api/v1/courses/{graded.course.id}/gradebook"
        book = api.get(graded.ta, url).json
        ana = next(s for s in book["students"] if s["student"]["id"] == graded.student.id)
        assert ana["total"] == 4 and ana["grades"][0]["state"] == "draft"
        as_csv = api.get(graded.instructor, url, headers={"Accept": "text/csv"})
        assert as_csv.mimetype == "text/csv" and "Ana Lindqvist" in as_csv.get_data(
            as_text=True)
        assert api.get(graded.ta, url, headers={"Accept": "text/csv"}).status_code == 403


class TestParticipation:
    def test_peer_replies_prompts_and_requirements(self, graded, make, api):
        make.post(graded.discussion, graded.classmate, title="Ben's view")
        make.reply(graded.post, graded.student, parent=graded.reply, body="Answering Ben")
        make.reply(graded.post, graded.student, parent=graded.prompt, body="Answering a prompt")
        rows = {r["student"]["id"]: r for r in api.get(
            graded.ta, f"/api/v1/discussions/{graded.discussion.id}/participation").json}
        ana, ben = rows[graded.student.id], rows[graded.classmate.id]
        assert (ana["posts"], ana["peer_replies"], ana["prompts_answered"]) == (1, 1, 1)
        assert ana["requirements_met"] is True
        assert (ben["posts"], ben["peer_replies"]) == (1, 1)
        assert ben["requirements_met"] is True and ana["grade_state"] == "ungraded"

    def test_late_detection_follows_the_course_timezone_across_dst(self, make, login_as):
        course = make.course(timezone="America/New_York")
        instructor = make.member(course, Role.INSTRUCTOR)
        student = make.member(course, Role.STUDENT, "Night Owl")
        login_as(instructor).post(f"/courses/{course.id}/discussions/new", data={
            "title": "Spring forward", "opens_at": "2027-03-01T09:00",
            "due_at": "2027-03-14T23:59", "points_possible": "10"})
        discussion = course.discussions[0]
        # Clocks went forward on 14 March 2027: 23:59 EDT is 03:59 UTC the next day.
        assert discussion.due_at == datetime(2027, 3, 15, 3, 59, tzinfo=UTC)
        make.post(discussion, student, published_at=datetime(2027, 3, 15, 3, 30, tzinfo=UTC))
        row = grading_row(instructor, discussion, student)
        assert row.late_items == 0
        make.post(discussion, student, title="Second",
                  published_at=datetime(2027, 3, 15, 4, 30, tzinfo=UTC))
        assert grading_row(instructor, discussion, student).late_items == 1


def grading_row(actor, discussion, student):
    from forum.services.participation import participation

    return next(r for r in participation(actor, discussion) if r.student.id == student.id)


class TestAnnotations:
    def test_a_passage_comment_survives_edits_elsewhere_and_orphans_when_removed(
            self, world, api, login_as):
        annotation = annotations.annotate(world.ta, world.post, quote="Its terms were moderate.",
                                          body="Which terms?")
        url = f"/api/v1/posts/{world.post.id}"
        api.patch(world.student, url, {"body": "A new opening. The treaty was harsh in tone. "
                                               "Its terms were moderate."})
        page = login_as(world.student).get(f"/posts/{world.post.id}").get_data(as_text=True)
        assert "Which terms?" in page and "orphaned" not in page
        api.patch(world.student, url, {"body": "I changed my mind entirely."})
        listed = api.get(world.student, f"{url}/annotations").json
        assert listed[0]["id"] == annotation.id and listed[0]["orphaned"] is True
        page = login_as(world.student).get(f"/posts/{world.post.id}").get_data(as_text=True)
        assert "no longer in the post (orphaned)" in page

    def test_the_nearest_repeat_of_a_passage_is_chosen(self):
        text = "war guilt, said one. Later: war guilt, said the other."
        prefix, suffix = "Later: ", ", said the other."
        assert annotations.locate(text, "war guilt", prefix, suffix) == text.index("Later") + 7

    def test_private_comments_reach_the_author_and_staff_only(self, world, api, login_as):
        annotations.annotate(world.ta, world.post, quote="harsh in tone", body="PRIVATE-NOTE")
        annotations.annotate(world.ta, world.post, quote="harsh in tone", body="CLASS-NOTE",
                             visibility="class")
        for user, sees_private in ((world.student, True), (world.instructor, True),
                                   (world.classmate, False)):
            page = login_as(user).get(f"/posts/{world.post.id}").get_data(as_text=True)
            body = api.get(user, f"/api/v1/posts/{world.post.id}/annotations").get_data(
                as_text=True)
            assert ("PRIVATE-NOTE" in page) is sees_private
            assert ("PRIVATE-NOTE" in body) is sees_private
            assert "CLASS-NOTE" in page and "CLASS-NOTE" in body

    def test_the_passage_must_come_from_the_post(self, world, login_as):
        response = login_as(world.ta).post(f"/posts/{world.post.id}/annotations",
                                           data={"quote": "Not in the post", "body": "Hm"})
        assert response.status_code == 422
        assert "must be copied from the post" in response.get_data(as_text=True)


class TestQueryBudgets:
    @pytest.mark.parametrize("page", ["roster", "student", "gradebook"])
    def test_grading_pages_cost_the_same_at_any_class_size(self, graded, make, login_as,
                                                           count_queries, page):
        url = {"roster": f"/discussions/{graded.discussion.id}/grading",
               "student": _grade_url(graded),
               "gradebook": f"/courses/{graded.course.id}/gradebook"}[page]
        client = login_as(graded.instructor)

        def statements() -> int:
            client.get(url)
            with count_queries() as counter:
                assert client.get(url).status_code == 200
            return counter.count

        small = statements()
        for n in range(12):
            student = make.member(graded.course, Role.STUDENT)
            post = make.post(graded.discussion, student, title=f"Post {n}")
            make.reply(post, graded.student)
            grading.save_grade(graded.ta, graded.discussion, student.id, version=None, score=5)
        assert statements() == small


class TestGradingApi:
    def test_put_needs_the_etag_and_refuses_a_stale_one(self, graded, api):
        url = f"/api/v1/discussions/{graded.discussion.id}/grades/{graded.student.id}"
        blank = api.get(graded.ta, url)
        assert blank.json["state"] == "ungraded" and blank.json["version"] == 0
        missing = api.call(graded.ta, "PUT", url, json={"score": 5})
        assert missing.status_code == 428
        saved = api.call(graded.ta, "PUT", url, json={"rubric_scores": {"c1": "c1-l2"}},
                         headers={"If-Match": blank.headers["ETag"]})
        assert saved.status_code == 200 and saved.json["score"] == 2
        stale = api.call(graded.instructor, "PUT", url, json={"score": 9},
                         headers={"If-Match": blank.headers["ETag"]})
        assert stale.status_code == 412
        assert db.session.scalar(select(Grade.score)) == 2

    def test_levels_must_belong_to_the_rubric(self, graded, api):
        url = f"/api/v1/discussions/{graded.discussion.id}/grades/{graded.student.id}"
        response = api.call(graded.ta, "PUT", url, json={"rubric_scores": {"c9": "c9-l1"}},
                            headers={"If-Match": "*"})
        assert response.status_code == 409 and "rubric_scores" in response.json["errors"]

    def test_a_student_reads_only_their_own_released_grade(self, graded, api):
        grading.save_grade(graded.ta, graded.discussion, graded.classmate.id, version=None,
                           score=3)
        base = f"/api/v1/discussions/{graded.discussion.id}/grades"
        assert api.get(graded.classmate, f"{base}/{graded.classmate.id}").status_code == 404
        assert api.get(graded.student, f"{base}/{graded.classmate.id}").status_code == 403
        assert api.get(graded.student, base).status_code == 403
        released = api.post(graded.instructor, f"{base}/release",
                            {"student_ids": [graded.classmate.id]})
        assert released.json == {"released": [graded.classmate.id], "count": 1}
        own = api.get(graded.classmate, f"{base}/{graded.classmate.id}")
        assert own.status_code == 200 and own.json["score"] == 3
        mine = api.get(graded.classmate, "/api/v1/me/grades").json
        assert [g["score"] for g in mine] == [3]


def test_passage_comments_from_the_grading_view(world, login_as, api):
    client = login_as(world.ta)
    url = f"/discussions/{world.discussion.id}/grading/{world.student.id}"
    response = client.post(f"/posts/{world.post.id}/annotations", data={
        "quote": "harsh in tone", "body": "Whose tone, exactly?", "next": url})
    assert response.headers["Location"] == url
    assert "Whose tone, exactly?" in client.get(url).get_data(as_text=True)
    grades = api.get(world.ta, f"/api/v1/discussions/{world.discussion.id}/grades")
    assert grades.headers["Cache-Control"] == "no-store"


def test_a_passage_copied_across_a_line_break_or_emphasis_is_found(make, world):
    post = make.post(world.discussion, world.student,
                     body="Keynes made the *economic* case\nagainst the treaty in 1919.")
    note = annotations.annotate(world.ta, post, quote="the economic case\r\nagainst the treaty",
                                body="Which chapter?")
    assert note.quote == "the economic case against the treaty"
    assert annotations.annotations_for(world.student, post)[0].found
