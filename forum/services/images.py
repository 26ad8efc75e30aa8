"""Images on posts: uploaded first (unattached, only their uploader's), then attached to
a post with alt text and a credit line; served with the visibility of their post.

An upload is checked by its content (JPEG, PNG, WebP or GIF; never SVG), its size and
its pixels (read from the header before anything is decoded), then decoded and encoded
again by Pillow from the pixels alone, so no metadata of the sender's file (EXIF, GPS,
XMP, comments) survives, and stored under a name the server makes.
"""

from __future__ import annotations

import io
import os
import secrets
import struct
import tempfile
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from PIL import Image as PILImage
from PIL import ImageOps, ImageSequence, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from forum.access import Actor
from forum.errors import Invalid, NotFound, PermissionDenied
from forum.extensions import db
from forum.models import Image, Post, utcnow
from forum.models.limits import ALT_MAX, CITATION_MAX
from forum.services.validation import FieldErrors, clean_text, clean_url, collecting_errors
from forum.transactions import writes

UPLOAD_MAX_BYTES = 4 * 1024 * 1024  # default of FORUM_UPLOAD_MAX_BYTES
UPLOAD_MAX_PIXELS = 40_000_000  # default of FORUM_UPLOAD_MAX_PIXELS (all frames together)
IMAGES_PER_POST = 10
FRAMES_MAX = 200  # of an animated GIF or WebP
ORPHAN_AGE = timedelta(days=1)  # an upload no post took is removed after this

# The formats taken, by the first bytes of the file (never by its name or stated type):
# Pillow's name, the type it is served as, the stored name's extension.
FORMATS = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png"),
           "WEBP": ("image/webp", ".webp"), "GIF": ("image/gif", ".gif")}
NOT_AN_IMAGE = "This is not an image we take: upload a JPEG, PNG, WebP or GIF file."
UNREADABLE = "This image could not be read: the file is damaged or incomplete."


def _signature(data: bytes) -> str | None:
    """The format the file's first bytes announce, if one we take."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    return None


def upload_max_bytes() -> int:
    return int(current_app.config.get("FORUM_UPLOAD_MAX_BYTES") or UPLOAD_MAX_BYTES)


def upload_max_pixels() -> int:
    return int(current_app.config.get("FORUM_UPLOAD_MAX_PIXELS") or UPLOAD_MAX_PIXELS)


def uploads_dir() -> Path:
    """Where image files are kept: FORUM_UPLOADS_DIR (a mount every host shares), else
    instance/uploads."""
    configured = current_app.config.get("FORUM_UPLOADS_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "uploads"


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.3g} MB"


@dataclass(frozen=True)
class Encoded:
    data: bytes
    format: str
    width: int
    height: int


def _read_limited(file: BinaryIO, limit: int) -> bytes:
    """At most limit + 1 bytes: enough to tell that a file is too large."""
    return file.read(limit + 1)


def _frames_of(image: PILImage.Image, animated: bool) -> list[PILImage.Image]:
    """The decoded frames as new images holding pixels only (no info, no metadata)."""
    frames = ImageSequence.Iterator(image) if animated else [image]
    cleaned = []
    for frame in frames:
        frame = ImageOps.exif_transpose(frame) if not animated else frame
        frame = frame.convert("RGBA" if frame.mode in {"P", "PA", "LA", "RGBA", "La", "RGBa"}
                              or "transparency" in frame.info else "RGB")
        pixels = PILImage.frombytes(frame.mode, frame.size, frame.tobytes())
        cleaned.append(pixels)
    return cleaned


def _encode(frames: list[PILImage.Image], fmt: str, durations: list[int], loop: int
            ) -> bytes:
    out = io.BytesIO()
    first, rest = frames[0], frames[1:]
    if fmt == "JPEG":
        first.convert("RGB").save(out, "JPEG", quality=88, optimize=True)
    elif fmt == "PNG":
        first.save(out, "PNG", optimize=True)
    elif fmt == "WEBP":
        options = {"save_all": True, "append_images": rest, "duration": durations,
                   "loop": loop} if rest else {}
        first.save(out, "WEBP", quality=85, **options)
    else:  # GIF
        options = {"save_all": True, "append_images": rest, "duration": durations,
                   "loop": loop, "disposal": 2} if rest else {}
        first.save(out, "GIF", **options)
    return out.getvalue()


def check_and_encode(data: bytes) -> Encoded:
    """Check an upload's bytes and encode it again from its pixels.
    Raises Invalid (field `file`)."""
    def refuse(message: str) -> Invalid:
        return Invalid({"file": [message]})

    max_bytes, max_pixels = upload_max_bytes(), upload_max_pixels()
    if not data:
        raise refuse("Choose an image file; this one is empty.")
    if len(data) > max_bytes:
        raise refuse(f"The image is larger than {_megabytes(max_bytes)}: make it smaller.")
    fmt = _signature(data)
    if fmt is None:
        raise refuse(NOT_AN_IMAGE)
    too_many = (f"The image has more than {max_pixels / 1_000_000:g} megapixels: make it "
                "smaller.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            # Lazy: reads the header only. Nothing is decoded before the pixels are counted.
            with PILImage.open(io.BytesIO(data), formats=[fmt]) as image:
                width, height = image.size
                if width < 1 or height < 1 or width * height > max_pixels:
                    raise refuse(too_many)
                frames = getattr(image, "n_frames", 1) if fmt in {"GIF", "WEBP"} else 1
                if frames > FRAMES_MAX or width * height * frames > max_pixels:
                    raise refuse(too_many)
                animated = frames > 1
                durations = []
                if animated:
                    for frame in ImageSequence.Iterator(image):
                        durations.append(int(frame.info.get("duration", 100) or 100))
                    image.seek(0)
                loop = int(image.info.get("loop", 0) or 0)
                image.load()
                pixels = _frames_of(image, animated)
    except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning) as error:
        raise refuse(too_many) from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError,
            IndexError, struct.error) as error:
        raise refuse(UNREADABLE) from error
    try:
        encoded = _encode(pixels, fmt, durations, loop)
    except (OSError, ValueError) as error:
        raise refuse(UNREADABLE) from error
    width, height = pixels[0].size
    return Encoded(encoded, fmt, width, height)


def _store(data: bytes, extension: str) -> str:
    """Write the file under a new random name (atomically); return the name."""
    folder = uploads_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = secrets.token_hex(16) + extension
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, folder / name)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return name


def file_path(image: Image) -> Path:
    return uploads_dir() / image.stored_name


def _clean_caption(errors: FieldErrors, prefix: str, alt, credit, credit_url, *,
                   alt_required: bool) -> tuple[str, str, str | None]:
    return (
        clean_text(errors, f"{prefix}alt", alt, max_length=ALT_MAX, required=alt_required,
                   label="Alt text"),
        clean_text(errors, f"{prefix}credit", credit, max_length=CITATION_MAX,
                   required=False, label="Credit"),
        clean_url(errors, f"{prefix}credit_url", credit_url),
    )


@writes
def upload_image(actor: Actor, file: BinaryIO, *, alt: str | None = None,
                 credit: str | None = None, credit_url: str | None = None) -> Image:
    """Store an image, unattached: only its uploader may use or see it until a post
    takes it. Alt text may come now or when it is attached.
    Raises PermissionDenied, Invalid (fields file, alt, credit, credit_url)."""
    if not actor.is_authenticated:
        raise PermissionDenied("Log in to upload images.")
    with collecting_errors() as errors:
        alt, credit, credit_url = _clean_caption(errors, "", alt, credit, credit_url,
                                                 alt_required=False)
    encoded = check_and_encode(_read_limited(file, upload_max_bytes()))
    image = stored_image(actor.id, encoded, alt=alt, credit=credit, credit_url=credit_url)
    db.session.add(image)
    try:
        db.session.commit()
    except BaseException:
        db.session.rollback()
        file_path(image).unlink(missing_ok=True)
        raise
    return image


def stored_image(uploader_id: int, encoded: Encoded, *, alt: str = "", credit: str = "",
                 credit_url: str | None = None) -> Image:
    """Write a checked image's file under a new name and return its row, unattached and
    not yet in the session: whoever does not keep the row removes the file."""
    content_type, extension = FORMATS[encoded.format]
    return Image(uploader_id=uploader_id, post_id=None, position=0,
                 stored_name=_store(encoded.data, extension), content_type=content_type,
                 width=encoded.width, height=encoded.height, byte_size=len(encoded.data),
                 alt=alt, credit=credit, credit_url=credit_url, created_at=utcnow())


@dataclass(frozen=True)
class ImagePlan:
    """The images a post is to have, in order, with their captions (checked)."""

    rows: list[tuple[Image, str, str, str | None]]


def check_images(errors: FieldErrors, actor: Actor, specs: Iterable[dict] | None,
                 post: Post | None = None) -> ImagePlan | None:
    """Check the images a post is written with: each one the actor's own upload, not in
    another post, with alt text; at most IMAGES_PER_POST. None: leave them as they are.
    Errors go to `images-<n>-<field>` (and `images` for the count)."""
    if specs is None:
        return None
    specs = list(specs)
    if len(specs) > IMAGES_PER_POST:
        errors.add("images", f"At most {IMAGES_PER_POST} images a post.")
    wanted = [spec.get("id") for spec in specs]
    ids = [i for i in wanted if isinstance(i, int) and not isinstance(i, bool)]
    found = {image.id: image for image in db.session.scalars(
        select(Image).where(Image.id.in_(ids)))} if ids else {}
    rows, seen = [], set()
    for index, spec in enumerate(specs):
        prefix = f"images-{index}-"
        image = found.get(wanted[index]) if wanted[index] in ids else None
        alt, credit, credit_url = _clean_caption(
            errors, prefix, spec.get("alt"), spec.get("credit"), spec.get("credit_url"),
            alt_required=True)
        if image is None or not actor.is_authenticated or image.uploader_id != actor.id:
            errors.add(f"{prefix}id", "No such image among your uploads.")
            continue
        if image.post_id is not None and (post is None or image.post_id != post.id):
            errors.add(f"{prefix}id", "This image is already in another post.")
            continue
        if image.id in seen:
            errors.add(f"{prefix}id", "This image is listed twice.")
            continue
        seen.add(image.id)
        rows.append((image, alt, credit, credit_url))
    return ImagePlan(rows)


def attach_images(post: Post, plan: ImagePlan | None) -> None:
    """Give the post exactly the planned images, in order; images it had that are not
    in the plan are let go (unattached: removed a day later by clean-uploads). Writes
    in the caller's transaction; never commits."""
    if plan is None:
        return
    keep = {image.id for image, *_ in plan.rows}
    if post.id is not None:
        for image in db.session.scalars(select(Image).where(Image.post_id == post.id)):
            if image.id not in keep:
                # The day of grace counts from now: the writer may still take it back.
                image.post_id, image.position, image.created_at = None, 0, utcnow()
    for position, (image, alt, credit, credit_url) in enumerate(plan.rows):
        image.post = post
        image.position, image.alt, image.credit, image.credit_url = (
            position, alt, credit, credit_url)


def get_image(actor: Actor, image_id: int) -> Image:
    """An image the actor may see: one of a post they may read (not a deleted post's,
    unless they see deleted posts whole), or their own upload not yet in a post.
    Raises NotFound."""
    from forum.services.posts import get_post, shown_as_tombstone

    image = db.session.get(Image, image_id)
    if image is None:
        raise NotFound("No such image.")
    if image.post_id is None:
        if not (actor.is_authenticated and actor.id == image.uploader_id):
            raise NotFound("No such image.")
        return image
    post = get_post(actor, image.post_id)
    if shown_as_tombstone(actor, post):
        raise NotFound("No such image.")
    return image


def own_uploads(actor: Actor, ids: Iterable[int], post: Post | None = None
                ) -> dict[int, Image]:
    """Of these ids, the images a post form may show back to the actor: their own
    uploads not yet in a post, and the images of the post being edited."""
    ids = sorted({i for i in ids if isinstance(i, int)})
    if not ids or not actor.is_authenticated:
        return {}
    images = db.session.scalars(select(Image).where(Image.id.in_(ids)))
    return {image.id: image for image in images
            if (image.post_id is None and image.uploader_id == actor.id)
            or (post is not None and image.post_id == post.id)}


@writes
def clean_orphans(older_than: timedelta = ORPHAN_AGE) -> int:
    """Remove the images no post took (rows and files) that are older than a day;
    return how many."""
    cutoff = utcnow() - older_than
    orphans = list(db.session.scalars(
        select(Image).where(Image.post_id.is_(None), Image.created_at < cutoff)))
    names = [image.stored_name for image in orphans]
    for image in orphans:
        db.session.delete(image)
    db.session.commit()
    for name in names:
        (uploads_dir() / name).unlink(missing_ok=True)
    return len(orphans)


def preload_images(posts: Iterable[Post]) -> None:
    """Read the images of many posts in one statement (a page of a list), so that
    showing each post's images costs nothing more."""
    posts = [post for post in posts if post.id is not None]
    if not posts:
        return
    by_post: dict[int, list[Image]] = {post.id: [] for post in posts}
    for image in db.session.scalars(select(Image).where(Image.post_id.in_(list(by_post)))
                                    .order_by(Image.post_id, Image.position, Image.id)):
        by_post[image.post_id].append(image)
    for post in posts:
        set_committed_value(post, "images", by_post[post.id])
