"""Course imports: a course archive made into a new course (new ids, same tree, same
times), all or nothing; the export and the documents' columns are
forum/services/course_archives.py, the format forum/formats/course_archive.py, what an
import does with people and refusals docs/archives.md. Every stored HTML is rendered
again from its source.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import Table, func, insert, select
from sqlalchemy.exc import StatementError

from forum.access import Actor, can_create_course
from forum.errors import PermissionDenied
from forum.extensions import db
from forum.formats.course_archive import (
    TEXTS_WITH_IMAGES,
    ArchiveError,
    ReadArchive,
    local_image_links,
    read_course_archive,
)
from forum.models import (
    Course,
    Enrollment,
    GradeChange,
    GuestComments,
    Image,
    PostSource,
    Role,
    User,
    Visibility,
)
from forum.models.replies import path_segment
from forum.services import mentions
from forum.services.course_archives import (
    COURSE_FIELDS,
    SPECS,
    TIMES,
    Progress,
    Steps,
    _quiet,
)
from forum.services.images import FORMATS, _signature, _store, uploads_dir
from forum.services.markup import mention_names, render_markdown
from forum.transactions import writes

# A password hash no password matches (werkzeug reads no method from it): an account an
# import creates cannot sign in: the forum has no way yet to give it a password.
UNUSABLE_HASH = "!archived"
# The address of a person the exporter could not see the email of: the reserved .invalid
# domain never receives mail, and each such account is its own.
WITHHELD_DOMAIN = "archive.invalid"
# The documents written one after another, each a step of an import's progress.
WRITTEN = ["discussions", "posts", "guests", "replies", "revisions", "annotations",
           "grades", "flags", "spam_checks", "moderation_log", "likes", "mentions"]
# Checking the file, the course and its people, each document, the images, the commit.
IMPORT_STEPS = len(WRITTEN) + 4


@dataclass
class ImportReport:
    course: Course
    counts: dict[str, int]
    people_matched: int = 0
    people_created: list[str] = field(default_factory=list)


def import_course(actor: Actor, file: Path, *, code: str | None = None,
                  progress: Progress | None = None,
                  before_commit: Callable[[Course], None] | None = None) -> ImportReport:
    """Make a new course from the archive `file` (under `code`, else the archive's),
    matching people to accounts by email and creating the others without a usable
    password; everything in one commit, with whatever `before_commit(course)` adds to
    it. The file is read and checked first, outside the write unit. Raises
    PermissionDenied (not an admin) and ArchiveError, having imported nothing, for an
    archive that is damaged, altered, of a format version this forum does not read, or
    inconsistent, or a code in use."""
    if not can_create_course(actor):
        raise PermissionDenied("Only admins import courses.")
    progress = progress or _quiet
    steps = Steps(progress, IMPORT_STEPS)
    steps.start(f"Checking {file.name}…")
    with tempfile.TemporaryDirectory(prefix="forum-course-import-") as work:
        archive = read_course_archive(file.expanduser(), Path(work), progress)
        steps(f"Checked: {sum(archive.manifest.counts.values()):,} records")
        return _write_course(archive, code, steps, before_commit or (lambda _course: None))


@writes
def _write_course(archive: ReadArchive, code: str | None, steps: Steps,
                  before_commit: Callable[[Course], None]) -> ImportReport:
    """The import's write unit: all of it, or nothing and no image file left."""
    written: list[Path] = []
    try:
        report = _import(archive, code, steps, written)
        steps("Saving the course…")  # the last told: before_commit may lock the job's row
        before_commit(report.course)
        db.session.commit()
    except BaseException as error:
        db.session.rollback()
        for path in written:
            path.unlink(missing_ok=True)
        if isinstance(error, StatementError | KeyError | ValueError | TypeError
                      | LookupError | AttributeError):
            raise ArchiveError(f"The archive's records do not hold together "
                               f"({type(error).__name__}: {str(error)[:200]}). Nothing "
                               "was imported.") from error
        raise
    return report


def _import(archive: ReadArchive, code: str | None, step: Steps,
            written: list[Path]) -> ImportReport:
    docs = archive.documents
    code = code or docs["course"]["code"]
    if db.session.scalar(select(Course.id).where(Course.code == code)) is not None:
        raise ArchiveError(f"A course with the code {code!r} exists already: import under "
                           "another code (--code). Nothing was imported.")
    fields = {name: _parsed(name, docs["course"][name]) for name in COURSE_FIELDS}
    course = Course(**{**fields, "code": code, "visibility": Visibility(fields["visibility"]),
                       "guest_comments": GuestComments(fields["guest_comments"])})
    db.session.add(course)
    db.session.flush()
    report = ImportReport(course, {})
    new: dict[str, dict[int, int]] = {"people": _import_people(docs["people"], course,
                                                               report)}
    db.session.flush()
    step(f"  course {code} and {len(docs['people'])} people")

    def html(body: str) -> str:
        return mentions.render(course, body) if mention_names(body) else \
            render_markdown(body)

    # The images' ids and files first: a post's text may show them at their address.
    new["images"] = dict(zip([r["id"] for r in docs["images"]],
                             _reserve_ids(Image.__table__, len(docs["images"])), strict=True))
    stored = {r["id"]: _store_image(archive, r, written) for r in docs["images"]}
    addresses = {number: f"/images/{new['images'][number]}/{name}"
                 for number, name in stored.items()}
    for name in WRITTEN:
        records = docs[name]
        table = SPECS[name][0].__table__
        # Ids are taken first, in the archive's order, so that rows naming rows of their
        # own kind (a reply's parent) and a reply's path are written with the row.
        new[name] = dict(zip([r["id"] for r in records],
                             _reserve_ids(table, len(records)), strict=True))
        rows = [_row(name, record, new) for record in records]
        for row, record in zip(rows, records, strict=True):
            if name in TEXTS_WITH_IMAGES:
                row["body"] = local_image_links(row["body"], addresses)
            if name == "discussions":
                row.update(course_id=course.id, prompt_html=render_markdown(row["prompt"]))
            elif name in ("posts", "replies", "annotations"):
                row["body_html"] = html(row["body"])
            elif name == "grades":
                row["feedback_html"] = render_markdown(row["feedback"])
            elif name == "guests" and record["email"] is None:
                row.update(email="", website=None, ip_address="")
            elif name == "moderation_log":
                row["course_id"] = course.id
        if name == "replies":
            _place_replies(records, rows, new)
        if rows:
            db.session.execute(insert(table), rows)
        if name == "posts":
            _import_sources(records, new)
        elif name == "grades":
            _import_changes(records, new)
        step(f"  {name}: {len(records)}")
    rows = []
    for record in docs["images"]:
        row = _row("images", record, new)
        row["stored_name"] = stored[record["id"]]
        rows.append(row)
    if rows:
        db.session.execute(insert(Image.__table__), rows)
    step(f"  images: {len(docs['images'])}")
    report.counts = {name: len(value) for name, value in new.items()}
    return report


def _import_people(records: list[dict], course: Course, report: ImportReport
                   ) -> dict[int, int]:
    from forum.services.accounts import find_user_by_email

    ids = {}
    for record in records:
        email = record["email"]
        user = find_user_by_email(email) if email else None
        if user is None:
            user = User(email=email or f"{secrets.token_hex(8)}@{WITHHELD_DOMAIN}",
                        display_name=str(record["display_name"]), password_hash=UNUSABLE_HASH)
            db.session.add(user)
            db.session.flush()
            report.people_created.append(user.email)
        else:
            report.people_matched += 1
        ids[record["id"]] = user.id
        if record["role"] is not None:
            db.session.add(Enrollment(user_id=user.id, course_id=course.id,
                                      role=Role(record["role"]),
                                      created_at=_parsed("enrolled_at",
                                                         record["enrolled_at"])))
    return ids


def _parsed(name: str, value):
    if name in TIMES and value is not None:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError(f"{name} {value!r} has no time zone")
        return moment
    return value


def _row(name: str, record: dict, new: dict) -> dict:
    _model, fields, refs = SPECS[name]
    row = {column: _parsed(column, record[column]) for column in fields}
    for column, document in refs.items():
        target = record[column.removesuffix("_id")]
        row[column] = None if target is None else new[document][target]
    if name in new:  # a grade's changes take the database's ids
        row["id"] = new[name][record["id"]]
    return row


def _reserve_ids(table: Table, count: int) -> list[int]:
    """`count` new ids for the table's rows, ascending (so the rows keep the archive's
    order). PostgreSQL: from the id's sequence. SQLite: past the largest, which cannot
    change under the write unit's lock (BEGIN IMMEDIATE)."""
    if count == 0:
        return []
    if db.engine.dialect.name == "postgresql":
        return sorted(db.session.scalars(
            select(func.nextval(func.pg_get_serial_sequence(table.name, "id")))
            .select_from(func.generate_series(1, count))))
    largest = db.session.scalar(select(func.coalesce(func.max(table.c.id), 0)))
    return list(range(largest + 1, largest + count + 1))


def _import_sources(records: list[dict], new: dict) -> None:
    rows = [{"post_id": new["posts"][record["id"]], "position": position,
             "citation": source["citation"], "url": source["url"]}
            for record in records
            for position, source in enumerate(record["sources"])]
    if rows:
        db.session.execute(insert(PostSource.__table__), rows)


def _place_replies(records: list[dict], rows: list[dict], new: dict) -> None:
    """Each reply's materialized path, from the new ids; the archive's path must be its
    parent's and its own, its parent an earlier reply."""
    ids = new["replies"]
    paths: dict[int, list[int]] = {}
    for record, row in zip(records, rows, strict=True):
        parent = record["parent"]
        path = (paths[parent] if parent else []) + [record["id"]]
        if record["path"] != path or record["depth"] != len(path) - 1:
            raise ValueError(f"reply {record['id']}'s path {record['path']} is not its "
                             "parent's and its own")
        paths[record["id"]] = path
        row["path"] = "".join(path_segment(ids[n]) for n in path)


def _import_changes(records: list[dict], new: dict) -> None:
    rows = []
    for record in records:
        for change in record["changes"]:
            rows.append(_row("grade_changes", {**change, "grade": record["id"]}, new))
    if rows:
        db.session.execute(insert(GradeChange.__table__), rows)


def _store_image(archive: ReadArchive, record: dict, written: list[Path]) -> str:
    """Write the image's file under a new name; its bytes must be the type it says."""
    member = record["file"]
    if member not in archive.manifest.files:
        raise ArchiveError(f"Image {record['id']} names {member!r}, which the archive "
                           "does not hold. Nothing was imported.")
    data = (archive.folder / member).read_bytes()
    fmt = _signature(data)
    if fmt is None or FORMATS[fmt][0] != record["content_type"]:
        raise ArchiveError(f"{member} in the archive is not the {record['content_type']} "
                           "image its record says. Nothing was imported.")
    name = _store(data, FORMATS[fmt][1])
    written.append(uploads_dir() / name)
    return name


__all__ = ["IMPORT_STEPS", "ImportReport", "import_course"]
