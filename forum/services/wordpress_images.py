"""The images of a WordPress import, copied into the forum's image storage before the
import writes: from a copy of the blog's uploads folder, or fetched over the web; each
one checked and encoded again as any upload is (forum/services/images.py). An image that
cannot be had keeps its address on the blog, and the reason is reported."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from flask import current_app

from forum.access import Actor, can_create_discussion
from forum.errors import Invalid, PermissionDenied
from forum.formats.wp_markdown import WpImage, find_images
from forum.formats.wxr import WxrBlog, WxrPost
from forum.models import Course, Image
from forum.models.limits import ALT_MAX, CITATION_MAX
from forum.services import image_sources
from forum.services.image_sources import Refused
from forum.services.images import (
    IMAGES_PER_POST,
    check_and_encode,
    file_path,
    stored_image,
    upload_max_bytes,
)
from forum.services.validation import FieldErrors, clean_url, is_storable
from forum.services.wordpress_origins import KnownPosts, is_imported, plain, post_title

NO_SOURCE = "not copied: the import was given no --uploads folder and no --fetch-images"
TOO_MANY = f"past the {IMAGES_PER_POST} images a post may have"
IN_A_COMMENT = "in a comment: the forum keeps images on posts only"
NOT_HTTP = "not an http or https address"
NOT_ON_THE_BLOG = "not on the blog's address (only its own uploads are read from --uploads)"
_SIZE_SUFFIX = re.compile(r"-\d+x\d+(?=\.\w+$)")  # map-600x400.jpg: a size of map.jpg


@dataclass(frozen=True)
class ImageSources:
    """Where the import may take image files from."""

    uploads: Path | None = None  # a copy of the blog's wp-content/uploads
    fetch: bool = False  # over http(s)
    fetch_private: bool | None = None  # None: the setting FORUM_IMPORT_FETCH_PRIVATE


@dataclass(frozen=True)
class LeftImage:
    """An image left at its address on the blog, and why."""

    post_title: str
    url: str
    reason: str


@dataclass
class ImageCopies:
    """The images copied for the posts an import will write, by WordPress post id, and
    why the others were not. Files are stored; rows are not yet in the session."""

    copied: dict[int, list[tuple[WpImage, Image]]] = field(default_factory=dict)
    reasons: dict[tuple[int, str], str] = field(default_factory=dict)
    taken: set[int] = field(default_factory=set)  # posts whose images a post took

    def take(self, post_id: int) -> list[tuple[WpImage, Image]]:
        self.taken.add(post_id)
        return self.copied.get(post_id, [])

    def reason(self, post_id: int, src: str) -> str:
        return self.reasons.get((post_id, src), NO_SOURCE)

    def discard(self, *, all_files: bool = True) -> None:
        """Remove the stored files (after a failed import), or only those no post took."""
        for post_id, copies in self.copied.items():
            if all_files or post_id not in self.taken:
                for _found, image in copies:
                    file_path(image).unlink(missing_ok=True)


def image_path(image: Image) -> str:
    """The forum's address of an image (the images blueprint's route)."""
    return f"/images/{image.id}/{image.stored_name}"


def _short(text: str, limit: int) -> str:
    return "".join(c for c in " ".join(text.split()) if is_storable(c))[:limit]


def _url(value: str) -> str | None:
    errors = FieldErrors()
    url = clean_url(errors, "url", value)
    return None if errors else url


class _Attachments:
    """The export's attachments (uploaded files), by id and by address without size."""

    def __init__(self, blog: WxrBlog):
        items = [p for p in blog.posts if p.post_type == "attachment" and p.attachment_url]
        self.urls = {p.id: p.attachment_url for p in items}
        self.by_id = {p.id: p for p in items}
        self.by_address = {_unsized(p.attachment_url): p for p in items}

    def of(self, found: WpImage, url: str) -> WxrPost | None:
        return self.by_id.get(found.attachment_id) or self.by_address.get(_unsized(url))


def _unsized(url: str) -> str:
    parts = urlsplit(url)
    return f"{(parts.hostname or '').removeprefix('www.')}{_SIZE_SUFFIX.sub('', parts.path)}"


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").removeprefix("www.")
    except ValueError:
        return ""


class _Copier:
    """One import's copying: its sources, the blog's hosts and what was stored."""

    def __init__(self, blog: WxrBlog, sources: ImageSources):
        self.blog, self.sources = blog, sources
        self.attachments = _Attachments(blog)
        self.hosts = {_host(url) for url in (blog.link, *blog.site_urls)} - {""}
        allow = sources.fetch_private
        self.allow_private = bool(current_app.config.get("FORUM_IMPORT_FETCH_PRIVATE")
                                  if allow is None else allow)
        self.blog_name = plain(blog.title) or "the course blog"
        self.copies = ImageCopies()

    def copy_post(self, item: WxrPost) -> None:
        for number, found in enumerate(find_images(item.content, self.attachments.urls)):
            if number >= IMAGES_PER_POST:
                self.copies.reasons[(item.id, found.src)] = TOO_MANY
                continue
            url = self.absolute(found.src)
            attachment = self.attachments.of(found, url)
            try:
                encoded = self.encoded(url, attachment)
            except Refused as refused:
                self.copies.reasons[(item.id, found.src)] = str(refused)
                continue
            image = stored_image(0, encoded, **self.caption(found, attachment))
            self.copies.copied.setdefault(item.id, []).append((found, image))

    def absolute(self, src: str) -> str:
        """The image's address; one written without a host is on the blog."""
        try:
            return src if urlsplit(src).scheme else urljoin(self.blog.link.rstrip("/") + "/",
                                                            src)
        except ValueError:
            return src

    def encoded(self, url: str, attachment: WxrPost | None):
        """The image's bytes from the first source that has them, checked and encoded
        again; the first reason given if none has. Raises Refused."""
        candidates = [url] + ([attachment.attachment_url] if attachment
                              and attachment.attachment_url != url else [])
        reasons = []
        for candidate in candidates:
            try:
                data = self.bytes_of(candidate)
            except Refused as refused:
                reasons.append(str(refused))
                continue
            try:
                return check_and_encode(data)
            except Invalid as invalid:
                reasons.append("; ".join(m for ms in invalid.errors.values() for m in ms))
        raise Refused(reasons[0] if reasons else NO_SOURCE)

    def bytes_of(self, url: str) -> bytes:
        if not url.lower().startswith(("http://", "https://")):
            raise Refused(NOT_HTTP)
        reasons = []
        if self.sources.uploads is not None:
            if _host(url) in self.hosts:
                try:
                    return image_sources.read_upload(self.sources.uploads, url,
                                                     upload_max_bytes())
                except Refused as refused:
                    reasons.append(str(refused))
            else:
                reasons.append(NOT_ON_THE_BLOG)
        if self.sources.fetch:
            try:
                return image_sources.fetch(url, upload_max_bytes(),
                                           allow_private=self.allow_private)
            except Refused as refused:
                reasons.append(str(refused))
        raise Refused(reasons[0] if reasons else NO_SOURCE)

    def caption(self, found: WpImage, attachment: WxrPost | None) -> dict:
        """Alt text and credit: the post's own, else its attachment's (alt text, caption,
        title), else the blog's name, since the forum asks every image for alt text."""
        credit = found.caption or plain(attachment.excerpt if attachment else "")
        alt = found.alt or (attachment.image_alt if attachment else "") or credit or \
            plain(attachment.title if attachment else "") or f"Image from {self.blog_name}"
        credit_url = _url(found.caption_url) if found.caption_url else None
        return {"alt": _short(alt, ALT_MAX), "credit": _short(credit, CITATION_MAX),
                "credit_url": credit_url}


def copy_images(actor: Actor, course: Course, blog: WxrBlog,
                sources: ImageSources | None) -> ImageCopies:
    """Copy the images of the blog's posts that the course does not hold yet into the
    forum's image storage, before the import's write (fetching may take a while). The
    files wait for `import_wordpress`, which keeps or removes them. Reads only.
    Raises PermissionDenied."""
    if not can_create_discussion(actor, course):
        raise PermissionDenied("Only the course's instructors import a blog into it.")
    if sources is None or (sources.uploads is None and not sources.fetch):
        return ImageCopies()
    copier, known = _Copier(blog, sources), KnownPosts(course)
    try:
        for item in blog.posts:
            if is_imported(item) and known.find(item, post_title(item)) is None:
                copier.copy_post(item)
    except BaseException:
        copier.copies.discard()
        raise
    return copier.copies


def comment_images(content: str) -> list[str]:
    """The addresses of the images a comment shows (left where they are)."""
    return [found.src for found in find_images(content)] if "<img" in content.lower() \
        else []
