"""Course archives: export one course's whole record, as its exporter may see it (the
import is forum/services/course_imports.py).

The file's format is forum/formats/course_archive.py; what goes in and what stays out,
table by table, is docs/archives.md. Every row taken is chosen by the access scopes of
the exporter. SPECS says, for both directions, which columns each document carries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from forum.access import (
    Actor,
    can_export_course,
    can_manage_accounts,
    can_see_guest_details,
    can_see_member_emails,
    can_view_course,
    visible_annotations,
    visible_discussions,
    visible_enrollments,
    visible_grades,
    visible_posts,
    visible_replies_in,
)
from forum.errors import NotFound, PermissionDenied
from forum.extensions import db
from forum.formats.course_archive import (
    TEXTS_WITH_IMAGES,
    ArchiveError,
    archive_image_links,
    write_course_archive,
)
from forum.models import (
    Annotation,
    Course,
    Discussion,
    Enrollment,
    Flag,
    Grade,
    GradeChange,
    Guest,
    Image,
    Like,
    Mention,
    ModerationEntry,
    Post,
    PostSource,
    Reply,
    Revision,
    SpamCheck,
    User,
)
from forum.models.replies import path_ids
from forum.services.images import FORMATS, uploads_dir

# Told as the work goes: a line saying what is being done and, at each step of the
# work, how many of how many steps are done: progress(line, done, total). Lines between
# steps (images written, members checked) come without the counts.
Progress = Callable[..., None]
ANNOTATION_CHUNK = 200  # SQLite parses a chain of ORs as deep as it is long

# Per document: its model, the columns copied as they are, and the columns naming
# another record (column → the document it names). Ids never leave the database.
SPECS: dict[str, tuple[type, list[str], dict[str, str]]] = {
    "discussions": (Discussion, [
        "title", "prompt", "opens_at", "due_at", "locks_at", "points_possible",
        "closed_at", "rubric", "min_posts", "min_peer_replies", "require_prompt_answers",
        "allow_extra_credit", "visibility", "guest_comments", "reveal", "anonymity",
        "likes", "created_at", "updated_at", "version"],
        {"created_by_id": "people"}),
    "posts": (Post, [
        "title", "body", "word_count", "status", "created_at", "published_at",
        "edited_at", "version", "locked_at", "pinned_at", "reply_seq", "deleted_at",
        "moderation", "moderation_reason", "moderated_at", "endorsed_at", "like_count",
        "anonymous"],
        {"discussion_id": "discussions", "author_id": "people", "deleted_by_id": "people",
         "endorsed_by_id": "people"}),
    "images": (Image, [
        "position", "content_type", "width", "height", "byte_size", "alt", "credit",
        "credit_url", "created_at"],
        {"post_id": "posts", "uploader_id": "people"}),
    "guests": (Guest, ["name", "email", "website", "ip_address", "created_at",
                       "erased_at"], {}),
    "replies": (Reply, [
        "kind", "body", "word_count", "quote", "prompt_state", "answered_at",
        "resolved_at", "path", "depth", "created_at", "edited_at", "version", "seq", "deleted_at",
        "moderation", "moderation_reason", "moderated_at", "endorsed_at", "like_count",
        "anonymous"],
        {"post_id": "posts", "parent_id": "replies", "quoted_reply_id": "replies",
         "author_id": "people", "guest_id": "guests", "deleted_by_id": "people",
         "endorsed_by_id": "people"}),
    "revisions": (Revision, ["title", "body", "created_at"],
                  {"post_id": "posts", "reply_id": "replies", "editor_id": "people"}),
    "annotations": (Annotation, [
        "quote", "prefix", "suffix", "body", "visibility", "created_at", "deleted_at"],
        {"post_id": "posts", "author_id": "people", "deleted_by_id": "people"}),
    "grades": (Grade, [
        "score", "rubric_scores", "override_reason", "feedback", "state", "updated_at",
        "released_at", "seen_at", "changed_after_release_at", "version"],
        {"discussion_id": "discussions", "student_id": "people", "grader_id": "people"}),
    "grade_changes": (GradeChange, [
        "at", "old_score", "new_score", "old_state", "new_state", "note"],
        {"grade_id": "grades", "actor_id": "people"}),
    "flags": (Flag, ["reason", "created_at", "resolved_at"],
              {"post_id": "posts", "reply_id": "replies", "user_id": "people"}),
    "spam_checks": (SpamCheck, ["score", "reasons", "features", "learned", "created_at"],
                    {"reply_id": "replies"}),
    "moderation_log": (ModerationEntry, ["action", "note", "at"],
                       {"actor_id": "people", "post_id": "posts", "reply_id": "replies"}),
    "likes": (Like, ["created_at"],
              {"user_id": "people", "post_id": "posts", "reply_id": "replies"}),
    "mentions": (Mention, ["created_at"],
                 {"user_id": "people", "post_id": "posts", "reply_id": "replies"}),
}
COURSE_FIELDS = ["code", "title", "term", "timezone", "visibility", "guest_comments",
                 "spam_threshold", "hold_threshold", "notify_held", "created_at"]
TIMES = {"opens_at", "due_at", "locks_at", "closed_at", "created_at", "updated_at",
         "published_at", "edited_at", "locked_at", "pinned_at", "deleted_at",
         "moderated_at", "endorsed_at", "answered_at", "resolved_at", "released_at",
         "seen_at", "changed_after_release_at", "at", "erased_at", "enrolled_at"}


def _quiet(_line: str, *_counts) -> None:
    pass


class Steps:
    """Counts the steps of a long piece of work and tells `progress` of each: its line,
    and how many of `total` steps are done."""

    def __init__(self, progress: Progress, total: int):
        self.progress, self.total, self.done = progress, total, 0

    def start(self, line: str) -> None:
        self.progress(line, 0, self.total)

    def __call__(self, line: str) -> None:
        self.done = min(self.done + 1, self.total)
        self.progress(line, self.done, self.total)


@dataclass
class ExportReport:
    path: Path
    size: int
    counts: dict[str, int]


# Export

# One step a document read (SPECS), then the people, the image files, the writing.
EXPORT_STEPS = len(SPECS) + 3


def export_course(actor: Actor, course: Course, file: Path,
                  progress: Progress | None = None) -> ExportReport:
    """Write the course's record, as `actor` may see it, to the archive `file`.
    Raises NotFound (the actor may not see the course), PermissionDenied (not its
    instructor nor an admin), ArchiveError (the file cannot be written)."""
    if not can_view_course(actor, course):
        raise NotFound("No such course.")
    if not can_export_course(actor, course):
        raise PermissionDenied("Only the course's instructors export it.")
    progress = progress or _quiet
    steps = Steps(progress, EXPORT_STEPS)
    steps.start(f"Reading {course.code}…")
    documents, images = course_documents(actor, course, steps)
    progress(f"Writing {file.name}: {len(documents['posts'])} posts, "
             f"{len(documents['replies'])} replies, {len(images)} images…")
    try:
        manifest = write_course_archive(
            file, datetime.now(UTC).isoformat(timespec="seconds"), documents, images,
            progress)
    except OSError as error:
        raise ArchiveError(f"The archive could not be written: "
                           f"{error.strerror or error}.") from error
    size = file.stat().st_size
    steps(f"Written: {size:,} bytes")
    return ExportReport(file, size, manifest.counts)


def course_documents(actor: Actor, course: Course, steps: Callable[[str], None] = _quiet
                     ) -> tuple[dict, list[tuple[str, Path]]]:
    """The archive's documents for the course as `actor` sees it, and its image files,
    read in one snapshot of the database; `steps` is told of each step (Steps)."""
    with _snapshot() as session:
        return _documents(session, actor, course, steps)


@contextmanager
def _snapshot() -> Iterator[Session]:
    """A session whose reads all see one state of the database, so that no record names
    one written after its kind was read. SQLite: the unit's own transaction already
    does. PostgreSQL (whose reads run statement by statement): a REPEATABLE READ
    transaction of its own."""
    if db.engine.dialect.name != "postgresql":
        yield db.session()
        return
    with db.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin(), Session(bind=connection) as session:
            yield session


def _documents(session: Session, actor: Actor, course: Course, step: Callable[[str], None]
               ) -> tuple[dict, list[tuple[str, Path]]]:
    # Subqueries of the scopes' rows: never correlated to the outer query's tables.
    visible_post_ids = select(Post.id).where(visible_posts(actor, course)).correlate(None)
    visible_reply_ids = select(Reply.id).join(Post, Reply.post_id == Post.id).where(
        visible_replies_in(actor, course)).correlate(None)
    discussion_ids = select(Discussion.id).where(
        visible_discussions(actor, course)).correlate(None)
    chosen = {
        "discussions": visible_discussions(actor, course),
        "posts": visible_posts(actor, course),
        "images": Image.post_id.in_(visible_post_ids),
        "replies": Reply.id.in_(visible_reply_ids),
        "revisions": or_(Revision.post_id.in_(visible_post_ids),
                         Revision.reply_id.in_(visible_reply_ids)),
        "grades": Grade.discussion_id.in_(discussion_ids) & visible_grades(actor),
        "flags": or_(Flag.post_id.in_(visible_post_ids),
                     Flag.reply_id.in_(visible_reply_ids)),
        "spam_checks": SpamCheck.reply_id.in_(visible_reply_ids),
        "moderation_log": (ModerationEntry.course_id == course.id)
        & (ModerationEntry.post_id.is_(None) | ModerationEntry.post_id.in_(visible_post_ids))
        & (ModerationEntry.reply_id.is_(None)
           | ModerationEntry.reply_id.in_(visible_reply_ids)),
        "likes": or_(Like.post_id.in_(visible_post_ids), Like.reply_id.in_(visible_reply_ids)),
        "mentions": or_(Mention.post_id.in_(visible_post_ids),
                        Mention.reply_id.in_(visible_reply_ids)),
    }
    rows = {}
    for name, condition in chosen.items():
        rows[name] = _rows(session, name, condition)
        step(f"  {name}: {len(rows[name])}")
    rows["annotations"] = sorted(
        (row for condition in _annotations_seen(session, actor, course)
         for row in _rows(session, "annotations", condition)), key=lambda row: row["id"])
    step(f"  annotations: {len(rows['annotations'])}")
    grade_ids = select(Grade.id).where(chosen["grades"]).correlate(None)
    rows["grade_changes"] = session.execute(
        select(*[getattr(GradeChange, c) for c in ["id", *SPECS["grade_changes"][1],
                                                   *SPECS["grade_changes"][2]]])
        .where(GradeChange.grade_id.in_(grade_ids)).order_by(GradeChange.id)
    ).mappings().all()
    step(f"  grade changes: {len(rows['grade_changes'])}")
    guest_ids = {row["guest_id"] for row in rows["replies"] if row["guest_id"]}
    rows["guests"] = session.execute(
        select(*[getattr(Guest, c) for c in ["id", *SPECS["guests"][1]]])
        .where(Guest.id.in_(guest_ids)).order_by(Guest.id)).mappings().all()
    step(f"  guests: {len(rows['guests'])}")

    people, local = _people(session, actor, course, rows)
    for name in SPECS:
        local[name] = {row["id"]: number for number, row in enumerate(rows[name], 1)}
    documents: dict = {"course": _course_record(course), "people": people}
    for name in SPECS:
        documents[name] = [_record(name, row, local) for row in rows[name]]
    if not can_see_guest_details(actor, course):
        for guest in documents["guests"]:
            guest.update(email=None, website=None, ip_address=None)
    _nest(session, documents, rows, local)
    step(f"  people: {len(people)}")
    stored = dict(session.execute(select(Image.id, Image.stored_name).where(
        Image.id.in_([row["id"] for row in rows["images"]]))).all())
    images = []
    for record, row in zip(documents["images"], rows["images"], strict=True):
        extension = FORMATS_BY_TYPE.get(record["content_type"], ".bin")
        record["file"] = f"images/{record['id']}{extension}"
        path = uploads_dir() / stored[row["id"]]
        if not path.is_file():
            raise ArchiveError(f"The file of an image of post {record['post']} in the archive "
                               f"({path.name}) is missing from the uploads folder: "
                               "restore it (from a backup) before exporting the course.")
        images.append((record["file"], path))
    _portable_image_links(documents, {(row["id"], stored[row["id"]]): local["images"][row["id"]]
                                      for row in rows["images"]})
    step(f"  image files: {len(images)}")
    return documents, images


def _portable_image_links(documents: dict, numbers: dict[tuple[int, str], int]) -> None:
    """Images a text shows, by their number in the archive (not this database's ids)."""
    for name in TEXTS_WITH_IMAGES:
        for record in documents[name]:
            if record.get("body"):
                record["body"] = archive_image_links(record["body"], numbers)


FORMATS_BY_TYPE = {content_type: extension for content_type, extension in FORMATS.values()}


def _rows(session: Session, name: str, condition) -> list:
    model, fields, refs = SPECS[name]
    columns = [getattr(model, column) for column in ["id", *fields, *refs]]
    return session.execute(select(*columns).where(condition)
                              .order_by(model.id)).mappings().all()


def _annotations_seen(session: Session, actor: Actor, course: Course) -> list:
    """Conditions selecting the annotations of the course's posts the actor may read,
    a few hundred posts each (their scope is per post)."""
    posts = session.scalars(select(Post).where(visible_posts(actor, course))
                               .order_by(Post.id)).all()
    conditions = [visible_annotations(actor, post) for post in posts]
    return [or_(*conditions[i:i + ANNOTATION_CHUNK])
            for i in range(0, len(conditions), ANNOTATION_CHUNK)]


def _course_record(course: Course) -> dict:
    return {name: _value(name, getattr(course, name)) for name in COURSE_FIELDS}


def _people(session: Session, actor: Actor, course: Course, rows: dict) -> tuple[list[dict], dict]:
    """Everyone the course's rows name, with their role in it; an email only where the
    exporter may see it: members' as the members' list shows them, others' for admins."""
    enrollments = {e.user_id: e for e in session.scalars(
        select(Enrollment).where(visible_enrollments(actor, course)))}
    named = set(enrollments)
    for name, (_model, _fields, refs) in SPECS.items():
        for column, document in refs.items():
            if document == "people":
                named.update(row[column] for row in rows[name] if row[column] is not None)
    users = session.scalars(select(User).where(User.id.in_(named))).all()
    members_shown = can_see_member_emails(actor, course)
    all_shown = can_manage_accounts(actor)

    def email_of(user: User) -> str | None:
        shown = all_shown or (members_shown and user.id in enrollments)
        return user.email.lower() if shown else None

    ordered = sorted(users, key=lambda u: (email_of(u) is None, email_of(u) or "",
                                           u.display_name, u.id))
    people, local = [], {"people": {}}
    for number, user in enumerate(ordered, 1):
        local["people"][user.id] = number
        enrollment = enrollments.get(user.id)
        people.append({
            "id": number, "display_name": user.display_name, "email": email_of(user),
            "role": enrollment.role.value if enrollment else None,
            "enrolled_at": _value("enrolled_at", enrollment.created_at)
            if enrollment else None})
    return people, local


def _value(name: str, value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if hasattr(value, "value"):  # an enum member
        return value.value
    return value


def _record(name: str, row, local: dict) -> dict:
    _model, fields, refs = SPECS[name]
    record = {"id": local[name][row["id"]]}
    for column in fields:
        record[column] = _value(column, row[column])
    for column, document in refs.items():
        target = row[column]
        record[column.removesuffix("_id")] = None if target is None else \
            local[document][target]
    return record


def _nest(session: Session, documents: dict, rows: dict, local: dict) -> None:
    """Sources go inside their post, a grade's changes inside it, and each reply carries
    its materialized path as archive ids (root first, itself last)."""
    sources: dict[int, list] = {}
    for post_id, citation, url in session.execute(
            select(PostSource.post_id, PostSource.citation, PostSource.url)
            .where(PostSource.post_id.in_(list(local["posts"])))
            .order_by(PostSource.post_id, PostSource.position)):
        sources.setdefault(local["posts"][post_id], []).append(
            {"citation": citation, "url": url})
    for post in documents["posts"]:
        post["sources"] = sources.get(post["id"], [])
    changes: dict[int, list] = {}
    for change in documents.pop("grade_changes"):
        changes.setdefault(change.pop("grade"), []).append(change)
    for grade in documents["grades"]:
        grade["changes"] = changes.get(grade["id"], [])
    for reply in documents["replies"]:  # the stored path, in archive ids
        reply["path"] = [local["replies"][n] for n in path_ids(reply["path"])]


__all__ = ["COURSE_FIELDS", "EXPORT_STEPS", "SPECS", "TIMES", "ExportReport", "Progress",
           "Steps", "course_documents", "export_course"]
