"""Course archive jobs: an export or import asked for on a page or through the API is
run by the real worker (`flask worker` in its own process, on a SQLite queue), its
progress kept as it goes; only the course's exporters follow and download an export,
only admins import; a broken archive fails its job and imports nothing; a day later the
sweep removes the file."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from forum.extensions import db
from forum.formats.course_archive import canonical
from forum.models import (
    ArchiveJob,
    ArchiveJobKind,
    ArchiveJobState,
    Course,
    Role,
    Visibility,
    utcnow,
)
from forum.services import archive_jobs
from forum.services.course_imports import import_course
from tests.test_course_archives import _counts, _rewrite_members, documents, export, rich

__all__ = ["rich"]  # the fixture, shared with tests/test_course_archives.py
WAIT = 30  # seconds: a worker polls its queue at least twice a second


@pytest.fixture
def queue_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'queue.db'}"


@pytest.fixture
def app_config(tmp_path, queue_url):
    return {"FORUM_UPLOADS_DIR": str(tmp_path / "uploads"), "FORUM_QUEUE_URL": queue_url}


@pytest.fixture
def worker(app, database_url, queue_url, tmp_path) -> Iterator[subprocess.Popen]:
    """`flask worker` on the test's database, queue and uploads."""
    env = {**os.environ, "FORUM_DATABASE_URL": database_url, "FORUM_QUEUE_URL": queue_url,
           "FORUM_UPLOADS_DIR": str(tmp_path / "uploads"), "FORUM_SECRET_KEY": "test-secret"}
    env.pop("FORUM_MAIL_URL", None)
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "forum", "worker"],
                               env=env, stdout=log, stderr=subprocess.STDOUT)
    yield process
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()


def finished(job_id: int) -> ArchiveJob:
    """The job once the worker has finished it (or as it is after WAIT seconds)."""
    deadline = time.monotonic() + WAIT
    while True:
        db.session.rollback()  # see what the worker committed
        job = db.session.get(ArchiveJob, job_id)
        if job.is_finished or time.monotonic() > deadline:
            return job
        time.sleep(0.2)


def job_id_of(location: str) -> int:
    return int(location.rstrip("/").rsplit("/", 1)[-1])


# Through the worker


def test_an_export_from_the_course_page_is_the_commands_archive(rich, worker, login_as,
                                                               app, tmp_path):
    client = login_as(rich.instructor)
    page = client.get(f"/courses/{rich.course.id}").get_data(as_text=True)
    assert "Download the course archive" in page
    asked = client.post(f"/courses/{rich.course.id}/archives")
    assert asked.status_code == 303
    job_page = asked.headers["Location"]
    assert "<progress" in client.get(job_page).get_data(as_text=True)
    job = finished(job_id_of(job_page))
    assert job.state is ArchiveJobState.DONE, job.error
    assert job.steps_done == job.steps_total > 10
    status = client.get(f"{job_page}/status").get_json()
    assert status["state"] == "done" and status["percent"] == 100
    shown = client.get(job_page).get_data(as_text=True)
    assert status["links"]["file"] in shown
    response = client.get(status["links"]["file"])
    assert response.status_code == 200 and response.mimetype == "application/gzip"
    assert response.headers["Cache-Control"] == "no-store"
    assert f"{rich.course.code}-" in response.headers["Content-Disposition"]
    downloaded = tmp_path / "downloaded.tar.gz"
    downloaded.write_bytes(response.get_data())
    response.close()
    command = tmp_path / "command.tar.gz"
    result = app.test_cli_runner().invoke(args=["export-course", rich.course.code,
                                                str(command), "--as", rich.instructor.email])
    assert result.exit_code == 0, result.output
    assert canonical(documents(downloaded, tmp_path)) == canonical(documents(command,
                                                                             tmp_path))


def test_an_import_through_the_api_makes_the_course(rich, worker, api, tmp_path):
    archive = export(rich.admin, rich.course, tmp_path, "good")
    response = _upload(api, rich.admin, archive.read_bytes(), code="EUR-JOB")
    assert response.status_code == 202, response.json
    assert response.json["kind"] == "import" and response.json["state"] == "queued"
    job = finished(job_id_of(response.headers["Location"]))
    assert job.state is ArchiveJobState.DONE, job.error
    copy = db.session.get(Course, job.course_id)
    assert copy.code == "EUR-JOB"
    view = api.get(rich.admin, response.headers["Location"]).json
    assert view["links"]["course"].endswith(f"/api/v1/courses/{copy.id}")
    assert view["progress"]["percent"] == 100 and view["links"]["file"] is None
    again = export(rich.admin, copy, tmp_path, "again")
    before, after = documents(archive, tmp_path), documents(again, tmp_path)
    before["course"].pop("code"), after["course"].pop("code")
    assert canonical(after) == canonical(before)
    assert not list((tmp_path / "uploads" / "archives").glob("*.upload.tar.gz"))


def test_a_broken_archive_fails_its_job_and_imports_nothing(rich, worker, login_as,
                                                           tmp_path):
    good = export(rich.admin, rich.course, tmp_path, "good")
    bad = tmp_path / "bad.tar.gz"
    _rewrite_members(good, bad, lambda name, data: data.replace(
        b"Borders redrawn", b"Borders REDRAWN") if name == "posts.json" else data)
    before = _counts()
    client = login_as(rich.admin)
    asked = client.post("/courses/import", data={
        "file": (io.BytesIO(bad.read_bytes()), "bad.tar.gz"), "code": "EUR-BAD"},
        content_type="multipart/form-data")
    assert asked.status_code == 303
    job = finished(job_id_of(asked.headers["Location"]))
    assert job.state is ArchiveJobState.FAILED
    assert "checksum" in job.error
    assert _counts() == before
    assert db.session.scalar(select(func.count()).select_from(Course).where(
        Course.code == "EUR-BAD")) == 0
    page = client.get(asked.headers["Location"]).get_data(as_text=True)
    assert "checksum" in page and "Open the new course" not in page
    assert job.stored_name is None
    assert not list((tmp_path / "uploads" / "archives").iterdir())


# Progress, the sweep, refusals (run in this process)


def test_progress_is_kept_step_by_step_as_the_export_goes(rich, monkeypatch):
    job = archive_jobs.request_export(rich.instructor, rich.course)
    seen = []
    keep = archive_jobs.Recorder.__call__

    def watched(recorder, line, done=None, total=None):
        keep(recorder, line, done, total)
        with Session(db.engine) as other:  # what another request would read now
            seen.append(other.scalar(select(ArchiveJob.steps_done).where(
                ArchiveJob.id == job.id)))

    monkeypatch.setattr(archive_jobs.Recorder, "__call__", watched)
    assert archive_jobs.run_job(job.id) is ArchiveJobState.DONE
    assert seen == sorted(seen) and len(set(seen)) > 10
    assert archive_jobs.run_job(job.id) is None  # taken: a second run does nothing


def test_an_exports_file_is_removed_by_the_sweep_a_day_later(rich, api):
    job_id = archive_jobs.request_export(rich.instructor, rich.course).id
    archive_jobs.run_job(job_id)
    job = db.session.get(ArchiveJob, job_id)
    path = archive_jobs.jobs_dir() / job.stored_name
    url = f"/api/v1/archive-jobs/{job.id}/file"
    assert path.is_file()
    downloaded = api.get(rich.instructor, url)
    assert downloaded.status_code == 200
    downloaded.close()
    archive_jobs.remove_expired()
    assert path.is_file()  # not yet a day old
    db.session.execute(update(ArchiveJob).where(ArchiveJob.id == job.id).values(
        finished_at=utcnow() - timedelta(hours=25)))
    db.session.commit()
    assert archive_jobs.remove_expired() == 1
    assert not path.exists()
    gone = api.get(rich.instructor, url)
    assert gone.status_code == 404 and "a day" in gone.json["message"]
    assert api.get(rich.instructor, f"/api/v1/archive-jobs/{job.id}").json["links"][
        "file"] is None


def test_a_job_left_unfinished_a_day_fails_in_the_sweep(rich, tmp_path):
    archive = export(rich.admin, rich.course, tmp_path, "good")
    job = archive_jobs.request_import(rich.admin, io.BytesIO(archive.read_bytes()),
                                      "good.tar.gz")
    upload = archive_jobs.jobs_dir() / job.stored_name
    job.created_at = utcnow() - timedelta(hours=25)
    db.session.commit()
    archive_jobs.remove_expired()
    db.session.refresh(job)
    assert job.state is ArchiveJobState.FAILED and "within a day" in job.error
    assert not upload.exists()


def _upload(api, user, data: bytes, code: str | None = None, **headers):
    form = {"file": (io.BytesIO(data), "course.tar.gz")}
    if code:
        form["code"] = code
    secret = api.token_for(user) if user is not None else None
    if secret:
        headers["Authorization"] = f"Bearer {secret}"
    return api.client.post("/api/v1/archive-imports", data=form, headers=headers,
                           content_type="multipart/form-data")


@pytest.mark.parametrize(("data", "said"), [
    (b"", "empty"), (b"PK\x03\x04 a zip file", "not a course archive")])
def test_an_upload_that_is_no_archive_is_refused_at_once(rich, api, data, said):
    response = _upload(api, rich.admin, data)
    assert response.status_code == 422 and said in response.json["errors"]["file"][0]
    assert db.session.scalar(select(func.count()).select_from(ArchiveJob)) == 0


def test_an_upload_past_the_limit_is_refused_and_nothing_kept(rich, api, app, tmp_path):
    app.config["FORUM_ARCHIVE_MAX_BYTES"] = 1000
    response = _upload(api, rich.admin, b"\x1f\x8b" + b"0" * 5000)
    assert response.status_code == 422 and "larger than" in response.json["errors"]["file"][0]
    app.config["MAX_CONTENT_LENGTH"] = 2000
    assert _upload(api, rich.admin, b"\x1f\x8b" + b"0" * 9000).status_code == 413
    assert not list((tmp_path / "uploads" / "archives").iterdir())


@pytest.mark.parametrize("who", ["anonymous", "student", "instructor"])
def test_only_those_who_may_import_may_send_a_large_body(rich, api, app, login_as, who):
    """An archive may be larger than any other request, but only for a caller who may
    import: others are refused at the usual limit, before the body is read."""
    app.config["MAX_CONTENT_LENGTH"] = 2000
    big = b"\x1f\x8b" + b"0" * 9000
    user = None if who == "anonymous" else {"student": rich.student,
                                            "instructor": rich.instructor}[who]
    assert _upload(api, user, big).status_code == 413
    page = login_as(user).post("/courses/import", data={
        "file": (io.BytesIO(big), "course.tar.gz")}, content_type="multipart/form-data")
    # Refused at the usual limit, or (signed in, not an admin) before the form is read.
    assert page.status_code == {"anonymous": 413, "student": 403, "instructor": 403}[who]
    assert db.session.scalar(select(func.count()).select_from(ArchiveJob)) == 0
    app.config["FORUM_ARCHIVE_MAX_BYTES"] = 100_000  # an admin may send it
    assert _upload(api, rich.admin, big).status_code != 413


def test_a_code_in_use_is_refused_before_anything_is_kept(rich, api, tmp_path):
    response = _upload(api, rich.admin, b"\x1f\x8b rest", code=rich.course.code)
    assert response.status_code == 409 and "code" in response.json["errors"]


def test_asking_again_with_the_same_key_gives_the_same_job(rich, api):
    url = f"/api/v1/courses/{rich.course.id}/archives"
    first = api.post(rich.instructor, url, headers={"Idempotency-Key": "export-1"})
    again = api.post(rich.instructor, url, headers={"Idempotency-Key": "export-1"})
    assert first.status_code == again.status_code == 202
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json["id"] == first.json["id"]
    assert first.headers["Location"].endswith(f"/api/v1/archive-jobs/{first.json['id']}")
    assert db.session.scalar(select(func.count()).select_from(ArchiveJob)) == 1


def test_an_export_through_the_api_is_taken_from_its_job(rich, worker, api, tmp_path):
    asked = api.post(rich.instructor, f"/api/v1/courses/{rich.course.id}/archives")
    assert asked.status_code == 202 and asked.json["kind"] == "export"
    job = finished(job_id_of(asked.headers["Location"]))
    assert job.state is ArchiveJobState.DONE, job.error
    view = api.get(rich.instructor, asked.headers["Location"]).json
    response = api.get(rich.instructor, view["links"]["file"])
    assert response.status_code == 200 and response.mimetype == "application/gzip"
    path = tmp_path / "api.tar.gz"
    path.write_bytes(response.get_data())
    response.close()
    report = import_course(rich.admin, path, code="HIST-API")
    assert report.counts["replies"] == 7


def test_no_get_writes_a_course_archive_during_the_request(rich, api):
    # An export takes seconds for a large course: it is had only through a job.
    assert api.get(rich.instructor,
                   f"/api/v1/courses/{rich.course.id}/archive").status_code == 404
    spec = api.get(None, "/api/v1/openapi.json").json
    assert "/api/v1/courses/{course_id}/archive" not in spec["paths"]
    keyed = spec["paths"]["/api/v1/courses/{course_id}/archives"]["post"]
    assert {"$ref": "#/components/parameters/IDEMPOTENCY_KEY"} in keyed["parameters"]


# Who may: every seat, on the pages and through the API

SEATS = ["admin", "instructor", "co_instructor", "other_instructor", "ta", "student",
         "anonymous"]


def seat_table(admin, instructor, co_instructor, other_instructor, ta, student,
               anonymous) -> dict:
    """`co_instructor` teaches the course too, but did not ask for the export: its file
    holds the course as the instructor who asked sees it (their drafts)."""
    return dict(zip(SEATS, [admin, instructor, co_instructor, other_instructor, ta,
                            student, anonymous], strict=True))


@pytest.fixture
def seats(rich, make):
    """The course private again, an instructor of another course, a finished export of
    the course and an import's job."""
    rich.course.visibility = Visibility.PRIVATE
    db.session.commit()
    rich.actors["other_instructor"] = make.member(rich.other_course, Role.INSTRUCTOR,
                                                  "Dr. Elsewhere")
    rich.actors["co_instructor"] = make.member(rich.course, Role.INSTRUCTOR, "Dr. Beside")
    job_id = archive_jobs.request_export(rich.instructor, rich.course).id
    archive_jobs.run_job(job_id)
    rich.export_job = db.session.get(ArchiveJob, job_id)
    rich.import_job = ArchiveJob(kind=ArchiveJobKind.IMPORT, requested_by_id=rich.admin.id,
                                 state=ArchiveJobState.FAILED, error="Broken.")
    db.session.add(rich.import_job)
    db.session.commit()
    return rich


# page or operation: (method, URL, statuses by seat)
WEB = {
    "ask for an export": ("POST", "/courses/{course}/archives",
                          seat_table(303, 303, 303, 404, 403, 403, 302)),
    "export's job page": ("GET", "/courses/{course}/archives/{export_job}",
                          seat_table(200, 200, 404, 404, 403, 403, 302)),
    "export's status": ("GET", "/courses/{course}/archives/{export_job}/status",
                        seat_table(200, 200, 404, 404, 403, 403, 302)),
    "export's file": ("GET", "/courses/{course}/archives/{export_job}/file",
                      seat_table(200, 200, 404, 404, 403, 403, 302)),
    "import page": ("GET", "/courses/import", seat_table(200, 403, 403, 403, 403, 403, 302)),
    "import's job page": ("GET", "/courses/imports/{import_job}",
                          seat_table(200, 404, 404, 404, 404, 404, 302)),
}
API = {
    "createCourseArchive": ("POST", "/api/v1/courses/{course}/archives",
                            seat_table(202, 202, 202, 404, 403, 403, 401)),
    "getArchiveJob (export)": ("GET", "/api/v1/archive-jobs/{export_job}",
                               seat_table(200, 200, 404, 404, 403, 403, 401)),
    "getArchiveJobFile": ("GET", "/api/v1/archive-jobs/{export_job}/file",
                          seat_table(200, 200, 404, 404, 403, 403, 401)),
    "getArchiveJob (import)": ("GET", "/api/v1/archive-jobs/{import_job}",
                               seat_table(200, 404, 404, 404, 404, 404, 401)),
    "getArchiveJobFile (import)": ("GET", "/api/v1/archive-jobs/{import_job}/file",
                                   seat_table(404, 404, 404, 404, 404, 404, 401)),
}


def _url(template: str, w) -> str:
    return template.format(course=w.course.id, export_job=w.export_job.id,
                           import_job=w.import_job.id)


@pytest.mark.parametrize("seat", SEATS)
@pytest.mark.parametrize("door", WEB)
def test_who_may_on_the_pages(seats, login_as, door, seat):
    method, template, expected = WEB[door]
    client = login_as(seats.actors[seat])
    response = client.open(_url(template, seats), method=method)
    response.close()
    assert response.status_code == expected[seat]


@pytest.mark.parametrize("seat", SEATS)
@pytest.mark.parametrize("operation", API)
def test_who_may_through_the_api(seats, api, operation, seat):
    method, template, expected = API[operation]
    response = api.call(seats.actors[seat], method, _url(template, seats),
                        json={} if method == "POST" else None)
    response.close()
    assert response.status_code == expected[seat], response.get_data(as_text=True)[:300]
    if response.status_code >= 400:
        assert set(response.json) == {"code", "status", "message", "errors"}


@pytest.mark.parametrize("seat", SEATS)
def test_only_admins_import_through_the_api(rich, make, api, seat, tmp_path):
    rich.actors["other_instructor"] = make.member(rich.other_course, Role.INSTRUCTOR,
                                                  "Dr. Elsewhere")
    rich.actors["co_instructor"] = make.member(rich.course, Role.INSTRUCTOR, "Dr. Beside")
    response = _upload(api, rich.actors[seat], b"\x1f\x8b not checked yet")
    assert response.status_code == seat_table(202, 403, 403, 403, 403, 403, 401)[seat]


def test_a_job_not_finished_has_no_file_yet(rich, api, login_as):
    job = archive_jobs.request_export(rich.instructor, rich.course)
    response = api.get(rich.instructor, f"/api/v1/archive-jobs/{job.id}/file")
    assert response.status_code == 409 and "not ready yet" in response.json["message"]
    page = login_as(rich.instructor).get(f"/courses/{rich.course.id}/archives/{job.id}")
    text = page.get_data(as_text=True)
    assert 'value="0"' in text and "Refresh" in text and "Download" not in text
    assert page.headers["Cache-Control"] == "no-store"


def test_the_job_status_costs_a_few_statements(rich, login_as, api, count_queries):
    job = archive_jobs.request_export(rich.instructor, rich.course)
    client = login_as(rich.instructor)
    status = f"/courses/{rich.course.id}/archives/{job.id}/status"
    client.get(status)
    api.get(rich.instructor, f"/api/v1/archive-jobs/{job.id}")  # its token's first use
    with count_queries() as page:
        assert client.get(status).status_code == 200
    with count_queries() as read:
        assert api.get(rich.instructor, f"/api/v1/archive-jobs/{job.id}").status_code == 200
    assert page.count <= 4 and read.count <= 5
