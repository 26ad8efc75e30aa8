"""Course archives on the web: an export asked for from the course page, an import
uploaded by an admin, each followed on a job page until its file or course is ready."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf.file import FileField
from wtforms import StringField

from forum.access import can_create_course
from forum.downloads import kept_file
from forum.errors import Invalid
from forum.extensions import limiter
from forum.limits import member_key, writes_limit
from forum.services import archive_jobs
from forum.services import courses as course_service
from forum.web.forms import ForumForm, show_errors, status_of

bp = Blueprint("archives", __name__, url_prefix="/courses")
# Asking for exports and sending imports count as writes, as on the other pages.
limiter.limit(writes_limit, key_func=member_key, methods=["POST"])(bp)


class ImportForm(ForumForm):
    file = FileField("Course archive", description="A .tar.gz file made by a course's "
                                                   "export.")
    code = StringField("Code of the new course", description="Leave empty to use the "
                                                             "archive's own code.")


@bp.url_value_preprocessor
def allow_one_archive(endpoint: str | None, _values) -> None:
    """The import form's body may be larger than other requests by one archive, for
    those who may import (nobody else makes the server take in half a gigabyte). Set
    here, before any hook (CSRF) reads the body."""
    if endpoint == "archives.new_import" and request.mimetype == "multipart/form-data" \
            and can_create_course(current_user):
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        if limit is not None:
            request.max_content_length = limit + archive_jobs.archive_max_bytes()


@bp.post("/<id:course_id>/archives")
@login_required
def new_export(course_id: int):
    """Ask for the course's archive; its job page follows the export."""
    course = course_service.get_course(current_user, course_id)
    job = archive_jobs.request_export(current_user, course)
    return redirect(url_for("archives.export_job", course_id=course.id, job_id=job.id),
                    303)


@bp.get("/<id:course_id>/archives/<id:job_id>")
@login_required
def export_job(course_id: int, job_id: int):
    course = course_service.get_course(current_user, course_id)
    job = archive_jobs.get_job(current_user, job_id, course)
    return _job_page(job, url_for("archives.export_status", course_id=course.id,
                                  job_id=job.id))


@bp.get("/<id:course_id>/archives/<id:job_id>/status")
@login_required
def export_status(course_id: int, job_id: int):
    course = course_service.get_course(current_user, course_id)
    return _status(archive_jobs.get_job(current_user, job_id, course))


@bp.get("/<id:course_id>/archives/<id:job_id>/file")
@login_required
def export_file(course_id: int, job_id: int):
    course = course_service.get_course(current_user, course_id)
    return kept_file(archive_jobs.job_file(current_user, job_id, course), "application/gzip")


@bp.route("/import", methods=["GET", "POST"])
@login_required
def new_import():
    """Upload a course archive; its job page follows the import."""
    course_service.authorize_create_course(current_user)
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            if not upload:
                raise Invalid({"file": ["Choose a course archive file."]})
            job = archive_jobs.request_import(current_user, upload.stream, upload.filename,
                                              form.code.data)
        except Invalid as error:
            show_errors(form, error)
        else:
            return redirect(url_for("archives.import_job", job_id=job.id), 303)
    return render_template("courses/import.html", form=form,
                           limit=archive_jobs.archive_max_bytes()), status_of(form)


@bp.get("/imports/<id:job_id>")
@login_required
def import_job(job_id: int):
    job = archive_jobs.get_job(current_user, job_id)
    if job.is_export:
        return redirect(url_for("archives.export_job", course_id=job.course_id,
                                job_id=job.id))
    return _job_page(job, url_for("archives.import_status", job_id=job.id))


@bp.get("/imports/<id:job_id>/status")
@login_required
def import_status(job_id: int):
    return _status(archive_jobs.get_job(current_user, job_id))


def _job_page(job, status_url: str):
    response = current_app.make_response(render_template(
        "courses/archive_job.html", job=job, course=job.course, status_url=status_url,
        links=_links(job)))
    response.headers["Cache-Control"] = "no-store"
    return response


def _links(job) -> dict:
    """Where a finished job leads: the export's file, the import's new course."""
    if job.state.value != "done":
        return {}
    if job.is_export:
        return {"file": url_for("archives.export_file", course_id=job.course_id,
                                job_id=job.id)} if job.stored_name else {}
    return {"course": url_for("courses.show", course_id=job.course_id)}


def _status(job):
    """What the job page's script reads to move its bar."""
    response = jsonify(state=job.state.value, percent=job.percent, stage=job.stage,
                       error=job.error, links=_links(job))
    response.headers["Cache-Control"] = "no-store"
    return response
