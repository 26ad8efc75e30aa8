"""The backup file: a tar archive (gzip) of a manifest, a database dump and the uploads.

Layout, in this order:

    manifest.json            what the rest is; read and checked first
    database.sqlite3         a SQLite file (online backup API) …
    database.pgdump          … or a pg_dump archive in its custom format
    uploads/<stored name>    each uploaded image's file

The manifest lists every other member with its size and SHA-256, so a reader can tell a
complete file from a truncated or altered one before anything is restored. This module
is pure: it writes and reads archives, it knows nothing of Flask or the database.
"""

from __future__ import annotations

import json
import re
import tarfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from forum.errors import ForumError
from forum.formats.checked_tar import (
    MANIFEST,
    Kind,
    add_bytes,
    plain,
    read_checked,
)

FORMAT = "forum-backup"
FORMAT_VERSION = 1  # raise it when a reader of this version could not restore the file
MANIFEST_MAX_BYTES = 64 * 1024 * 1024
DATABASE_MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
UPLOADS_PREFIX = "uploads/"
# A stored name is made by the server (services/images.py); anything else is refused.
STORED_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
# Table names are read back into SQL (the counts after a restore): plain names only.
TABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


class BackupError(ForumError):
    """A backup could not be written or a restore could not be done; the message says
    why in words an operator can act on."""

    message = "The backup could not be used."


@dataclass
class Manifest:
    database_kind: str  # "sqlite" or "postgresql"
    created_at: str  # ISO 8601, UTC
    alembic_revision: str | None  # the database's, None for a schema made without Alembic
    row_counts: dict[str, int]
    files: dict[str, dict] = field(default_factory=dict)  # member → {"size", "sha256"}
    missing_uploads: list[str] = field(default_factory=list)
    server_version: str | None = None

    @property
    def database_member(self) -> str:
        return DATABASE_MEMBERS[self.database_kind]

    @property
    def uploads(self) -> list[str]:
        return sorted(name for name in self.files if name.startswith(UPLOADS_PREFIX))

    def to_json(self) -> bytes:
        return json.dumps({
            "format": FORMAT, "format_version": FORMAT_VERSION,
            "created_at": self.created_at,
            "database": {"kind": self.database_kind, "member": self.database_member,
                         "server_version": self.server_version},
            "alembic_revision": self.alembic_revision,
            "row_counts": self.row_counts,
            "files": self.files,
            "missing_uploads": self.missing_uploads,
        }, indent=2, sort_keys=True).encode()


def write_archive(target: Path, manifest: Manifest, database: Path,
                  uploads: Iterable[tuple[str, Path]],
                  progress: Callable[[str], None] = lambda _line: None) -> None:
    """Write the archive to `target` (through a temporary file beside it, renamed at the
    end, so a failed backup never leaves a half file under the final name). `uploads`
    pairs each stored name with its file; the manifest must already list every member."""
    temporary = target.with_name(f".{target.name}.partial")
    try:
        with tarfile.open(temporary, "w:gz", compresslevel=6, format=tarfile.PAX_FORMAT
                          ) as archive:
            add_bytes(archive, MANIFEST, manifest.to_json())
            archive.add(database, arcname=manifest.database_member, recursive=False,
                        filter=plain)
            for number, (name, path) in enumerate(uploads, 1):
                archive.add(path, arcname=UPLOADS_PREFIX + name, recursive=False,
                            filter=plain)
                if number % 500 == 0:
                    progress(f"  {number} uploads written")
        temporary.replace(target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


# Reading


def parse_manifest(data: bytes) -> Manifest:
    """The manifest, or BackupError when it is not one this version understands."""
    try:
        raw = json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise BackupError("The backup's manifest is not readable JSON.") from error
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise BackupError("This archive is not a forum backup (its manifest does not say "
                          f"format \"{FORMAT}\").")
    version = raw.get("format_version")
    if version != FORMAT_VERSION:
        raise BackupError(f"This backup is of format version {version!r}; this version of "
                          f"the forum reads version {FORMAT_VERSION} only. Restore it with "
                          "the version of the forum that made it.")
    try:
        database = raw["database"]
        kind = database["kind"]
        counts = raw["row_counts"]
        files = raw["files"]
        manifest = Manifest(
            database_kind=kind, created_at=str(raw["created_at"]),
            alembic_revision=raw.get("alembic_revision"),
            row_counts={str(name): count for name, count in counts.items()},
            files={str(name): {"size": entry["size"], "sha256": entry["sha256"]}
                   for name, entry in files.items()},
            missing_uploads=list(raw.get("missing_uploads") or []),
            server_version=database.get("server_version"))
    except (KeyError, TypeError, AttributeError) as error:
        raise BackupError(f"The backup's manifest lacks a field this version needs "
                          f"({error}).") from error
    if not isinstance(kind, str) or kind not in DATABASE_MEMBERS:
        raise BackupError(f"The backup holds a database of kind {kind!r}, which this "
                          "version does not know.")
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0
               for n in manifest.row_counts.values()):
        raise BackupError("The backup's manifest has row counts that are not numbers.")
    if not all(TABLE_NAME.fullmatch(name) for name in manifest.row_counts):
        raise BackupError("The backup's manifest counts rows of something that is not a "
                          "table name.")
    if manifest.alembic_revision is not None and not isinstance(manifest.alembic_revision,
                                                                 str):
        raise BackupError("The backup's manifest has an unreadable schema revision.")
    for name, entry in manifest.files.items():
        if not _known_member(name, manifest) or not isinstance(entry["size"], int) \
                or not isinstance(entry["sha256"], str):
            raise BackupError(f"The backup's manifest lists a file it may not hold: {name!r}.")
    if manifest.database_member not in manifest.files:
        raise BackupError("The backup's manifest lists no database.")
    return manifest


def _known_member(name: str, manifest: Manifest) -> bool:
    if name == manifest.database_member:
        return True
    return name.startswith(UPLOADS_PREFIX) and \
        STORED_NAME.fullmatch(name[len(UPLOADS_PREFIX):]) is not None


def read_archive(source: Path, staging: Path,
                 check: Callable[[Manifest], None] = lambda _manifest: None,
                 progress: Callable[[str], None] = lambda _line: None) -> Manifest:
    """Check the archive from end to end and copy its members into `staging` (an empty
    folder of the caller's): the database as `staging/<database member>`, uploads under
    `staging/uploads/`. `check` sees the manifest as soon as it is read, and may refuse
    it (BackupError) before the rest is. Raises BackupError for anything that is not a
    complete backup this version understands; nothing outside `staging` is touched."""
    (staging / "uploads").mkdir(parents=True, exist_ok=True)
    return read_checked(source, staging, KIND, progress, check=check)


KIND = Kind("backup", "a backup archive", BackupError, parse_manifest, MANIFEST_MAX_BYTES)
