"""Backups of the whole forum (database and uploaded images) and restores into an empty
database of the same kind: the file's format is forum/formats/backup_archive.py, the
copies of each kind of database forum/services/dumps.py.

A backup reads the database in one snapshot and takes the image files its rows name. A
restore checks the whole file before it changes anything, restores the database, checks
every table's count against the manifest, then puts the images in the uploads folder.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app
from sqlalchemy.exc import DBAPIError

from forum.extensions import cache, db
from forum.formats.backup_archive import (
    UPLOADS_PREFIX,
    BackupError,
    Manifest,
    read_archive,
    write_archive,
)
from forum.formats.checked_tar import file_digest
from forum.services.dumps import (
    differences,
    postgres_restore,
    postgres_snapshot,
    sqlite_path,
    sqlite_restore,
    sqlite_snapshot,
)
from forum.services.images import uploads_dir

Progress = Callable[[str], None]


@dataclass
class BackupReport:
    path: Path
    size: int
    manifest: Manifest


@dataclass
class RestoreReport:
    manifest: Manifest | None  # None until the file's manifest was read
    uploads_written: int = 0
    uploads_present: int = 0
    extra_uploads: int = 0
    notes: list[str] = field(default_factory=list)


def _quiet(_line: str) -> None:
    pass


def database_kind() -> str:
    kind = db.engine.dialect.name
    if kind not in ("sqlite", "postgresql"):
        raise BackupError(f"Backups are made of SQLite and PostgreSQL databases, not {kind}.")
    return kind


@contextmanager
def _explained(doing: str) -> Iterator[None]:
    """A folder that cannot be written or a database that cannot be reached is said in
    one line, as every other refusal is, not as a traceback."""
    try:
        yield
    except OSError as error:
        where = f" ({error.filename})" if error.filename else ""
        raise BackupError(f"{doing} failed: {error.strerror or error}{where}.") from error
    except (DBAPIError, sqlite3.Error) as error:
        cause = error.orig if isinstance(error, DBAPIError) else error
        first = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
        raise BackupError(f"{doing} failed: the database could not be used ({first})."
                          ) from error


def create_backup(target: Path, progress: Progress = _quiet) -> BackupReport:
    """Write the database and the uploaded images to one archive at `target`.
    Raises BackupError when the database cannot be read or the file cannot be written."""
    with _explained("The backup"):
        return _create_backup(target, progress)


def _create_backup(target: Path, progress: Progress) -> BackupReport:
    kind = database_kind()
    target = target.expanduser().absolute()
    if not target.parent.is_dir():
        raise BackupError(f"{target.parent}: no such folder for the backup file.")
    # The copy is staged beside the target: that disk is meant to hold backups.
    with tempfile.TemporaryDirectory(prefix=".forum-backup-", dir=target.parent) as work:
        dump = Path(work) / "database"
        if kind == "sqlite":
            progress("Copying the SQLite database (online backup API)…")
            snapshot = sqlite_snapshot(sqlite_path(), dump)
        else:
            progress("Dumping the PostgreSQL database (pg_dump, one snapshot)…")
            snapshot = postgres_snapshot(dump)
        manifest = Manifest(database_kind=kind, server_version=snapshot.version,
                            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                            alembic_revision=snapshot.revision, row_counts=snapshot.counts)
        manifest.files[manifest.database_member] = file_digest(dump)
        uploads = _uploads_of(snapshot.image_names, manifest)
        progress(f"Writing {target.name}: the database ({_size(dump.stat().st_size)}) and "
                 f"{len(uploads)} uploaded image(s)…")
        write_archive(target, manifest, dump, uploads, progress)
    return BackupReport(target, target.stat().st_size, manifest)


def _uploads_of(names: list[str], manifest: Manifest) -> list[tuple[str, Path]]:
    """The files of the images in the snapshot (a file is written before its row is
    committed, so each row's file exists unless it was removed since)."""
    folder = uploads_dir()
    present = []
    for name in names:
        path = folder / name
        if path.is_file():
            manifest.files[UPLOADS_PREFIX + name] = file_digest(path)
            present.append((name, path))
        else:
            manifest.missing_uploads.append(name)
    return present


def _size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 100_000 else f"{size / 1024:.1f} kB"


# Restore


def _check_revision(manifest: Manifest, report: RestoreReport) -> None:
    from alembic.script import ScriptDirectory

    revision = manifest.alembic_revision
    if revision is None:
        report.notes.append("The backup records no schema revision (its schema was not "
                            "made by `flask db upgrade`).")
        return
    scripts = ScriptDirectory(current_app.extensions["migrate"].directory)
    head = scripts.get_current_head()
    if revision not in {script.revision for script in scripts.walk_revisions()}:
        raise BackupError(f"The backup's schema is at revision {revision}, which this "
                          f"version of the forum does not know (its newest is {head}). "
                          "Restore it with the version of the forum that made it, or a "
                          "newer one. Nothing was changed.")
    if revision != head:
        report.notes.append(f"The schema is at revision {revision}, older than this "
                            f"version's {head}: run `flask --app forum db upgrade` next.")


def restore_backup(source: Path, *, force: bool = False,
                   progress: Progress = _quiet) -> RestoreReport:
    """Restore the database and uploads of the backup at `source` into the configured
    database (empty unless `force`) and uploads folder, then check every table's count.
    Raises BackupError, having changed nothing, for a file that is not a complete backup
    this version understands, a database of the other kind, or a target that is not
    empty; raises it after the fact if the counts differ or the images cannot be
    written."""
    with _explained("The restore"):
        return _restore_backup(source, force, progress)


def _restore_backup(source: Path, force: bool, progress: Progress) -> RestoreReport:
    kind = database_kind()
    progress(f"Checking {source}…")
    with tempfile.TemporaryDirectory(prefix="forum-restore-") as work:
        staging = Path(work)
        report = RestoreReport(None)

        def check(manifest: Manifest) -> None:
            if manifest.database_kind != kind:
                raise BackupError(
                    f"This backup is of a {_kind_name(manifest.database_kind)} database and "
                    f"this forum uses {_kind_name(kind)}: a restore goes into a database of "
                    "the same kind only (moving between kinds is not supported). Nothing "
                    "was changed.")
            _check_revision(manifest, report)

        manifest = report.manifest = read_archive(source.expanduser(), staging, check,
                                                  progress)
        folder = uploads_dir()
        clashes = _upload_clashes(manifest, folder)
        if clashes and not force:
            raise BackupError(f"{len(clashes)} file(s) in {folder} have the names of "
                              f"uploads in the backup but other contents (first: "
                              f"{clashes[0]}). Pass --force to replace them. Nothing was "
                              "changed.")
        staged = staging / manifest.database_member
        restore = sqlite_restore if kind == "sqlite" else postgres_restore
        counts = restore(staged, force, manifest, progress)
        _clear_page_cache(report)
        if counts != manifest.row_counts:
            raise BackupError("The database was restored but its rows differ from the "
                              f"backup's manifest ({differences(manifest.row_counts, counts)})"
                              ": do not serve it; restore another backup. No image file "
                              "was copied.")
        progress(f"Copying {len(manifest.uploads)} uploaded image(s) into {folder}…")
        try:
            _place_uploads(manifest, staging, folder, report)
        except OSError as error:
            raise BackupError(f"The database was restored, but the images could not be "
                              f"written to {folder}: {error.strerror or error}. Make the "
                              "folder writable and restore again with --force.") from error
    return report


def _kind_name(kind: str) -> str:
    return {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(kind, kind)


def _upload_clashes(manifest: Manifest, folder: Path) -> list[str]:
    """Files of the uploads folder with a name of the backup's and other contents."""
    clashes = []
    for member in manifest.uploads:
        existing = folder / member[len(UPLOADS_PREFIX):]
        if existing.exists() and (not existing.is_file() or file_digest(existing)["sha256"]
                                  != manifest.files[member]["sha256"]):
            clashes.append(existing.name)
    return clashes


def _place_uploads(manifest: Manifest, staging: Path, folder: Path,
                   report: RestoreReport) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    names = set()
    for member in manifest.uploads:
        name = member[len(UPLOADS_PREFIX):]
        names.add(name)
        target = folder / name
        if target.is_file() and file_digest(target)["sha256"] == \
                manifest.files[member]["sha256"]:
            report.uploads_present += 1
            continue
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".restore-")
        os.close(handle)
        try:
            shutil.copyfile(staging / member, temporary)
            os.chmod(temporary, 0o644)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        report.uploads_written += 1
    report.extra_uploads = sum(1 for path in folder.iterdir()
                               if path.is_file() and not path.name.startswith(".")
                               and path.name not in names)
    if manifest.missing_uploads:
        report.notes.append(f"{len(manifest.missing_uploads)} image(s) had no file when the "
                            "backup was made; their pages show them broken.")


def _clear_page_cache(report: RestoreReport) -> None:
    """Kept copies of pages are keyed by versions that a restored database repeats with
    other contents: a shared cache (Redis) must forget them."""
    try:
        cache.clear()
    except Exception as error:  # the restore itself is done; only say so
        report.notes.append(f"The page cache could not be cleared ({error}); clear it "
                            "(FORUM_CACHE_URL) before serving.")
