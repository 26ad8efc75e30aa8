"""Schemas of the grading API: rubric, grades, participation, gradebook, annotations."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from forum.api.common import (
    HAS_TEXT,
    STORABLE,
    Number,
    StrictSchema,
    body_field,
    flag,
    optional_text,
    whole_number,
)
from forum.api.schemas import Timestamp, UserRefSchema
from forum.models import AnnotationVisibility, GradeState
from forum.models.limits import (
    BODY_MAX,
    CRITERION_DESCRIPTION_MAX,
    LEVEL_DESCRIPTION_MAX,
    POINTS_MAX,
    TITLE_MAX,
)
from forum.services.annotations import QUOTE_MAX
from forum.services.grading import REASON_MAX
from forum.services.participation import ROSTER_ORDERS, ROSTER_SORTS, ROSTER_STATES
from forum.services.rubrics import CRITERIA_MAX, LEVELS_MAX, REQUIREMENT_MAX


class LevelSchema(StrictSchema):
    id = fields.String(validate=validate.Length(max=40),
                       metadata={"description": "Keeps the id across edits; new ones get an id"})
    points = Number(required=True, validate=validate.Range(min=0, max=POINTS_MAX))
    description = optional_text(LEVEL_DESCRIPTION_MAX)


class CriterionSchema(StrictSchema):
    id = fields.String(validate=validate.Length(max=40),
                       metadata={"description": "Keeps the id across edits; new ones get an id"})
    title = fields.String(required=True, validate=[validate.Length(min=1, max=TITLE_MAX), HAS_TEXT])
    description = optional_text(CRITERION_DESCRIPTION_MAX)
    levels = fields.List(fields.Nested(LevelSchema), required=True,
                         validate=validate.Length(min=1, max=LEVELS_MAX))


class GradingSettingsSchema(StrictSchema):
    points_possible = Number(validate=validate.Range(min=0, max=POINTS_MAX))
    rubric = fields.List(fields.Nested(CriterionSchema),
                         validate=validate.Length(max=CRITERIA_MAX),
                         metadata={"description": "Its criteria's best levels add up to at "
                                                  "most points_possible"})
    min_posts = whole_number(validate=validate.Range(min=0, max=REQUIREMENT_MAX))
    min_peer_replies = whole_number(validate=validate.Range(min=0, max=REQUIREMENT_MAX))
    require_prompt_answers = flag()
    allow_extra_credit = flag()


class GradeSchema(Schema):
    discussion_id = fields.Integer(required=True)
    student = fields.Nested(UserRefSchema, required=True)
    state = fields.String(required=True, metadata={"enum": ["ungraded", "draft", "released"]})
    score = fields.Float(allow_none=True)
    rubric_scores = fields.Dict(keys=fields.String(), values=fields.String())
    override_reason = fields.String(allow_none=True)
    feedback = fields.String()
    feedback_html = fields.String()
    updated_at = Timestamp(allow_none=True)
    released_at = Timestamp(allow_none=True)
    updated_after_release = fields.Boolean()
    grader = fields.Nested(UserRefSchema, allow_none=True)
    version = fields.Integer(required=True)


class GradeInputSchema(StrictSchema):
    rubric_scores = fields.Dict(keys=fields.String(),  # unknown ids: 409 from the service
                                values=fields.String(validate=[validate.Length(max=20), STORABLE]),
                                metadata={"description": "criterion id → level id"})
    score = Number(allow_none=True, validate=validate.Range(min=0, max=POINTS_MAX),
                   metadata={"description": "Omit to use the rubric's sum. At most the "
                                            "discussion's points possible (more only where "
                                            "it allows extra credit, with override_reason)"})
    override_reason = fields.String(allow_none=True, metadata={
                                        "description": "Needed when score is not the "
                                                       "rubric's sum"},
                                    validate=[validate.Length(max=REASON_MAX), STORABLE])
    feedback = optional_text(BODY_MAX)


class ReleaseSchema(StrictSchema):
    student_ids = fields.List(whole_number(validate=validate.Range(min=1, max=2**31 - 1)),
                              validate=validate.Length(max=1000),
                              metadata={"description": "Omit to release every draft"})


class ReleasedSchema(Schema):
    released = fields.List(fields.Integer(), required=True,
                           metadata={"description": "Students whose grade was released"})
    count = fields.Integer(required=True,
                           metadata={"description": "How many students now see their grade"})


class RosterArgsSchema(StrictSchema):
    sort = fields.String(load_default="name", validate=validate.OneOf(ROSTER_SORTS),
                         metadata={"description": "Students without a score come last"})
    order = fields.String(load_default="asc", validate=validate.OneOf(ROSTER_ORDERS))
    state = fields.String(validate=validate.OneOf(ROSTER_STATES),
                          metadata={"description": "Only students whose grade is in it"})
    late = fields.Boolean(metadata={"description": "Only those with (true, 1) or without "
                                                   "(false, 0) late items"})
    met = fields.Boolean(metadata={"description": "Only those who met the requirements "
                                                  "(true, 1) or did not (false, 0)"})


class ParticipationSchema(Schema):
    student = fields.Nested(UserRefSchema, required=True)
    posts = fields.Integer(required=True)
    peer_replies = fields.Integer(required=True)
    prompts_answered = fields.Integer(required=True)
    prompts_open = fields.Integer(required=True)
    words = fields.Integer(required=True)
    first_post_at = Timestamp(allow_none=True)
    last_activity_at = Timestamp(allow_none=True)
    late_items = fields.Integer(required=True)
    requirements_met = fields.Boolean(required=True)
    grade_state = fields.String(required=True)
    score = fields.Float(allow_none=True)


class GradebookCellSchema(Schema):
    discussion_id = fields.Integer(required=True)
    state = fields.String(required=True)
    score = fields.Float(allow_none=True)


class GradebookRowSchema(Schema):
    student = fields.Nested(UserRefSchema, required=True)
    email = fields.String(required=True)
    grades = fields.List(fields.Nested(GradebookCellSchema), required=True)
    total = fields.Float(required=True)


class GradebookDiscussionSchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    points_possible = fields.Float(required=True)


class GradebookSchema(Schema):
    discussions = fields.List(fields.Nested(GradebookDiscussionSchema), required=True)
    students = fields.List(fields.Nested(GradebookRowSchema), required=True)
    points_possible = fields.Float(required=True)


class MyGradeSchema(Schema):
    discussion_id = fields.Integer(required=True)
    discussion_title = fields.String(required=True)
    course_id = fields.Integer(required=True)
    points_possible = fields.Float(required=True)
    score = fields.Float(allow_none=True)
    rubric_scores = fields.Dict(keys=fields.String(), values=fields.String())
    feedback_html = fields.String(required=True)
    released_at = Timestamp(allow_none=True)
    updated_after_release = fields.Boolean(required=True)
    new = fields.Boolean(required=True, metadata={
        "description": "Released (or changed) since you last opened your grades page"})


class AnnotationSchema(Schema):
    id = fields.Integer(required=True)
    post_id = fields.Integer(required=True)
    author = fields.Nested(UserRefSchema, required=True)
    quote = fields.String(required=True)
    body = fields.String(required=True)
    body_html = fields.String(required=True)
    visibility = fields.Enum(AnnotationVisibility, by_value=True, required=True)
    orphaned = fields.Boolean(required=True,
                              metadata={"description": "The passage is gone from the post"})
    created_at = Timestamp(required=True)


class AnnotationInputSchema(StrictSchema):
    quote = fields.String(required=True,
                          validate=[validate.Length(min=1, max=QUOTE_MAX), HAS_TEXT])
    body = body_field(required=True)
    visibility = fields.String(load_default="private",
                               validate=validate.OneOf([v.value for v in AnnotationVisibility]))


GRADE_STATES = [state.value for state in GradeState]
