"""The course archive: one course's record as JSON documents and image files in a tar.gz.

Layout, in this order:

    manifest.json            what the rest is; read and checked first
    course.json, people.json, discussions.json … (DOCUMENTS, each a JSON list or object)
    images/<n>.<ext>         each exported image's file

Every record carries an archive-local `id` (1, 2, … per document, in the order of the
rows' ids) and names other records by those ids, never by a database's. The manifest
lists every other member with its size and SHA-256 and every document's record count,
so a truncated, altered or incomplete archive is refused before anything is imported.
This module is pure: it knows nothing of Flask or the database; docs/archives.md says
what goes in. The tar and checksum helpers are the whole-database backup's.
"""

from __future__ import annotations

import hashlib
import json
import re
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from forum.errors import ForumError
from forum.formats.checked_tar import (
    MANIFEST,
    Kind,
    add_bytes,
    file_digest,
    plain,
    read_checked,
)

FORMAT = "forum-course-archive"
FORMAT_VERSION = 2  # raise it when a reader of this version could not import the file
MANIFEST_MAX_BYTES = 16 * 1024 * 1024
IMAGES_PREFIX = "images/"
IMAGE_MEMBER = re.compile(r"images/[1-9][0-9]{0,9}\.(jpg|png|webp|gif)")
# Each document: its member name and whether it is one object (else a list of records).
DOCUMENTS = {
    "course": True, "people": False, "discussions": False, "posts": False,
    "images": False, "replies": False, "revisions": False, "annotations": False,
    "grades": False, "guests": False, "flags": False, "spam_checks": False,
    "moderation_log": False, "likes": False, "mentions": False,
}
# An image a post's text shows (a WordPress import puts them there) is written in the
# archive as IMAGE_TOKEN with the image's number in the archive, since the forum's own
# address of it (`/images/<id>/<stored name>`) names rows and files of one database.
_FORUM_IMAGE_LINK = re.compile(r"/images/([1-9][0-9]{0,9})/([A-Za-z0-9_.-]{1,80})")
IMAGE_TOKEN = "course-archive-image:{}"  # noqa: S105 - not a secret
_ARCHIVE_IMAGE_LINK = re.compile(r"course-archive-image:([1-9][0-9]{0,9})")
# Documents whose text may show images.
TEXTS_WITH_IMAGES = ("posts", "revisions")


def archive_image_links(text: str, numbers: dict[tuple[int, str], int]) -> str:
    """The text with each forum address of an exported image (its id and stored name,
    keys of `numbers`) written as that image's token."""
    def token(match: re.Match) -> str:
        number = numbers.get((int(match.group(1)), match.group(2)))
        return match.group(0) if number is None else IMAGE_TOKEN.format(number)
    return _FORUM_IMAGE_LINK.sub(token, text)


def local_image_links(text: str, addresses: dict[int, str]) -> str:
    """The text with each image token written as the imported image's address here."""
    return _ARCHIVE_IMAGE_LINK.sub(
        lambda match: addresses.get(int(match.group(1)), match.group(0)), text)


def _version_1(documents: dict) -> dict:
    """Version 1 kept a text's image addresses as they were (they show nothing after an
    import elsewhere); version 2 writes them as IMAGE_TOKEN. Nothing to turn."""
    return documents


# Readers of earlier versions' documents: version → function turning them into the next
# version's, applied in turn up to this one.
UPGRADES: dict[int, Callable[[dict], dict]] = {1: _version_1}


class ArchiveError(ForumError):
    """A course archive could not be written or read; the message says why."""

    message = "The course archive could not be used."


def member_of(document: str) -> str:
    return f"{document}.json"


@dataclass
class ArchiveManifest:
    created_at: str  # ISO 8601, UTC
    course_code: str
    counts: dict[str, int]  # document → number of records
    files: dict[str, dict] = field(default_factory=dict)  # member → {"size", "sha256"}
    format_version: int = FORMAT_VERSION

    @property
    def images(self) -> list[str]:
        return sorted(name for name in self.files if name.startswith(IMAGES_PREFIX))

    def to_json(self) -> bytes:
        return json.dumps({
            "format": FORMAT, "format_version": self.format_version,
            "created_at": self.created_at, "course": {"code": self.course_code},
            "counts": self.counts, "files": self.files,
        }, indent=2, sort_keys=True).encode()


def canonical(documents: dict) -> bytes:
    """The documents as bytes that are equal exactly when the documents are."""
    return _compact(documents).encode()


def _compact(value) -> str:
    # Without indent, json uses its C encoder: ten times quicker on a large course.
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def encode_document(value: dict | list) -> bytes:
    """A document as stored: a list one record a line (readable, and a change shows as
    the lines it touched), an object as one line."""
    if isinstance(value, dict):
        return _compact(value).encode() + b"\n"
    return ("[\n" + ",\n".join(_compact(record) for record in value) + "\n]\n").encode()


def count(document: str, value) -> int:
    return 1 if DOCUMENTS[document] else len(value)


def write_course_archive(target: Path, created_at: str, documents: dict,
                         images: list[tuple[str, Path]],
                         progress: Callable[[str], None] = lambda _line: None
                         ) -> ArchiveManifest:
    """Write the archive to `target` (through a temporary file renamed at the end).
    `documents` holds every name of DOCUMENTS; `images` pairs a member name
    (images/<n>.<ext>) with its file. Returns the manifest written."""
    encoded = {name: encode_document(documents[name]) for name in DOCUMENTS}
    manifest = ArchiveManifest(
        created_at=created_at, course_code=documents["course"]["code"],
        counts={name: count(name, documents[name]) for name in DOCUMENTS})
    for name, data in encoded.items():
        manifest.files[member_of(name)] = _bytes_digest(data)
    for member, path in images:
        if not IMAGE_MEMBER.fullmatch(member):
            raise ArchiveError(f"An image may not be stored as {member!r}.")
        manifest.files[member] = file_digest(path)
    temporary = target.with_name(f".{target.name}.partial")
    try:
        with tarfile.open(temporary, "w:gz", compresslevel=6,
                          format=tarfile.PAX_FORMAT) as archive:
            add_bytes(archive, MANIFEST, manifest.to_json())
            for name, data in encoded.items():
                add_bytes(archive, member_of(name), data)
            for number, (member, path) in enumerate(images, 1):
                archive.add(path, arcname=member, recursive=False, filter=plain)
                if number % 200 == 0:
                    progress(f"  {number} of {len(images)} images written")
        temporary.replace(target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return manifest


def _bytes_digest(data: bytes) -> dict:
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


# Reading


def parse_manifest(data: bytes) -> ArchiveManifest:
    """The manifest, or ArchiveError when it is not one this version understands."""
    try:
        raw = json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise ArchiveError("The archive's manifest is not readable JSON.") from error
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise ArchiveError(f"This is not a course archive (its manifest does not say "
                           f"format \"{FORMAT}\").")
    version = raw.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or not (
            version == FORMAT_VERSION or version in UPGRADES):
        raise ArchiveError(f"This course archive is of format version {version!r}; this "
                           f"version of the forum reads version {FORMAT_VERSION}"
                           f"{' and earlier' if UPGRADES else ''} only. Nothing was "
                           "imported.")
    try:
        manifest = ArchiveManifest(
            created_at=str(raw["created_at"]), course_code=str(raw["course"]["code"]),
            counts={str(name): n for name, n in raw["counts"].items()},
            files={str(name): {"size": entry["size"], "sha256": entry["sha256"]}
                   for name, entry in raw["files"].items()},
            format_version=version)
    except (KeyError, TypeError, AttributeError) as error:
        raise ArchiveError(f"The archive's manifest lacks a field this version needs "
                           f"({error}).") from error
    known = {member_of(name) for name in DOCUMENTS}
    for name, entry in manifest.files.items():
        if (name not in known and not IMAGE_MEMBER.fullmatch(name)) \
                or not _natural(entry["size"]) or not isinstance(entry["sha256"], str):
            raise ArchiveError(f"The archive's manifest lists a file it may not hold: "
                               f"{name!r}.")
    absent = sorted(known - set(manifest.files))
    if absent:
        raise ArchiveError(f"The archive's manifest lists no {absent[0]}.")
    if set(manifest.counts) != set(DOCUMENTS) or not all(
            _natural(n) for n in manifest.counts.values()):
        raise ArchiveError("The archive's manifest does not count every document.")
    return manifest


def _natural(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


@dataclass
class ReadArchive:
    manifest: ArchiveManifest
    documents: dict
    folder: Path  # where the images were copied: folder / "images/<n>.<ext>"


def read_course_archive(source: Path, staging: Path,
                        progress: Callable[[str], None] = lambda _line: None
                        ) -> ReadArchive:
    """Check the archive from end to end, copy its members into `staging` (an empty
    folder of the caller's) and return its documents, brought to this version. Raises
    ArchiveError for anything that is not a complete course archive this version reads."""
    (staging / "images").mkdir(parents=True, exist_ok=True)
    manifest = read_checked(source, staging, KIND, progress, every=200)
    documents = {}
    for name, single in DOCUMENTS.items():
        try:
            value = json.loads((staging / member_of(name)).read_bytes())
        except (ValueError, UnicodeDecodeError) as error:
            raise ArchiveError(f"{member_of(name)} in the archive is not readable JSON."
                               ) from error
        if not isinstance(value, dict if single else list):
            raise ArchiveError(f"{member_of(name)} in the archive is not "
                               f"{'an object' if single else 'a list'}.")
        if count(name, value) != manifest.counts[name]:
            raise ArchiveError(f"{member_of(name)} holds {count(name, value)} records, "
                               f"the manifest says {manifest.counts[name]}.")
        documents[name] = value
    for version in range(manifest.format_version, FORMAT_VERSION):
        documents = UPGRADES[version](documents)
    return ReadArchive(manifest, documents, staging)


KIND = Kind("archive", "a course archive", ArchiveError, parse_manifest,
            MANIFEST_MAX_BYTES)


__all__ = [
    "DOCUMENTS",
    "FORMAT",
    "FORMAT_VERSION",
    "TEXTS_WITH_IMAGES",
    "ArchiveError",
    "ArchiveManifest",
    "ReadArchive",
    "archive_image_links",
    "canonical",
    "local_image_links",
    "parse_manifest",
    "read_course_archive",
    "write_course_archive",
]
