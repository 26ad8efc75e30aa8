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

import hashlib
import io
import json
import re
import tarfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from forum.errors import ForumError

FORMAT = "forum-backup"
FORMAT_VERSION = 1  # raise it when a reader of this version could not restore the file
MANIFEST = "manifest.json"
MANIFEST_MAX_BYTES = 64 * 1024 * 1024
DATABASE_MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
UPLOADS_PREFIX = "uploads/"
# A stored name is made by the server (services/images.py); anything else is refused.
STORED_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
# Table names are read back into SQL (the counts after a restore): plain names only.
TABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
CHUNK = 1024 * 1024


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


def file_digest(path: Path) -> dict:
    """A member's entry in the manifest: its size and SHA-256."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as source:
        while block := source.read(CHUNK):
            digest.update(block)
            size += len(block)
    return {"size": size, "sha256": digest.hexdigest()}


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
            _add_bytes(archive, MANIFEST, manifest.to_json())
            archive.add(database, arcname=manifest.database_member, recursive=False,
                        filter=_plain)
            for number, (name, path) in enumerate(uploads, 1):
                archive.add(path, arcname=UPLOADS_PREFIX + name, recursive=False,
                            filter=_plain)
                if number % 500 == 0:
                    progress(f"  {number} uploads written")
        temporary.replace(target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _plain(info: tarfile.TarInfo) -> tarfile.TarInfo:
    """Members carry no owner or group of the machine that made them."""
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o644
    return info


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    archive.addfile(info, io.BytesIO(data))


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
    if not source.exists():
        raise BackupError(f"{source}: no such file.")
    if not source.is_file():
        raise BackupError(f"{source}: not a file.")
    try:
        archive = tarfile.open(source, "r:*")  # noqa: SIM115 - closed below
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        raise BackupError(f"{source} is not a backup archive (not a tar or tar.gz file)."
                          ) from error
    try:
        with archive:
            return _read_members(archive, source, staging, check, progress)
    except BackupError:
        raise
    except (tarfile.TarError, EOFError, zlib.error, OSError, ValueError) as error:
        raise BackupError(f"{source} is damaged or incomplete (truncated?): {error}"
                          ) from error


def _read_members(archive: tarfile.TarFile, source: Path, staging: Path,
                  check: Callable[[Manifest], None],
                  progress: Callable[[str], None]) -> Manifest:
    first = archive.next()
    if first is None or first.name != MANIFEST or not first.isfile():
        raise BackupError(f"{source} is not a forum backup: it does not begin with "
                          f"{MANIFEST}.")
    if first.size > MANIFEST_MAX_BYTES:
        raise BackupError("The backup's manifest is too large to be one.")
    manifest = parse_manifest(_read_all(archive, first))
    check(manifest)
    seen: set[str] = set()
    (staging / "uploads").mkdir(parents=True, exist_ok=True)
    while (member := archive.next()) is not None:
        name = member.name
        expected = manifest.files.get(name)
        if expected is None or not member.isfile() or name in seen:
            raise BackupError(f"The backup holds a member its manifest does not list: "
                              f"{name!r}.")
        if member.size != expected["size"]:
            raise BackupError(f"{name} in the backup has {member.size} bytes, the "
                              f"manifest says {expected['size']}.")
        # The member's name was checked against the manifest's pattern: no folders, no ..
        target = staging / name
        _copy_checked(archive, member, target, expected["sha256"])
        seen.add(name)
        if len(seen) % 500 == 0:
            progress(f"  {len(seen)} of {len(manifest.files)} files checked")
    absent = sorted(set(manifest.files) - seen)
    if absent:
        raise BackupError(f"The backup is incomplete: {len(absent)} file(s) its manifest "
                          f"lists are missing (first: {absent[0]}); was it truncated?")
    return manifest


def _read_all(archive: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    handle = archive.extractfile(member)
    data = handle.read() if handle else b""
    if len(data) != member.size:
        raise BackupError("The backup ends inside its manifest: it is truncated.")
    return data


def _copy_checked(archive: tarfile.TarFile, member: tarfile.TarInfo, target: Path,
                  sha256: str) -> None:
    handle = archive.extractfile(member)
    digest = hashlib.sha256()
    written = 0
    with target.open("wb") as out:
        while handle is not None and (block := handle.read(CHUNK)):
            digest.update(block)
            out.write(block)
            written += len(block)
    if written != member.size:
        raise BackupError(f"The backup ends inside {member.name}: it is truncated.")
    if digest.hexdigest() != sha256:
        raise BackupError(f"{member.name} in the backup does not match its checksum: the "
                          "file was damaged or altered.")
