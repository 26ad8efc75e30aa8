"""Course archive jobs: POST /courses/{id}/archives (an export) and POST /archive-imports
(an import, multipart/form-data) answer 202 with the job, followed at
GET /archive-jobs/{id}; a finished export's file is GET /archive-jobs/{id}/file."""

from __future__ import annotations

from flask import current_app, request, url_for
from flask.views import MethodView
from flask_smorest.fields import Upload
from marshmallow import RAISE, Schema, fields
from werkzeug.datastructures import FileStorage

from forum.access import can_create_course
from forum.api import auth, images
from forum.api.auth import actor, require_user
from forum.api.common import Creates, StrictSchema, at, created, optional_text
from forum.downloads import kept_file
from forum.errors import Invalid
from forum.models import ArchiveJob, ArchiveJobKind, ArchiveJobState
from forum.models.limits import COURSE_CODE_MAX
from forum.services import archive_jobs
from forum.services import courses as course_service

bp = images.UploadBlueprint("Archives", __name__, url_prefix="/api/v1",
                            description="Course archives: exports and imports run by the "
                                        "worker, followed as jobs")
IMPORTS = "Archives.ArchiveImports"


class ArchiveJobProgressSchema(Schema):
    done = fields.Integer(required=True, metadata={"description": "Steps done"})
    total = fields.Integer(required=True, metadata={
        "description": "Steps in all (0 until the job has started)"})
    percent = fields.Integer(required=True)
    stage = fields.String(required=True, metadata={"description": "What it is doing"})


class ArchiveJobLinksSchema(Schema):
    self = fields.String(required=True)
    file = fields.String(allow_none=True, metadata={
        "description": "A finished export's archive (getArchiveJobFile); null otherwise"})
    course = fields.String(allow_none=True, metadata={
        "description": "The course (getCourse): an export's, or the one an import made"})


class ArchiveJobSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.Enum(ArchiveJobKind, by_value=True, required=True)
    state = fields.Enum(ArchiveJobState, by_value=True, required=True, metadata={
        "description": "queued → running → done or failed; ask again while queued or "
                       "running"})
    progress = fields.Nested(ArchiveJobProgressSchema, required=True)
    error = fields.String(allow_none=True, metadata={
        "description": "Why it failed (a failed import imported nothing)"})
    course_id = fields.Integer(allow_none=True, metadata={
        "description": "An export's course; the course an import made, once done"})
    file_name = fields.String(allow_none=True)
    file_size = fields.Integer(allow_none=True, metadata={"description": "In bytes"})
    created_at = fields.DateTime(required=True)
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    expires_at = fields.DateTime(allow_none=True, metadata={
        "description": "When a finished export's file is removed (a day after)"})
    links = fields.Nested(ArchiveJobLinksSchema, required=True)


class ArchiveImportSchema(StrictSchema):
    """multipart/form-data: the archive, and the new course's code."""

    file = Upload(required=True, metadata={
        "description": "A course archive (.tar.gz) as an export makes it, at most "
                       "FORUM_ARCHIVE_MAX_BYTES (512 MB)"})
    code = optional_text(COURSE_CODE_MAX, metadata={
        "description": "The new course's code; empty or absent: the archive's own (a "
                       "code in use is refused, 409)"})


def job_view(job: ArchiveJob) -> dict:
    done = job.state is ArchiveJobState.DONE
    kept = done and job.is_export and job.stored_name is not None
    return {
        "id": job.id, "kind": job.kind, "state": job.state,
        "progress": {"done": job.steps_done, "total": job.steps_total,
                     "percent": job.percent, "stage": job.stage},
        "error": job.error, "course_id": job.course_id, "file_name": job.file_name,
        "file_size": job.file_size, "created_at": job.created_at,
        "started_at": job.started_at, "finished_at": job.finished_at,
        "expires_at": job.finished_at + archive_jobs.KEPT_FOR if kept else None,
        "links": {
            "self": url_for("Archives.ArchiveJobItem", job_id=job.id, _external=True),
            "file": url_for("Archives.ArchiveJobFile", job_id=job.id, _external=True)
            if kept else None,
            "course": url_for("Courses.CourseItem", course_id=job.course_id,
                              _external=True) if job.course_id and (done or job.is_export)
            else None}}


def accepted(model: type, locate):
    """The 202 answer of an operation that queues a job, with the job's Location; like
    Blueprint.created, it takes an Idempotency-Key."""
    respond = bp.response(202, ArchiveJobSchema, headers={"Location": {
        "description": "The job (getArchiveJob): ask it how far it is",
        "schema": {"type": "string", "format": "uri"}}})

    def decorator(func):
        func = respond(func)
        func.creates = Creates(model, locate)
        return func

    return decorator


def document(spec) -> None:
    """A POST answered 202 takes an Idempotency-Key as a 201's does (after
    api.idempotency.document, which defines the header and the lost answer)."""
    for operations in spec._paths.values():
        documented = operations.get("post", {})
        if "202" in documented.get("responses", {}):
            documented.setdefault("parameters", []).append(
                {"$ref": "#/components/parameters/IDEMPOTENCY_KEY"})
            documented["responses"]["303"] = {"$ref": "#/components/responses/LOST_ANSWER"}


def check_body() -> None:
    """The import takes multipart/form-data; the other operations JSON, or nothing."""
    if request.endpoint == IMPORTS:
        images.require_multipart()
    else:
        auth.require_json_body()


def allow_one_archive() -> None:
    """An import's body may be larger than other requests by one archive, for a caller
    who may import (run after the caller is known, before anything reads the body):
    nobody else makes the server take in half a gigabyte."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if request.endpoint == IMPORTS and limit is not None and can_create_course(actor()):
        request.max_content_length = limit + archive_jobs.archive_max_bytes()


@bp.route("/courses/<id:course_id>/archives")
class CourseArchives(MethodView):
    @accepted(ArchiveJob, at(".ArchiveJobItem", "job_id"))
    @bp.errors(403)
    @bp.doc(operationId="createCourseArchive")
    def post(self, course_id: int):
        """Ask for the course's archive (its instructors and admins): the worker writes it;
        follow the job at its Location, then take the file (kept for a day). Asking again
        while your export of the course is unfinished gives that job back"""
        user = require_user()
        course = course_service.get_course(user, course_id)
        job = archive_jobs.request_export(user, course)
        return created(lambda: job_view(job), job)


@bp.route("/archive-imports")
class ArchiveImports(MethodView):
    @bp.arguments(ArchiveImportSchema, location="files", unknown=RAISE)
    @accepted(ArchiveJob, at(".ArchiveJobItem", "job_id"))
    @bp.errors(403, 409, 422)
    @bp.doc(operationId="importCourseArchive")
    def post(self, data):
        """Make a new course from a course archive (site admins): the worker imports it,
        all or nothing; follow the job at its Location"""
        user = require_user()
        file = data["file"]
        if not isinstance(file, FileStorage):
            raise Invalid({"file": ["Send the archive as a file part named 'file'."]})
        job = archive_jobs.request_import(user, file.stream, file.filename, data.get("code"))
        return created(lambda: job_view(job), job)


@bp.route("/archive-jobs/<id:job_id>")
class ArchiveJobItem(MethodView):
    @bp.response(200, ArchiveJobSchema)
    @bp.errors(403)
    @bp.doc(operationId="getArchiveJob")
    def get(self, job_id: int):
        """An archive job: how far it is, why it failed, where its file or course is (an
        export's: its course's instructors and admins; an import's: admins)"""
        return job_view(archive_jobs.get_job(require_user(), job_id))


@bp.route("/archive-jobs/<id:job_id>/file")
class ArchiveJobFile(MethodView):
    @bp.response(200, {"type": "string", "format": "binary"}, content_type="application/gzip",
                 description="The course archive (docs/archives.md), as `flask "
                             "import-course` and importCourseArchive read it")
    @bp.errors(403, 409)
    @bp.doc(operationId="getArchiveJobFile")
    def get(self, job_id: int):
        """A finished export's archive: 409 while the job is queued or running (or
        failed), 404 once removed (a day after it was made)"""
        return kept_file(archive_jobs.job_file(require_user(), job_id), "application/gzip")
