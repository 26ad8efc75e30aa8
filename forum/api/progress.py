"""What needs me, over the API: a student's progress in discussions, the staff's to-do."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from forum.api.auth import require_user
from forum.api.common import PAGINATION, Blueprint, StrictSchema, page_of
from forum.api.present import author_view, user_ref
from forum.api.schemas import AuthorRefSchema, Timestamp, UserRefSchema
from forum.services.authors import post_byline
from forum.services.courses import courses_for
from forum.services.discussions import get_discussion
from forum.services.progress import Progress, my_progress, progress_of
from forum.services.todo import PROMPT_STALE_AFTER, staff_todo

bp = Blueprint("Progress", __name__, url_prefix="/api/v1",
               description="What needs me: progress against requirements, the staff's to-do")


@bp.after_request
def no_store(response):
    """Progress carries grades: never kept by caches along the way."""
    response.headers["Cache-Control"] = "no-store"
    return response


class ProgressArgsSchema(StrictSchema):
    student_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1), metadata={
        "description": "Staff: the student whose progress to show. Students see only "
                       "their own (leave it out, or give your own id)"})


class RequirementSchema(Schema):
    name = fields.String(required=True,
                         metadata={"enum": ["posts", "peer_replies", "prompt_answers"]})
    done = fields.Integer(required=True)
    needed = fields.Integer(required=True)
    met = fields.Boolean(required=True)


class OpenPromptSchema(Schema):
    id = fields.Integer(required=True, metadata={"description": "The prompt (a reply)"})
    post_id = fields.Integer(required=True)
    post_title = fields.String(required=True)
    asked_at = Timestamp(required=True)


class ProgressGradeSchema(Schema):
    state = fields.String(required=True, metadata={"enum": ["draft", "released"]})
    score = fields.Float(allow_none=True)
    released_at = Timestamp(allow_none=True)
    new = fields.Boolean(required=True, metadata={
        "description": "Released (or changed) since the student last saw it"})


class ProgressSchema(Schema):
    discussion_id = fields.Integer(required=True)
    discussion_title = fields.String(required=True)
    course_id = fields.Integer(required=True)
    student = fields.Nested(UserRefSchema, required=True)
    due_at = Timestamp(allow_none=True)
    past_due = fields.Boolean(required=True)
    points_possible = fields.Float(required=True)
    requirements = fields.List(fields.Nested(RequirementSchema), required=True)
    requirements_met = fields.Boolean(required=True)
    posts = fields.Integer(required=True)
    peer_replies = fields.Integer(required=True)
    words = fields.Integer(required=True)
    prompts_answered = fields.Integer(required=True)
    prompts_open = fields.Integer(required=True)
    late_items = fields.Integer(required=True)
    first_post_at = Timestamp(allow_none=True)
    last_activity_at = Timestamp(allow_none=True)
    open_prompts = fields.List(fields.Nested(OpenPromptSchema), required=True)
    grade = fields.Nested(ProgressGradeSchema, allow_none=True, required=True, metadata={
        "description": "As you may see it: a student's own once released; drafts for staff"})


class TodoDiscussionSchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    course_id = fields.Integer(required=True)
    course_code = fields.String(required=True)
    due_at = Timestamp(allow_none=True)


class UngradedSchema(Schema):
    discussion = fields.Nested(TodoDiscussionSchema, required=True)
    students = fields.Integer(required=True, metadata={"description": "Students with no grade"})


class DraftsSchema(Schema):
    discussion = fields.Nested(TodoDiscussionSchema, required=True)
    drafts = fields.Integer(required=True)
    can_release = fields.Boolean(required=True)


class StalePromptSchema(Schema):
    id = fields.Integer(required=True, metadata={"description": "The prompt (a reply)"})
    post_id = fields.Integer(required=True)
    post_title = fields.String(required=True)
    discussion_id = fields.Integer(required=True)
    course_id = fields.Integer(required=True)
    student = fields.Nested(AuthorRefSchema, required=True,
                            metadata={"description": "The post's author"})
    asked_at = Timestamp(required=True)


class WaitingSchema(Schema):
    course_id = fields.Integer(required=True)
    course_code = fields.String(required=True)
    pending = fields.Integer(required=True, metadata={"description": "Held for review"})
    flagged = fields.Integer(required=True, metadata={"description": "With open flags"})


class TodoSchema(Schema):
    ungraded = fields.List(fields.Nested(UngradedSchema), required=True, metadata={
        "description": "Discussions past due with students not graded yet"})
    drafts = fields.List(fields.Nested(DraftsSchema), required=True, metadata={
        "description": "Discussions with draft grades not released"})
    stale_prompts = fields.List(fields.Nested(StalePromptSchema), required=True, metadata={
        "description": f"Prompts open for more than {PROMPT_STALE_AFTER.days} days"})
    moderation = fields.List(fields.Nested(WaitingSchema), required=True)


_REQUIREMENT_NAMES = {"posts": "posts", "replies to classmates": "peer_replies",
                      "prompts answered": "prompt_answers"}


def progress_view(progress: Progress) -> dict:
    d, f, grade = progress.discussion, progress.figures, progress.grade
    return {
        "discussion_id": d.id, "discussion_title": d.title, "course_id": d.course_id,
        "student": user_ref(f.student), "due_at": d.due_at, "past_due": progress.past_due(),
        "points_possible": d.points_possible,
        "requirements": [{"name": _REQUIREMENT_NAMES[r.label], "done": r.done,
                          "needed": r.needed, "met": r.met} for r in progress.requirements],
        "requirements_met": progress.met, "posts": f.posts, "peer_replies": f.peer_replies,
        "words": f.words, "prompts_answered": f.prompts_answered,
        "prompts_open": f.prompts_open, "late_items": f.late_items,
        "first_post_at": f.first_post_at, "last_activity_at": f.last_activity_at,
        "open_prompts": [{"id": row.prompt.id, "post_id": row.post.id,
                          "post_title": row.post.title, "asked_at": row.prompt.created_at}
                         for row in progress.open_prompts],
        "grade": None if grade is None else {
            "state": grade.state.value, "score": grade.score,
            "released_at": grade.released_at, "new": progress.grade_is_new},
    }


@bp.route("/discussions/<id:discussion_id>/progress")
class DiscussionProgress(MethodView):
    @bp.arguments(ProgressArgsSchema, location="query")
    @bp.response(200, ProgressSchema)
    @bp.errors(403)
    @bp.doc(operationId="getProgress")
    def get(self, args, discussion_id: int):
        """Progress against the discussion's requirements: yours (students), or a named
        student's (instructors and TAs)"""
        user = require_user()
        discussion = get_discussion(user, discussion_id)
        return progress_view(progress_of(user, discussion, args.get("student_id")))


@bp.route("/me/progress")
class MyProgress(MethodView):
    @bp.response(200, ProgressSchema(many=True))
    @bp.paginate(**PAGINATION)
    @bp.errors()
    @bp.doc(operationId="listMyProgress")
    def get(self, pagination_parameters):
        """Your progress in the discussions open now or due lately in the courses you
        take as a student, soonest due first (the dashboard's list)"""
        return page_of(my_progress(require_user()), progress_view, pagination_parameters)


def _discussion_ref(discussion) -> dict:
    return {"id": discussion.id, "title": discussion.title, "course_id": discussion.course_id,
            "course_code": discussion.course.code, "due_at": discussion.due_at}


@bp.route("/me/todo")
class MyTodo(MethodView):
    @bp.response(200, TodoSchema)
    @bp.errors()
    @bp.doc(operationId="getMyTodo")
    def get(self):
        """What waits for you in the courses you teach or assist in: grading past due,
        drafts to release, prompts unanswered for days, moderation (empty lists for
        students)"""
        user = require_user()
        todo = staff_todo(user, courses_for(user))
        return {
            "ungraded": [{"discussion": _discussion_ref(line.discussion),
                          "students": line.students} for line in todo.ungraded],
            "drafts": [{"discussion": _discussion_ref(line.discussion), "drafts": line.drafts,
                        "can_release": line.can_release} for line in todo.drafts],
            "stale_prompts": [{
                "id": row.prompt.id, "post_id": row.post.id, "post_title": row.post.title,
                "discussion_id": row.post.discussion_id,
                "course_id": row.post.discussion.course_id,
                "student": author_view(post_byline(user, row.post)),
                "asked_at": row.prompt.created_at} for row in todo.stale_prompts],
            "moderation": [{"course_id": line.course.id, "course_code": line.course.code,
                            "pending": line.pending, "flagged": line.flagged}
                           for line in todo.waiting],
        }
