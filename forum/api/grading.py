"""Grading over the API: rubric, grades, release, participation, gradebook, my grades."""

from __future__ import annotations

from flask import Response, request
from flask.views import MethodView

from forum.api.auth import actor, require_user
from forum.api.common import PAGINATION, Blueprint, Versioned, page_of
from forum.api.grading_schemas import (
    GradebookSchema,
    GradeInputSchema,
    GradeSchema,
    GradingSettingsSchema,
    MyGradeSchema,
    ParticipationSchema,
    ReleasedSchema,
    ReleaseSchema,
    RosterArgsSchema,
)
from forum.api.present import user_ref
from forum.models import Grade
from forum.services import grading as grading_service
from forum.services import rubrics
from forum.services.courses import get_course
from forum.services.discussions import get_discussion
from forum.services.gradebook import gradebook, gradebook_csv
from forum.services.participation import RosterQuery, arrange, participation
from forum.services.progress import is_new

bp = Blueprint("Grading", __name__, url_prefix="/api/v1",
               description="Rubrics, grades, participation and the gradebook")

@bp.after_request
def no_store(response):
    """Grades and drafts are never kept by caches along the way."""
    response.headers["Cache-Control"] = "no-store"
    return response


SETTINGS = ("points_possible", "rubric", "min_posts", "min_peer_replies",
            "require_prompt_answers", "allow_extra_credit")


def _settings_view(discussion) -> dict:
    return {name: getattr(discussion, name) for name in SETTINGS}


@bp.route("/discussions/<id:discussion_id>/rubric")
class Rubric(MethodView):
    @bp.etag
    @bp.response(200, GradingSettingsSchema)
    @bp.errors()
    @bp.doc(operationId="getRubric")
    def get(self, discussion_id: int):
        """Points, rubric and participation requirements

        Anyone who may read the discussion may read what it is graded on: its members,
        and anyone at all in a public course, without a token.
        """
        discussion = get_discussion(actor(), discussion_id)
        bp.set_etag({"id": discussion.id, "version": discussion.version})
        return _settings_view(discussion)

    @bp.etag
    @bp.arguments(GradingSettingsSchema)
    @bp.response(200, GradingSettingsSchema)
    @bp.errors(403, 409, 422)
    @bp.doc(operationId="updateRubric")
    def put(self, data, discussion_id: int):
        """Set points, rubric and requirements (instructors)"""
        user = require_user()
        discussion = get_discussion(user, discussion_id)
        rubrics.authorize_grading_settings(user, discussion)
        bp.check_etag({"id": discussion.id, "version": discussion.version})
        rubrics.update_grading_settings(user, discussion, version=discussion.version, **data)
        bp.set_etag({"id": discussion.id, "version": discussion.version})
        return _settings_view(discussion)


def grade_view(discussion, student, grade: Grade | None) -> dict:
    """A grade as JSON; a student without one is "ungraded" at version 0."""
    if grade is None:
        return {"discussion_id": discussion.id, "student": user_ref(student),
                "state": "ungraded", "score": None, "rubric_scores": {}, "feedback": "",
                "feedback_html": "", "version": 0, "grader": None}
    return {
        "discussion_id": discussion.id, "student": user_ref(student),
        "state": grade.state.value, "score": grade.score, "rubric_scores": grade.rubric_scores,
        "override_reason": grade.override_reason, "feedback": grade.feedback,
        "feedback_html": grade.feedback_html, "updated_at": grade.updated_at,
        "released_at": grade.released_at,
        "updated_after_release": grade.changed_after_release_at is not None,
        "grader": user_ref(grade.grader), "version": grade.version,
    }


@bp.route("/discussions/<id:discussion_id>/grades")
class Grades(MethodView):
    @bp.arguments(RosterArgsSchema, location="query")
    @bp.response(200, GradeSchema(many=True))
    @bp.paginate(**PAGINATION)
    @bp.errors(403, 422)
    @bp.doc(operationId="listGrades")
    def get(self, args, discussion_id: int, pagination_parameters):
        """Every student's grade, drafts included, sorted and filtered as the roster is
        (instructors and TAs)"""
        user = require_user()
        discussion = get_discussion(user, discussion_id)
        rows = arrange(participation(user, discussion), RosterQuery(**args))
        return page_of(rows, lambda r: grade_view(discussion, r.student, r.grade),
                       pagination_parameters)


def grade_resource(discussion_id: int, student_id: int) -> str:
    return f"grade-{discussion_id}-{student_id}"


def _grade_etag(discussion_id: int, student_id: int, grade: Grade | None) -> Versioned:
    """A student without a grade is at version 0."""
    return Versioned(grade_resource(discussion_id, student_id), grade.version if grade else 0)


@bp.route("/discussions/<id:discussion_id>/grades/<id:user_id>")
class GradeItem(MethodView):
    @bp.etag
    @bp.response(200, GradeSchema)
    @bp.errors()
    @bp.doc(operationId="getGrade")
    def get(self, discussion_id: int, user_id: int):
        """One student's grade: staff see drafts; a student sees their own once released"""
        user = require_user()
        discussion = get_discussion(user, discussion_id)
        student, grade = grading_service.grade_of(user, discussion, user_id)
        bp.set_etag(_grade_etag(discussion_id, user_id, grade))
        return grade_view(discussion, student, grade)

    @bp.etag
    @bp.arguments(GradeInputSchema)
    @bp.response(200, GradeSchema)
    @bp.errors(403, 409, 422)
    @bp.doc(operationId="updateGrade")
    def put(self, data, discussion_id: int, user_id: int):
        """Save a grade (draft, or a new version of a released one); needs If-Match"""
        user = require_user()
        discussion = get_discussion(user, discussion_id)
        version = bp.expected_version(grade_resource(discussion_id, user_id))
        grade = grading_service.save_grade(user, discussion, user_id, version=version, **data)
        bp.set_etag(_grade_etag(discussion_id, user_id, grade))
        return grade_view(discussion, grade.student, grade)


@bp.route("/discussions/<id:discussion_id>/grades/release")
class Release(MethodView):
    @bp.arguments(ReleaseSchema, required=False)
    @bp.response(200, ReleasedSchema)
    @bp.errors(403, 422)
    @bp.doc(operationId="releaseGrades")
    def post(self, data, discussion_id: int):
        """Release draft grades: all, or those of the students named (instructors)"""
        user = require_user()
        discussion = get_discussion(user, discussion_id)
        released = grading_service.release_grades(user, discussion, data.get("student_ids"))
        return {"released": [grade.student_id for grade in released], "count": len(released)}


@bp.route("/discussions/<id:discussion_id>/participation")
class ParticipationList(MethodView):
    @bp.arguments(RosterArgsSchema, location="query")
    @bp.response(200, ParticipationSchema(many=True))
    @bp.paginate(**PAGINATION)
    @bp.errors(403, 422)
    @bp.doc(operationId="listParticipation")
    def get(self, args, discussion_id: int, pagination_parameters):
        """The grading roster's figures for every student, sorted and filtered as on
        the roster page (instructors and TAs)"""
        user = require_user()
        discussion = get_discussion(user, discussion_id)
        rows = arrange(participation(user, discussion), RosterQuery(**args))
        return page_of(rows, participation_view, pagination_parameters)


@bp.route("/me/grades")
class MyGrades(MethodView):
    @bp.response(200, MyGradeSchema(many=True))
    @bp.paginate(**PAGINATION)
    @bp.errors()
    @bp.doc(operationId="listMyGrades")
    def get(self, pagination_parameters):
        """Your released grades, newest first"""
        return page_of(grading_service.my_grades(require_user()), my_grade_view,
                       pagination_parameters)


def participation_view(row) -> dict:
    return {**vars(row), "student": user_ref(row.student), "grade_state": row.grade_state,
            "score": row.grade.score if row.grade else None}


def my_grade_view(grade: Grade) -> dict:
    return {
        "discussion_id": grade.discussion_id, "discussion_title": grade.discussion.title,
        "course_id": grade.discussion.course_id,
        "points_possible": grade.discussion.points_possible, "score": grade.score,
        "rubric_scores": grade.rubric_scores, "feedback_html": grade.feedback_html,
        "released_at": grade.released_at,
        "updated_after_release": grade.changed_after_release_at is not None,
        "new": is_new(grade),
    }


@bp.route("/courses/<id:course_id>/gradebook")
class CourseGradebook(MethodView):
    @bp.response(200, GradebookSchema, content_type="application/json")
    @bp.alt_response(200, success=True, content_type="text/csv",
                     description="The same as CSV (Accept: text/csv; instructors)")
    @bp.errors(403)
    @bp.doc(operationId="getGradebook")
    def get(self, course_id: int):
        """Students by discussions with scores and states (staff); CSV for instructors"""
        user = require_user()
        course = get_course(user, course_id)
        if request.accept_mimetypes.best_match(["application/json", "text/csv"]) \
                == "text/csv":
            return Response(gradebook_csv(user, course), mimetype="text/csv",
                            headers={"Cache-Control": "no-store"})
        book = gradebook(user, course)
        return {
            "points_possible": book.points_possible,
            "discussions": [{"id": d.id, "title": d.title,
                             "points_possible": d.points_possible} for d in book.discussions],
            "students": [{
                "student": user_ref(s), "email": s.email, "total": book.total(s.id),
                "grades": [{"discussion_id": d.id, "state": g.state.value, "score": g.score}
                           for d in book.discussions
                           if (g := book.grades.get((s.id, d.id))) is not None],
            } for s in book.students],
        }

