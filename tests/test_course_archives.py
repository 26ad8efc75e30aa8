"""Course archives: an export imported elsewhere exports identically; a broken or altered
archive is refused with nothing imported; only instructors and admins export, and an
archive holds nothing its exporter may not see."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
from PIL import Image as PILImage
from sqlalchemy import func, select

from forum.cli_archives import Operator
from forum.errors import NotFound, PermissionDenied
from forum.extensions import db
from forum.formats.course_archive import (
    ArchiveError,
    canonical,
    read_course_archive,
    write_course_archive,
)
from forum.models import (
    Course,
    Enrollment,
    GuestComments,
    Image,
    Post,
    Reply,
    Role,
    User,
    Visibility,
)
from forum.services import grading, moderation, posts, reactions
from forum.services.course_archives import export_course
from forum.services.course_imports import import_course
from forum.services.images import upload_image
from tests.conftest import TEST_DATABASE_URL, _test_config


@pytest.fixture
def app_config(tmp_path):
    return {"FORUM_UPLOADS_DIR": str(tmp_path / "uploads")}


def picture() -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", (12, 8), (200, 40, 90)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def rich(seated, make):
    """The seated world as a public blog, with one of everything a course keeps: an
    edited post with an image and sources, an answered prompt, a held guest comment, a
    flag, likes, an endorsement, grades with their history, a draft only its author
    sees; and another course with its own writing."""
    w = seated
    w.course.visibility = Visibility.PUBLIC
    w.course.guest_comments = GuestComments.MODERATED
    db.session.commit()
    image = upload_image(w.classmate, io.BytesIO(picture()), alt="A map of Europe")
    w.pictured = posts.create_post(
        w.classmate, w.discussion, title="Borders redrawn", body="See the map, @[Ana Lindqvist].",
        sources=[{"citation": "Keynes 1919", "url": "https://example.org/keynes"}],
        images=[{"id": image.id, "alt": "A map of Europe", "credit": "Atlas"}])
    posts.update_post(w.classmate, w.pictured, version=w.pictured.version,
                      title="Borders redrawn", body="See the map again.")
    answer = make.reply(w.post, w.student, parent=w.prompt, body="The reparations.")
    make.reply(w.post, w.classmate, parent=answer, body="Deeper still, @[Ana Lindqvist].")
    w.guest = make.guest_comment(w.post, email="grete@example.org")
    moderation.flag(w.student, w.reply, "Off topic")
    reactions.like(w.student, w.pictured)
    reactions.like(w.instructor, w.reply)
    reactions.endorse(w.instructor, w.reply)
    grading.save_grade(w.instructor, w.discussion, w.classmate.id, version=None, score=5,
                       feedback="Draft thoughts.")
    w.draft = posts.create_post(w.student, w.discussion, title="Unfinished",
                                body="SECRET-DRAFT-TEXT", publish=False)
    other_discussion = make.discussion(w.other_course)
    make.post(other_discussion, w.outsider, title="Elsewhere", body="OTHER-COURSE-TEXT")
    return w


def documents(path: Path, tmp_path: Path) -> dict:
    staging = tmp_path / f"read-{path.stem}"
    staging.mkdir()
    return read_course_archive(path, staging).documents


def export(actor, course, tmp_path: Path, name: str) -> Path:
    target = tmp_path / f"{name}.tar.gz"
    export_course(actor, course, target)
    return target


def test_an_imported_export_exports_identically(rich, tmp_path):
    first = export(rich.admin, rich.course, tmp_path, "first")
    report = import_course(rich.admin, first, code="EUR-COPY")
    copy = db.session.get(Course, report.course.id)
    second = export(rich.admin, copy, tmp_path, "second")

    before, after = documents(first, tmp_path), documents(second, tmp_path)
    assert after["course"].pop("code") == "EUR-COPY"
    before["course"].pop("code")
    assert canonical(after) == canonical(before)
    # It is all there: a thread in its tree, held and deleted items, grades with history.
    assert len(before["posts"]) == 3 and len(before["replies"]) == 7
    assert {r["moderation"] for r in before["replies"]} == {"published", "pending"}
    assert any(r["deleted_at"] for r in before["replies"])
    assert any(p["deleted_at"] for p in before["posts"])
    assert all(g["changes"] for g in before["grades"])
    assert before["images"] and before["revisions"] and before["flags"]
    assert before["likes"] and before["mentions"] and before["annotations"]
    assert before["guests"][0]["email"] == "grete@example.org"
    # New ids, same tree: every reply's path is its parent's and its own.
    new_replies = db.session.scalars(select(Reply).join(Post).join(Post.discussion)
                                     .where(Post.discussion.has(course_id=copy.id))).all()
    assert len(new_replies) == 7
    for reply in new_replies:
        expected = (reply.parent.path if reply.parent else "") + f"{reply.id:010d}"
        assert reply.path == expected
    # The image's file was copied under a new name, byte for byte.
    images = db.session.scalars(select(Image).join(Post).where(
        Post.discussion.has(course_id=copy.id))).all()
    original = db.session.scalars(select(Image).where(Image.post_id == rich.pictured.id)).one()
    uploads = Path(tmp_path / "uploads")
    assert [i.stored_name != original.stored_name for i in images] == [True]
    assert (uploads / images[0].stored_name).read_bytes() == \
        (uploads / original.stored_name).read_bytes()


def test_import_creates_unknown_people_who_cannot_sign_in(rich, tmp_path):
    """Exported by an instructor, people outside the course's list go without their
    address: an import makes each an account of its own that no password opens."""
    from forum.services.accounts import authenticate

    first = export(rich.instructor, rich.course, tmp_path, "first")
    people = documents(first, tmp_path)["people"]
    assert all(p["email"] for p in people if p["role"])
    users_before = db.session.scalar(select(func.count(User.id)))
    report = import_course(rich.admin, first, code="EUR-2")
    assert report.people_matched == len([p for p in people if p["email"]])
    assert db.session.scalar(select(func.count(User.id))) == users_before + len(
        report.people_created)
    for email in report.people_created:
        assert authenticate(email, "") is None
    members = db.session.scalars(select(Enrollment).where(
        Enrollment.course_id == report.course.id)).all()
    assert {(m.user_id, m.role) for m in members} == {
        (e.user_id, e.role) for e in rich.course.enrollments}


def test_a_student_cannot_export_and_an_outsider_is_not_told(rich, tmp_path):
    with pytest.raises(PermissionDenied):
        export_course(rich.student, rich.course, tmp_path / "x.tar.gz")
    with pytest.raises(PermissionDenied):
        export_course(rich.ta, rich.course, tmp_path / "x.tar.gz")
    rich.course.visibility = Visibility.PRIVATE
    db.session.commit()
    with pytest.raises(NotFound):
        export_course(rich.outsider, rich.course, tmp_path / "x.tar.gz")
    assert not (tmp_path / "x.tar.gz").exists()


def test_an_instructors_archive_holds_nothing_they_may_not_see(rich, tmp_path):
    path = export(rich.instructor, rich.course, tmp_path, "instructor")
    raw = b""
    with tarfile.open(path) as archive:
        for member in archive.getmembers():
            raw += archive.extractfile(member).read()
    text = raw.decode("utf-8", "replace")
    assert "Borders redrawn" in text and "grete@example.org" in text
    for secret in ["SECRET-DRAFT-TEXT", "Unfinished", "OTHER-COURSE-TEXT", "Elsewhere",
                   rich.outsider.email, rich.outsider.display_name, rich.admin.email,
                   rich.student.password_hash, "password_hash", "feed_token",
                   "is_admin", "Olga"]:
        assert secret not in text, secret


# Refusals: nothing half-imported


def _repack(source: Path, target: Path, tmp_path: Path, change) -> None:
    """Rewrite an archive with its documents changed and checksums made right again."""
    staging = tmp_path / "repack"
    staging.mkdir()
    read = read_course_archive(source, staging)
    docs = read.documents
    change(docs)
    images = [(record["file"], staging / record["file"]) for record in docs["images"]]
    write_course_archive(target, read.manifest.created_at, docs, images)


def _rewrite_members(source: Path, target: Path, change) -> None:
    with tarfile.open(source) as archive, tarfile.open(target, "w:gz") as out:
        for member in archive.getmembers():
            data = archive.extractfile(member).read()
            data = change(member.name, data)
            if data is None:
                continue
            info = tarfile.TarInfo(member.name)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))


def _counts() -> tuple:
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Course, User, Enrollment, Post, Reply, Image))


def _of_version(version: int):
    """A change to an archive: its manifest says another format version."""
    def change(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["format_version"] = version
        return json.dumps(manifest).encode()
    return change


_bump_version = _of_version(99)


def _alter_a_post(name: str, data: bytes) -> bytes:
    return data.replace(b"Borders redrawn", b"Borders REDRAWN") if name == "posts.json" \
        else data


def _drop_the_image(name: str, data: bytes) -> bytes | None:
    return None if name.startswith("images/") else data


@pytest.mark.parametrize(("change", "said"), [
    (_alter_a_post, "does not match its checksum"),
    (_bump_version, "format version 99"),
    (_drop_the_image, "incomplete"),
])
def test_a_damaged_archive_is_refused_whole(rich, tmp_path, change, said):
    good = export(rich.admin, rich.course, tmp_path, "good")
    bad = tmp_path / "bad.tar.gz"
    _rewrite_members(good, bad, change)
    before = _counts()
    with pytest.raises(ArchiveError, match=said):
        import_course(rich.admin, bad, code="EUR-BAD")
    assert _counts() == before


def test_records_that_do_not_hold_together_import_nothing(rich, tmp_path):
    """Checksums right but a reply's parent missing: found after people, the course and
    posts were written; all of it is rolled back, the copied image file removed."""
    good = export(rich.admin, rich.course, tmp_path, "good")
    bad = tmp_path / "bad.tar.gz"

    def orphan(docs):
        docs["replies"][-1]["parent"] = 999
        docs["people"].append({"id": 99, "display_name": "New Person",
                               "email": "new@example.org", "role": "student",
                               "enrolled_at": docs["people"][0]["enrolled_at"]})

    _repack(good, bad, tmp_path, orphan)
    before = _counts()
    uploads = set((tmp_path / "uploads").iterdir())
    with pytest.raises(ArchiveError, match="Nothing was imported"):
        import_course(rich.admin, bad, code="EUR-BAD")
    assert _counts() == before
    assert set((tmp_path / "uploads").iterdir()) == uploads


def test_only_admins_import_and_a_code_in_use_is_refused(rich, tmp_path):
    good = export(rich.admin, rich.course, tmp_path, "good")
    with pytest.raises(PermissionDenied):
        import_course(rich.instructor, good, code="EUR-3")
    before = _counts()
    with pytest.raises(ArchiveError, match="exists already"):
        import_course(rich.admin, good)
    assert _counts() == before


def test_replies_are_in_the_archive_as_their_tree(rich, tmp_path):
    docs = documents(export(rich.admin, rich.course, tmp_path, "tree"), tmp_path)
    by_id = {r["id"]: r for r in docs["replies"]}
    for reply in docs["replies"]:
        parent = by_id.get(reply["parent"])
        assert reply["path"] == ((parent["path"] if parent else []) + [reply["id"]])
        assert reply["depth"] == len(reply["path"]) - 1
    prompt = next(r for r in docs["replies"] if r["kind"] == "prompt")
    assert prompt["prompt_state"] == "answered"
    assert Role.STUDENT.value in {p["role"] for p in docs["people"]}


def test_the_commands_export_and_import_with_progress(rich, app, tmp_path):
    runner = app.test_cli_runner()
    path = tmp_path / "hist.tar.gz"
    result = runner.invoke(args=["export-course", rich.course.code, str(path)])
    assert result.exit_code == 0, result.output
    assert "Reading" in result.output and "3 posts, 7 replies" in result.output
    result = runner.invoke(args=["import-course", str(path), "--code", "HIST-COPY"])
    assert result.exit_code == 0, result.output
    assert "Imported HIST-COPY" in result.output and "posts: 3" in result.output
    again = runner.invoke(args=["import-course", str(path), "--code", "HIST-COPY"])
    assert again.exit_code == 1 and "exists already" in again.output
    refused = runner.invoke(args=["export-course", rich.course.code, str(path),
                                  "--as", rich.student.email])
    assert refused.exit_code == 1 and "Only the course's instructors" in refused.output


def test_the_course_page_offers_instructors_the_archive(rich, login_as):
    """The page asks for an export (a POST); the worker writes it: tests/test_archive_jobs.py."""
    page = f"/courses/{rich.course.id}"
    label = "Download the course archive"
    assert label in login_as(rich.instructor).get(page).get_data(as_text=True)
    assert label not in login_as(rich.ta).get(page).get_data(as_text=True)
    asked = login_as(rich.instructor).post(f"{page}/archives")
    assert asked.status_code == 303 and f"{page}/archives/" in asked.headers["Location"]
    assert login_as(rich.instructor).get(f"{page}/archive.tar.gz").status_code == 404


@pytest.mark.skipif(bool(TEST_DATABASE_URL),
                    reason="a second, empty database: a SQLite file of the test's own")
def test_an_export_imported_into_an_empty_database_exports_identically(rich, tmp_path):
    """Elsewhere: everyone is new there, made from the archive; the copy's own export
    is the archive's documents."""
    from forum import create_app

    first = export(rich.admin, rich.course, tmp_path, "first")
    before = documents(first, tmp_path)
    elsewhere = create_app(_test_config(f"sqlite:///{tmp_path / 'elsewhere.db'}",
                                        FORUM_UPLOADS_DIR=str(tmp_path / "elsewhere")))
    second = tmp_path / "second.tar.gz"
    with elsewhere.app_context():
        db.create_all()
        report = import_course(Operator(), first)
        assert report.people_matched == 0
        assert len(report.people_created) == len(before["people"])
        export_course(Operator(), db.session.get(Course, report.course.id), second)
        db.session.remove()
        db.engine.dispose()
    assert canonical(documents(second, tmp_path)) == canonical(before)


def test_an_image_without_its_file_is_said_and_nothing_written(rich, tmp_path):
    image = db.session.scalars(select(Image).where(Image.post_id == rich.pictured.id)).one()
    (tmp_path / "uploads" / image.stored_name).unlink()
    with pytest.raises(ArchiveError, match=f"{image.stored_name}.*is missing"):
        export_course(rich.instructor, rich.course, tmp_path / "x.tar.gz")
    assert not list(tmp_path.glob("*.tar.gz*")) and not list(tmp_path.glob(".x.tar.gz*"))


def test_an_image_a_post_shows_in_its_text_follows_it_to_the_new_course(rich, tmp_path,
                                                                        login_as):
    """A WordPress import shows images inside a post's text, at the forum's address of
    each (`/images/<id>/<stored name>`): the archive names the image by its number in the
    archive, and the import writes the new image's address there."""
    image = db.session.scalars(select(Image).where(Image.post_id == rich.pictured.id)).one()
    shown = f"![A map of Europe](/images/{image.id}/{image.stored_name})"
    posts.update_post(rich.classmate, rich.pictured, version=rich.pictured.version,
                      title="Borders redrawn", body=f"The map:\n\n{shown}")
    first = export(rich.admin, rich.course, tmp_path, "first")
    written = next(p for p in documents(first, tmp_path)["posts"]
                   if p["title"] == "Borders redrawn")
    assert written["body"] == "The map:\n\n![A map of Europe](course-archive-image:1)"
    report = import_course(rich.admin, first, code="EUR-COPY")
    copied = db.session.scalars(select(Post).where(
        Post.discussion.has(course_id=report.course.id), Post.title == "Borders redrawn")).one()
    new_image = db.session.scalars(select(Image).where(Image.post_id == copied.id)).one()
    address = f"/images/{new_image.id}/{new_image.stored_name}"
    assert new_image.id != image.id and f"({address})" in copied.body
    assert f'src="{address}"' in copied.body_html
    assert login_as(rich.admin).get(address).status_code == 200
    # Its own export names the image as the first did: the round trip holds.
    second = export(rich.admin, report.course, tmp_path, "second")
    again = next(p for p in documents(second, tmp_path)["posts"]
                 if p["title"] == "Borders redrawn")
    assert again["body"] == written["body"]


def test_an_archive_of_format_version_1_still_imports(rich, tmp_path):
    first = export(rich.admin, rich.course, tmp_path, "first")
    older = tmp_path / "version-1.tar.gz"
    _rewrite_members(first, older, _of_version(1))
    report = import_course(rich.admin, older, code="EUR-V1")
    assert report.counts["posts"] == 3 and report.counts["replies"] == 7
