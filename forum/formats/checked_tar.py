"""Tar files led by a manifest (`manifest.json`) that lists every other member with its
size and SHA-256: the forum's backups and course archives. Written with members that
carry nobody's owner; read back a member at a time, each one checked against the
manifest as it is copied out, so a damaged, altered or truncated file is refused with a
message that says which member and why."""

from __future__ import annotations

import hashlib
import io
import tarfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

MANIFEST = "manifest.json"
CHUNK = 1024 * 1024


class Listed(Protocol):
    files: dict[str, dict]  # member name → {"size": …, "sha256": …}


M = TypeVar("M", bound=Listed)


@dataclass(frozen=True)
class Kind:
    """How a kind of file is named in its errors ("backup", "a forum backup"), the error
    it raises, and its manifest's reader and largest size."""

    noun: str
    called: str
    error: type[Exception]
    parse: Callable[[bytes], Listed]
    manifest_max: int


def file_digest(path: Path) -> dict:
    """A member's entry in the manifest: its size and SHA-256."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as source:
        while block := source.read(CHUNK):
            digest.update(block)
            size += len(block)
    return {"size": size, "sha256": digest.hexdigest()}


def plain(info: tarfile.TarInfo) -> tarfile.TarInfo:
    """Members carry no owner or group of the machine that made them."""
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o644
    return info


def add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    archive.addfile(info, io.BytesIO(data))


def read_members(archive: tarfile.TarFile, source: Path, staging: Path, kind: Kind,
                 progress: Callable[[str], None], every: int = 500,
                 check: Callable[[M], None] = lambda _manifest: None) -> M:
    """Copy every member the manifest lists into `staging` (its folders made by the
    caller), checking each; returns the manifest. `check` refuses a manifest before any
    member is read. Member names are the manifest reader's to check (no .., no folders
    but its own)."""
    first = archive.next()
    if first is None or first.name != MANIFEST or not first.isfile():
        raise kind.error(f"{source} is not {kind.called}: it does not begin with "
                         f"{MANIFEST}.")
    if first.size > kind.manifest_max:
        raise kind.error(f"The {kind.noun}'s manifest is too large to be one.")
    manifest = kind.parse(_read_all(archive, first, kind))
    check(manifest)
    seen: set[str] = set()
    while (member := archive.next()) is not None:
        name = member.name
        expected = manifest.files.get(name)
        if expected is None or not member.isfile() or name in seen:
            raise kind.error(f"The {kind.noun} holds a member its manifest does not list: "
                             f"{name!r}.")
        if member.size != expected["size"]:
            raise kind.error(f"{name} in the {kind.noun} has {member.size} bytes, the "
                             f"manifest says {expected['size']}.")
        _copy_checked(archive, member, staging / name, expected["sha256"], kind)
        seen.add(name)
        if len(seen) % every == 0:
            progress(f"  {len(seen)} of {len(manifest.files)} files checked")
    absent = sorted(set(manifest.files) - seen)
    if absent:
        raise kind.error(f"The {kind.noun} is incomplete: {len(absent)} file(s) its "
                         f"manifest lists are missing (first: {absent[0]}); was it "
                         "truncated?")
    return manifest


def _read_all(archive: tarfile.TarFile, member: tarfile.TarInfo, kind: Kind) -> bytes:
    handle = archive.extractfile(member)
    data = handle.read() if handle else b""
    if len(data) != member.size:
        raise kind.error(f"The {kind.noun} ends inside its manifest: it is truncated.")
    return data


def _copy_checked(archive: tarfile.TarFile, member: tarfile.TarInfo, target: Path,
                  sha256: str, kind: Kind) -> None:
    handle = archive.extractfile(member)
    digest = hashlib.sha256()
    written = 0
    with target.open("wb") as out:
        while handle is not None and (block := handle.read(CHUNK)):
            digest.update(block)
            out.write(block)
            written += len(block)
    if written != member.size:
        raise kind.error(f"The {kind.noun} ends inside {member.name}: it is truncated.")
    if digest.hexdigest() != sha256:
        raise kind.error(f"{member.name} in the {kind.noun} does not match its checksum: "
                         "the file was damaged or altered.")


def read_checked(source: Path, staging: Path, kind: Kind,
                 progress: Callable[[str], None], every: int = 500,
                 check: Callable[[M], None] = lambda _manifest: None) -> M:
    """Open `source` and read it with `read_members`; whatever is wrong with the file
    (missing, not a tar, damaged, truncated) is the kind's error, never a traceback."""
    if not source.exists():
        raise kind.error(f"{source}: no such file.")
    if not source.is_file():
        raise kind.error(f"{source}: not a file.")
    try:
        archive = tarfile.open(source, "r:*")  # noqa: SIM115 - closed below
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        raise kind.error(f"{source} is not {kind.called} (not a tar or tar.gz file)."
                         ) from error
    try:
        with archive:
            return read_members(archive, source, staging, kind, progress, every, check)
    except kind.error:
        raise
    except (tarfile.TarError, EOFError, zlib.error, OSError, ValueError) as error:
        raise kind.error(f"{source} is damaged or incomplete (truncated?): {error}"
                         ) from error
