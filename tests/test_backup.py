"""Backups: `flask --app forum backup FILE` holds the whole forum (database and uploaded
images), and `restore FILE` into an empty database of the same kind gives back the same
forum: every page byte for byte, every table's count. Bad files change nothing.

Runs on SQLite, and on PostgreSQL (real pg_dump and pg_restore) with
FORUM_TEST_DATABASE_URL set: there the restore goes into a second database made here.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image as PILImage
from sqlalchemy import create_engine, inspect, make_url, text

from forum import create_app
from forum.extensions import db
from forum.formats.backup_archive import BackupError
from forum.models import Post, User
from forum.services import dumps
from forum.services import images as image_service
from forum.services import posts as post_service
from tests.conftest import TEST_DATABASE_URL, FreshContextClient, _test_config


@pytest.fixture
def app_config(tmp_path):
    return {"FORUM_UPLOADS_DIR": str(tmp_path / "uploads")}


@pytest.fixture
def empty_url(tmp_path) -> Iterator[str]:
    """A second, empty database of the suite's kind to restore into."""
    if not TEST_DATABASE_URL:
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    url = make_url(TEST_DATABASE_URL)
    name = f"{url.database}_restored"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def restored_app(empty_url, tmp_path) -> Iterator:
    """An app on the empty database, with an uploads folder of its own."""
    app = create_app(_test_config(empty_url, FORUM_UPLOADS_DIR=str(tmp_path / "restored")))
    app.test_client_class = FreshContextClient
    yield app
    with app.app_context():
        db.engine.dispose()


def run_cli(app, *args: str):
    """The real command, in the given app (its own context, so its database); the
    result has stdout and stderr apart."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def row_counts(app) -> dict[str, int]:
    with app.app_context(), db.engine.connect() as connection:
        names = [name for name in inspect(connection).get_table_names()
                 if not name.startswith("sqlite_")]
        return {name: connection.scalar(text(f'SELECT count(*) FROM "{name}"'))  # noqa: S608
                for name in names}


def picture() -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", (16, 10), (30, 120, 200)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def course_with_everything(seated, make):
    """The seated world (posts, replies, a prompt, a released grade, an annotation, a
    deleted post) and a post with an image."""
    upload = image_service.upload_image(seated.classmate, io.BytesIO(picture()))
    seated.image_post = post_service.create_post(
        seated.classmate, seated.discussion, title="The Ruhr, 1923", body="See the map.",
        images=[{"id": upload.id, "alt": "A map of the Ruhr", "credit": "Archive"}])
    seated.image = upload
    make.reply(seated.image_post, seated.student, body="Which archive?")
    db.session.commit()
    return seated


TOKENS = re.compile(rb'(name="csrf_token" value=")[^"]*(")|(name="csrf-token" content=")[^"]*(")')


def without_tokens(body: bytes) -> bytes:
    return TOKENS.sub(lambda m: (m.group(1) or m.group(3)) + b"TOKEN"
                      + (m.group(2) or m.group(4)), body)


def pages_of(app, w, visits: int = 1) -> dict[str, bytes]:
    """Each page as its reader sees it at the last of `visits` visits. On the forum
    backed up, read twice: the first visit writes read marks and marks released grades
    seen, the second shows the steady page; the restored forum must show that at once."""
    image_url = f"/images/{w.image.id}/{w.image.stored_name}"
    seats = {
        "instructor": (w.instructor.get_id(), [
            f"/courses/{w.course.id}", f"/discussions/{w.discussion.id}",
            f"/posts/{w.post.id}", f"/posts/{w.image_post.id}",
            f"/discussions/{w.discussion.id}/grading",
            f"/discussions/{w.discussion.id}/grading/{w.student.id}", image_url]),
        "student": (w.student.get_id(), [
            f"/courses/{w.course.id}", f"/discussions/{w.discussion.id}",
            f"/posts/{w.post.id}", "/grades", image_url]),
    }
    pages = {}
    for seat, (user_id, urls) in seats.items():
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = user_id
            session["_fresh"] = True
        for _visit in range(visits):
            for url in urls:
                response = client.get(url)
                assert response.status_code == 200, (seat, url, response.status_code)
                pages[f"{seat} {url}"] = without_tokens(response.get_data())
    return pages


def test_the_drill_a_restored_forum_is_the_same_forum(app, course_with_everything,
                                                       restored_app, tmp_path):
    w = course_with_everything
    before = pages_of(app, w, visits=2)
    assert b"The Ruhr, 1923" in before[f"instructor /posts/{w.image_post.id}"]
    assert w.image.stored_name.encode() in before[f"instructor /posts/{w.image_post.id}"]
    counts = row_counts(app)
    archive = tmp_path / "forum.tar.gz"

    made = run_cli(app, "backup", str(archive))
    assert made.exit_code == 0, made.output
    assert "1 uploaded image" in made.output
    restored = run_cli(restored_app, "restore", str(archive))
    assert restored.exit_code == 0, restored.output
    assert "every count as in the backup" in restored.output

    assert row_counts(restored_app) == counts
    assert counts["posts"] >= 3 and counts["replies"] >= 3 and counts["grades"] == 1
    assert counts["images"] == 1
    after = pages_of(restored_app, w)
    assert after.keys() == before.keys()
    for page in before:
        assert after[page] == before[page], page
    restored_file = tmp_path / "restored" / w.image.stored_name
    assert restored_file.read_bytes() == (tmp_path / "uploads" / w.image.stored_name
                                          ).read_bytes()


def test_the_manifest_says_what_the_file_holds(app, course_with_everything, tmp_path):
    archive = tmp_path / "forum.tar.gz"
    assert run_cli(app, "backup", str(archive)).exit_code == 0
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())
    kind = "postgresql" if TEST_DATABASE_URL else "sqlite"
    database = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}[kind]
    assert names == ["manifest.json", database,
                     f"uploads/{course_with_everything.image.stored_name}"]
    assert manifest["format"] == "forum-backup" and manifest["format_version"] == 1
    assert manifest["database"]["kind"] == kind
    assert manifest["row_counts"] == row_counts(app)
    assert set(manifest["files"]) == set(names) - {"manifest.json"}
    assert manifest["created_at"].endswith("+00:00")
    assert "alembic_revision" in manifest


def test_a_restore_into_a_database_with_rows_needs_force(app, course_with_everything,
                                                         tmp_path):
    archive = tmp_path / "forum.tar.gz"
    counts = row_counts(app)
    assert run_cli(app, "backup", str(archive)).exit_code == 0
    Post.query.filter_by(id=course_with_everything.post.id).update({"title": "Changed"})
    db.session.commit()

    refused = run_cli(app, "restore", str(archive))
    assert refused.exit_code == 1
    assert "not empty" in refused.stderr and "--force" in refused.stderr
    assert "Traceback" not in refused.output + refused.stderr
    assert db.session.get(Post, course_with_everything.post.id).title == "Changed"
    db.session.commit()

    forced = run_cli(app, "restore", "--force", str(archive))
    assert forced.exit_code == 0, forced.stderr
    assert db.session.get(Post, course_with_everything.post.id).title == "Harsh in tone"
    assert row_counts(app) == counts


def test_a_restore_into_a_fresh_schema_without_rows_needs_no_force(
        app, course_with_everything, restored_app, tmp_path):
    """A database prepared with its (empty) schema counts as empty."""
    archive = tmp_path / "forum.tar.gz"
    assert run_cli(app, "backup", str(archive)).exit_code == 0
    with restored_app.app_context():
        db.create_all()
        db.engine.dispose()
    result = run_cli(restored_app, "restore", str(archive))
    assert result.exit_code == 0, result.stderr
    assert row_counts(restored_app) == row_counts(app)


# Bad files change nothing


def _truncated(archive: Path, target: Path) -> Path:
    target.write_bytes(archive.read_bytes()[: archive.stat().st_size * 2 // 3])
    return target


def _rewritten(archive: Path, target: Path, change) -> Path:
    """The archive with its manifest changed by `change(dict)`."""
    with tarfile.open(archive) as source, tarfile.open(target, "w:gz") as out:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name == "manifest.json":
                manifest = json.loads(data)
                change(manifest)
                data = json.dumps(manifest).encode()
                member.size = len(data)
            out.addfile(member, io.BytesIO(data))
    return target


def _altered_upload(archive: Path, target: Path) -> Path:
    with tarfile.open(archive) as source, tarfile.open(target, "w:gz") as out:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name.startswith("uploads/"):
                data = data[:-1] + bytes([data[-1] ^ 1])
            out.addfile(member, io.BytesIO(data))
    return target


def _other_kind(manifest: dict) -> None:
    other = "sqlite" if TEST_DATABASE_URL else "postgresql"
    dump = manifest["database"]["member"]
    manifest["database"] = {"kind": other, "member": "x"}
    manifest["files"][{"sqlite": "database.sqlite3",
                       "postgresql": "database.pgdump"}[other]] = manifest["files"].pop(dump)


BAD_FILES = {
    "missing": (lambda a, t: t / "nowhere.tar.gz", "no such file"),
    "not an archive": (lambda a, t: (t / "notes.txt").write_text("hello") and t / "notes.txt",
                       "not a backup archive"),
    "empty": (lambda a, t: (t / "empty.tar.gz").write_bytes(b"") or t / "empty.tar.gz",
              "not a backup archive"),
    "truncated": (lambda a, t: _truncated(a, t / "cut.tar.gz"), "truncated"),
    "a tar of something else": (
        lambda a, t: _tar_of(t / "other.tar", {"README": b"hi"}), "does not begin with"),
    "a newer format": (
        lambda a, t: _rewritten(a, t / "v2.tar.gz", lambda m: m.update(format_version=2)),
        "format version 2"),
    "a stranger's manifest": (
        lambda a, t: _rewritten(a, t / "odd.tar.gz", lambda m: m.update(format="other")),
        "not a forum backup"),
    "an unknown schema revision": (
        lambda a, t: _rewritten(a, t / "rev.tar.gz",
                                lambda m: m.update(alembic_revision="9999_future")),
        "does not know"),
    "an altered image": (lambda a, t: _altered_upload(a, t / "altered.tar.gz"), "checksum"),
    "the other kind of database": (
        lambda a, t: _rewritten(a, t / "kind.tar.gz", _other_kind), "same kind only"),
    "a table name that is not one": (
        lambda a, t: _rewritten(a, t / "name.tar.gz",
                                lambda m: m["row_counts"].update({'posts"; --': 1})),
        "not a table name"),
    "a manifest of the wrong shapes": (
        lambda a, t: _rewritten(a, t / "shapes.tar.gz",
                                lambda m: m.update(database={"kind": ["sqlite"]})),
        "does not know"),
    "a table the database lacks": (
        lambda a, t: _rewritten(a, t / "lacks.tar.gz",
                                lambda m: m["row_counts"].update(ghosts=0)),
        "ghosts: 0 expected, -1 found"),
    "counts that do not match": (
        lambda a, t: _rewritten(a, t / "counts.tar.gz",
                                lambda m: m["row_counts"].update(posts=999)),
        "999"),
}


def _tar_of(target: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(target, "w") as out:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))
    return target


@pytest.fixture
def good_archive(app, course_with_everything, tmp_path) -> Path:
    archive = tmp_path / "good.tar.gz"
    assert run_cli(app, "backup", str(archive)).exit_code == 0
    return archive


@pytest.mark.parametrize("case", BAD_FILES)
def test_a_bad_file_is_refused_clearly_and_changes_nothing(case, good_archive, restored_app,
                                                           tmp_path):
    make_file, message = BAD_FILES[case]
    bad = make_file(good_archive, tmp_path)
    result = run_cli(restored_app, "restore", str(bad))
    assert result.exit_code == 1, result.output
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert not (tmp_path / "restored").exists()  # no uploads folder made
    if case in {"counts that do not match", "a table the database lacks"} \
            and TEST_DATABASE_URL:
        # pg_restore's own transaction has ended when the rows can be counted: the
        # database holds the dump, and the message says not to serve it.
        assert "do not serve it" in result.stderr
        return
    if TEST_DATABASE_URL:
        assert row_counts(restored_app) == {}  # not a table made
    else:
        assert not (tmp_path / "restored.db").exists()


def test_the_command_line_has_no_traceback_for_a_missing_file(tmp_path):
    """The real `flask` executable, as an operator runs it."""
    env = {"FORUM_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "FORUM_QUEUE_URL": "none",
           "PATH": str(Path(sys.executable).parent)}
    done = subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "forum",  # noqa: S603
                           "restore", str(tmp_path / "missing.tar.gz")],
                          env=env, capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 1
    assert "no such file" in done.stderr and "Traceback" not in done.stderr


# PostgreSQL's tools


def test_credentials_reach_pg_tools_through_the_environment_only():
    url = make_url("postgresql+psycopg://forum:s3cr%40t@db.example:6432/forum"
                   "?sslmode=require&application_name=backup")
    env = dumps.libpq_environment(url)
    assert env["PGPASSWORD"] == "s3cr@t" and env["PGUSER"] == "forum"
    assert env["PGHOST"] == "db.example" and env["PGPORT"] == "6432"
    assert env["PGDATABASE"] == "forum" and env["PGSSLMODE"] == "require"


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="PostgreSQL run only")
def test_pg_tools_get_no_credentials_on_their_command_line(world, tmp_path, monkeypatch):
    seen = []
    real_run = subprocess.run

    def spy(argv, **kwargs):
        seen.append((argv, kwargs.get("env") or {}))
        return real_run(argv, **kwargs)

    monkeypatch.setattr(dumps.subprocess, "run", spy)
    # The test server trusts loopback, so any password connects; this one is easy to spot.
    password = "Not-On-The-Command-Line-42"
    url = make_url(TEST_DATABASE_URL).set(password=password)
    app = create_app(_test_config(url.render_as_string(hide_password=False)))
    assert run_cli(app, "backup", str(tmp_path / "f.tar.gz")).exit_code == 0
    assert run_cli(app, "restore", "--force", str(tmp_path / "f.tar.gz")).exit_code == 0
    assert [Path(argv[0]).name for argv, _env in seen] == ["pg_dump", "pg_restore"]
    for argv, env in seen:
        line = " ".join(argv)
        assert password not in line and "://" not in line and "--password" not in line
        assert env["PGPASSWORD"] == password and env["PGUSER"] == url.username


def test_missing_pg_tools_are_named(app, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BackupError, match=r"pg_dump was not found on PATH\..*postgresql-client"):
        dumps.find_tool("pg_dump")


# Safe while the forum writes


def test_a_backup_while_the_forum_writes_is_consistent(app, course_with_everything,
                                                       restored_app, tmp_path):
    """A writer keeps adding replies during the backup: the file's counts are those of
    one moment, and the restore finds exactly them."""
    stop = threading.Event()
    written = []

    def writer():
        engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
        number = 0
        while not stop.is_set():
            number += 1
            with engine.begin() as connection:
                connection.execute(User.__table__.insert().values(
                    email=f"writer{number}@example.edu", display_name=f"Writer {number}",
                    password_hash="x"))
            written.append(number)
        engine.dispose()

    thread = threading.Thread(target=writer)
    thread.start()
    while not written:
        stop.wait(0.001)
    try:
        users_before = row_counts(app)["users"]
        result = run_cli(app, "backup", str(tmp_path / "busy.tar.gz"))
        users_after = row_counts(app)["users"]
    finally:
        stop.set()
        thread.join()
    assert result.exit_code == 0, result.stderr
    with tarfile.open(tmp_path / "busy.tar.gz") as tar:
        counted = json.loads(tar.extractfile("manifest.json").read())["row_counts"]
    assert users_before <= counted["users"] <= users_after
    restored = run_cli(restored_app, "restore", str(tmp_path / "busy.tar.gz"))
    assert restored.exit_code == 0, restored.stderr  # it checks every count of the file


def test_a_backup_that_cannot_be_made_says_why_in_one_line(app, tmp_path):
    result = run_cli(app, "backup", str(tmp_path / "no" / "such" / "folder.tar.gz"))
    assert result.exit_code == 1 and "no such folder" in result.stderr

    if TEST_DATABASE_URL:
        unreachable = make_url(TEST_DATABASE_URL).set(host="127.0.0.1", port=9)
        url, message = unreachable.render_as_string(hide_password=False), "could not be used"
    else:
        url, message = f"sqlite:///{tmp_path / 'gone.db'}", "does not exist"
    elsewhere = create_app(_test_config(url))
    result = run_cli(elsewhere, "backup", str(tmp_path / "f.tar.gz"))
    assert result.exit_code == 1 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "f.tar.gz").exists()
    with elsewhere.app_context():
        db.engine.dispose()


def test_uploads_of_the_same_name_with_other_contents_need_force(good_archive, restored_app,
                                                                 course_with_everything,
                                                                 tmp_path):
    stored = course_with_everything.image.stored_name
    (tmp_path / "restored").mkdir()
    (tmp_path / "restored" / stored).write_bytes(b"another file")

    refused = run_cli(restored_app, "restore", str(good_archive))
    assert refused.exit_code == 1 and "other contents" in refused.stderr
    assert (tmp_path / "restored" / stored).read_bytes() == b"another file"

    forced = run_cli(restored_app, "restore", "--force", str(good_archive))
    assert forced.exit_code == 0, forced.stderr
    assert (tmp_path / "restored" / stored).read_bytes() == \
        (tmp_path / "uploads" / stored).read_bytes()


def test_a_backup_of_an_older_schema_says_to_upgrade(app, world, restored_app, tmp_path):
    with db.engine.begin() as connection:
        connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) "
                                "NOT NULL PRIMARY KEY)"))
        connection.execute(text("INSERT INTO alembic_version VALUES ('0010')"))
    try:
        assert run_cli(app, "backup", str(tmp_path / "old.tar.gz")).exit_code == 0
    finally:
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE alembic_version"))
    result = run_cli(restored_app, "restore", str(tmp_path / "old.tar.gz"))
    assert result.exit_code == 0, result.stderr
    assert "revision 0010, older than" in result.output and "db upgrade" in result.output
    assert row_counts(restored_app)["alembic_version"] == 1
