"""Course archive jobs: an export or an import asked for by a page or the API, run by
the worker, its progress kept on its row for the job page and the API to show
(docs/archives.md). The files live in the archives folder of the uploads storage, which
every host shares; an export's is removed a day after it was made.
"""

from __future__ import annotations

import logging
import os
import secrets
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session
from werkzeug.utils import secure_filename

from forum.access import (
    Actor,
    can_create_course,
    can_export_course,
    can_see_archive_job,
    can_view_course,
)
from forum.errors import Conflict, ForumError, Invalid, NotFound, PermissionDenied
from forum.extensions import db
from forum.models import ArchiveJob, ArchiveJobKind, ArchiveJobState, Course, utcnow
from forum.models.archive_jobs import STAGE_MAX
from forum.models.limits import COURSE_CODE_MAX
from forum.services import events
from forum.services.course_archives import export_course
from forum.services.images import uploads_dir
from forum.services.validation import clean_text, collecting_errors
from forum.transactions import READ, WRITE, current_unit, unit_of_work, writes

log = logging.getLogger(__name__)

KEPT_FOR = timedelta(hours=24)  # an export's file, after it was made
RECORD_EVERY = 1.0  # seconds between two records of a line without a step
GZIP_MAGIC = b"\x1f\x8b"
UNFINISHED = (ArchiveJobState.QUEUED, ArchiveJobState.RUNNING)
UNEXPECTED = ("The job stopped on an unexpected error and nothing was kept; try again, "
              "or ask an administrator to read the worker's log.")


def jobs_dir() -> Path:
    """Where the jobs' files are: a folder of the uploads storage (shared by all hosts)."""
    return uploads_dir() / "archives"


def archive_max_bytes() -> int:
    """The largest archive an import takes (FORUM_ARCHIVE_MAX_BYTES)."""
    return current_app.config["FORUM_ARCHIVE_MAX_BYTES"]


# Asking


@writes
def request_export(actor: Actor, course: Course) -> ArchiveJob:
    """Queue an export of the course for the actor (the worker writes it), or give back
    the one they asked for that is not finished yet. Raises NotFound, PermissionDenied."""
    if not can_view_course(actor, course):
        raise NotFound("No such course.")
    if not can_export_course(actor, course):
        raise PermissionDenied("Only the course's instructors export it.")
    job = db.session.scalar(select(ArchiveJob).where(
        ArchiveJob.kind == ArchiveJobKind.EXPORT, ArchiveJob.course_id == course.id,
        ArchiveJob.requested_by_id == actor.id, ArchiveJob.state.in_(UNFINISHED)))
    if job is None:
        job = ArchiveJob(kind=ArchiveJobKind.EXPORT, course_id=course.id,
                         requested_by_id=actor.id)
        db.session.add(job)
        events.worker_needed()
    db.session.commit()
    return job


@writes
def request_import(actor: Actor, upload: BinaryIO, filename: str | None,
                   code: str | None = None) -> ArchiveJob:
    """Keep an uploaded course archive and queue its import, as a new course under `code`
    (else the archive's). Raises PermissionDenied (may not create courses), Invalid
    (fields file, code: empty, too large, not a .tar.gz; a code in use)."""
    if not can_create_course(actor):
        raise PermissionDenied("Only admins import courses.")
    with collecting_errors() as errors:
        code = clean_text(errors, "code", code, max_length=COURSE_CODE_MAX,
                          required=False, label="Code") or None
        if code and db.session.scalar(select(Course.id).where(Course.code == code)):
            errors.add_conflict("code", "Another course already uses this code.")
    stored, size = _keep_upload(upload)
    job = ArchiveJob(kind=ArchiveJobKind.IMPORT, requested_by_id=actor.id, code=code,
                     stored_name=stored, file_size=size,
                     file_name=(secure_filename(filename or "") or "course.tar.gz")[:255])
    db.session.add(job)
    events.worker_needed()
    try:
        db.session.commit()
    except BaseException:
        db.session.rollback()
        (jobs_dir() / stored).unlink(missing_ok=True)
        raise
    return job


def _keep_upload(upload: BinaryIO) -> tuple[str, int]:
    """Copy the upload into the jobs' folder under a new name (whole, or not at all);
    returns the name and size. Raises Invalid (field file)."""
    limit = archive_max_bytes()
    folder = jobs_dir()
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        size = _copy(upload, handle, limit)
        name = f"{secrets.token_hex(16)}.upload.tar.gz"
        os.replace(temporary, folder / name)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return name, size


def _copy(upload: BinaryIO, handle: int, limit: int) -> int:
    size, first = 0, b""
    with os.fdopen(handle, "wb") as out:
        while block := upload.read(1024 * 1024):
            first = first or block[:2]
            size += len(block)
            if size > limit:
                raise Invalid({"file": [f"The archive is larger than "
                                        f"{limit / (1024 * 1024):.0f} MB."]})
            out.write(block)
    if size == 0:
        raise Invalid({"file": ["Choose a course archive file; this one is empty."]})
    if first != GZIP_MAGIC:
        raise Invalid({"file": ["This is not a course archive (a .tar.gz file made by "
                                "an export)."]})
    return size


# Reading


def get_job(actor: Actor, job_id: int, course: Course | None = None) -> ArchiveJob:
    """A job the actor may follow; with `course`, one of that course's exports. Raises
    NotFound (no such job, or one the actor may not know of), PermissionDenied (an
    export of a course the actor sees but may not export)."""
    job = db.session.get(ArchiveJob, job_id)
    if job is None or (course is not None and (not job.is_export
                                               or job.course_id != course.id)):
        raise NotFound("No such archive job.")
    if job.is_export and not can_view_course(actor, job.course):
        raise NotFound("No such archive job.")
    if not can_see_archive_job(actor, job):
        if not job.is_export or can_export_course(actor, job.course):
            raise NotFound("No such archive job.")  # another instructor's: not told
        raise PermissionDenied("Only the course's instructors follow its exports.")
    return job


@dataclass
class KeptFile:
    """A job's file, opened for one download (removing it meanwhile cuts nothing short)."""

    handle: BinaryIO
    name: str  # the file name to offer
    size: int


def job_file(actor: Actor, job_id: int, course: Course | None = None) -> KeptFile:
    """The file of a finished export, opened. Raises what get_job raises, Conflict (not
    done yet, or failed), NotFound (an import's job, or the file was removed after a
    day)."""
    job = get_job(actor, job_id, course)
    if not job.is_export:
        raise NotFound("An import makes a course, not a file.")
    if job.state is not ArchiveJobState.DONE:
        raise Conflict("The archive is not ready: the export failed." if job.state
                       is ArchiveJobState.FAILED else
                       f"The archive is not ready yet ({job.state.value}, "
                       f"{job.percent}%): ask again when the job is done.")
    try:
        handle = (jobs_dir() / (job.stored_name or "")).open("rb")
    except (FileNotFoundError, IsADirectoryError) as error:
        raise NotFound("This archive was removed a day after it was made: export the "
                       "course again.") from error
    return KeptFile(handle, job.file_name or "course.tar.gz", os.fstat(handle.fileno()).st_size)


def queued_jobs() -> list[int]:
    """The ids of the jobs waiting for a worker, oldest first."""
    return list(db.session.scalars(select(ArchiveJob.id).where(
        ArchiveJob.state == ArchiveJobState.QUEUED).order_by(ArchiveJob.id)))


# Running (the worker)


def run_job(job_id: int) -> ArchiveJobState | None:
    """Run a queued job to its end: claim it, export or import, and keep the outcome on
    its row. None when another worker has it, or it is gone."""
    if not _claim(job_id):
        return None
    job = db.session.get(ArchiveJob, job_id)
    upload = jobs_dir() / job.stored_name if not job.is_export and job.stored_name else None
    db.session.rollback()  # reads nothing more in this transaction
    try:
        if upload is None:
            _export(job_id)
        else:
            _import(job_id, upload)
    except ForumError as error:
        db.session.rollback()
        _fail(job_id, error.message)
    except Exception:
        log.exception("archive job %s", job_id)
        db.session.rollback()
        _fail(job_id, UNEXPECTED)
    finally:
        if upload is not None:
            upload.unlink(missing_ok=True)
    return db.session.scalar(select(ArchiveJob.state).where(ArchiveJob.id == job_id))


@writes
def _claim(job_id: int) -> bool:
    claimed = db.session.execute(update(ArchiveJob).where(
        ArchiveJob.id == job_id, ArchiveJob.state == ArchiveJobState.QUEUED).values(
        state=ArchiveJobState.RUNNING, started_at=utcnow(), stage="Starting"))
    db.session.commit()
    return claimed.rowcount == 1


def _export(job_id: int) -> None:
    """Write the archive as its requester may see the course now, then keep it."""
    folder = jobs_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stored = f"{secrets.token_hex(16)}.tar.gz"
    try:
        with unit_of_work(READ):
            job = db.session.get(ArchiveJob, job_id)
            course = job.course
            report = export_course(job.requested_by, course, folder / stored,
                                   progress=Recorder(job_id))
            stamp = datetime.now(UTC).strftime("%Y%m%d")
            name = f"{secure_filename(course.code) or 'course'}-{stamp}.tar.gz"
        db.session.rollback()  # ends the read (and its connection's autocommit)
        _finish(job_id, stage="Ready to download", stored_name=stored, file_name=name,
                file_size=report.size)
    except BaseException:
        (folder / stored).unlink(missing_ok=True)
        raise


def _import(job_id: int, upload: Path) -> None:
    """Make the course; the job is done in the import's own commit."""
    from forum.services.course_imports import import_course

    job = db.session.get(ArchiveJob, job_id)
    actor, code = job.requested_by, job.code
    db.session.rollback()

    def done(course: Course) -> None:
        db.session.execute(update(ArchiveJob).where(ArchiveJob.id == job_id).values(
            **_finished(stage=f"Imported as {course.code}", course_id=course.id,
                        stored_name=None)))

    import_course(actor, upload, code=code, progress=Recorder(job_id), before_commit=done)


def _finished(**values) -> dict:
    return {"state": ArchiveJobState.DONE, "finished_at": utcnow(),
            "steps_done": ArchiveJob.steps_total, **values}


@writes
def _finish(job_id: int, **values) -> None:
    db.session.execute(update(ArchiveJob).where(ArchiveJob.id == job_id)
                       .values(**_finished(**values)))
    db.session.commit()


@writes
def _fail(job_id: int, message: str) -> None:
    db.session.execute(update(ArchiveJob).where(ArchiveJob.id == job_id).values(
        state=ArchiveJobState.FAILED, error=message, finished_at=utcnow(),
        stored_name=None, stage="Failed"))
    db.session.commit()


class Recorder:
    """Keeps a running job's progress on its row, each time in a short transaction on a
    connection of its own, never in the export's snapshot nor the import's unit. Steps
    are kept as they come, the lines between them at most every RECORD_EVERY seconds.
    SQLite has one writer: while this thread's import holds the lock, nothing can be
    kept, and the page shows the last step kept before it."""

    def __init__(self, job_id: int):
        self.job_id, self.kept_at = job_id, 0.0

    def __call__(self, line: str, done: int | None = None, total: int | None = None
                 ) -> None:
        now = time.monotonic()
        if (done is None and now - self.kept_at < RECORD_EVERY) or _holds_sqlite_lock():
            return
        values: dict = {"stage": line.strip()[:STAGE_MAX]}
        if done is not None:
            values.update(steps_done=done, steps_total=total)
        with Session(db.engine) as session, session.begin():
            session.execute(update(ArchiveJob).where(ArchiveJob.id == self.job_id)
                            .values(**values))
        self.kept_at = now


def _holds_sqlite_lock() -> bool:
    unit = current_unit()
    return (db.engine.dialect.name == "sqlite" and unit is not None
            and unit.kind == WRITE and unit.locked)


# Cleaning (the worker's sweep)


@writes
def remove_expired() -> int:
    """Remove the files of exports made more than a day ago, and fail the jobs not
    finished a day after they were asked for (their worker stopped); returns how many
    jobs were changed. Files of interrupted writes and uploads older than a day go too."""
    cutoff = utcnow() - KEPT_FOR
    jobs = db.session.scalars(select(ArchiveJob).where(or_(
        ArchiveJob.stored_name.is_not(None) & (ArchiveJob.finished_at < cutoff),
        ArchiveJob.state.in_(UNFINISHED) & (ArchiveJob.created_at < cutoff)))).all()
    names = [job.stored_name for job in jobs if job.stored_name]
    for job in jobs:
        job.stored_name = None
        if not job.is_finished:
            job.state, job.finished_at, job.stage = ArchiveJobState.FAILED, utcnow(), "Failed"
            job.error = "The job did not finish within a day (its worker stopped)."
    db.session.commit()
    for name in names:
        (jobs_dir() / name).unlink(missing_ok=True)
    _remove_strays(cutoff)
    return len(jobs)


def _remove_strays(cutoff: datetime) -> None:
    """Half-written files a stopped worker or request left (their names begin with a
    dot), once a day old."""
    for path in jobs_dir().glob(".*") if jobs_dir().is_dir() else []:
        if datetime.fromtimestamp(path.stat().st_mtime, UTC) < cutoff:
            path.unlink(missing_ok=True)


__all__ = ["KEPT_FOR", "KeptFile", "Recorder", "archive_max_bytes", "get_job", "job_file",
           "jobs_dir", "queued_jobs", "remove_expired", "request_export",
           "request_import", "run_job"]
