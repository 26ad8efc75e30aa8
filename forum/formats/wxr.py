"""WordPress export (WXR 1.x) read safely into plain data: the blog, its authors, its
posts and their comments. No database, no Flask; HTML is left as WordPress stored it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import BinaryIO
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden
from defusedxml import ElementTree as SafeTree

CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
EXCERPT = "{http://wordpress.org/export/1.2/excerpt/}"
DC = "{http://purl.org/dc/elements/1.1/}"
_WP_NAMESPACE = re.compile(r"^\{http://wordpress\.org/export/1\.[0-2]/\}")
_NO_DATE = "0000-00-00 00:00:00"


class WxrError(ValueError):
    """The file is not a WordPress export this reader accepts; `line` is where it broke,
    where the parser knows."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message if line is None else f"line {line}: {message}")
        self.message, self.line = message, line


@dataclass(frozen=True)
class WxrAuthor:
    login: str
    email: str
    display_name: str


@dataclass(frozen=True)
class WxrComment:
    id: int
    parent_id: int | None  # the comment answered; None: the post
    author_name: str
    author_email: str
    author_url: str
    author_ip: str
    date_gmt: datetime
    approved: str  # "1", "0" (pending), "spam" or "trash", as WordPress keeps it
    content: str  # plain text with light HTML, as the commenter typed it
    comment_type: str = ""  # "" or "comment": a comment; "pingback", "trackback" …
    user_id: int = 0  # the blog account that wrote it (0: a visitor)


@dataclass(frozen=True)
class WxrPost:
    id: int
    title: str
    link: str
    author_login: str
    date_gmt: datetime
    status: str  # publish, draft, pending, private, future, trash
    post_type: str  # post, page, attachment, nav_menu_item …
    content: str  # HTML as WordPress stored it (wpautop not applied)
    excerpt: str
    attachment_url: str = ""  # of an attachment (an uploaded image)
    image_alt: str = ""  # of an attachment: its alt text (meta _wp_attachment_image_alt)
    categories: list[tuple[str, str]] = field(default_factory=list)  # (nicename, name)
    tags: list[str] = field(default_factory=list)
    comments: list[WxrComment] = field(default_factory=list)


@dataclass(frozen=True)
class WxrBlog:
    title: str
    link: str
    version: str
    authors: dict[str, WxrAuthor]  # by login
    categories: dict[str, str]  # nicename -> name
    posts: list[WxrPost]
    site_urls: tuple[str, ...] = ()  # wp:base_site_url, wp:base_blog_url: its addresses


def read_wxr(source: str | Path | BinaryIO) -> WxrBlog:
    """Read a WordPress export. DTDs, entity declarations and external references are
    refused (entity bombs, files read from disk or fetched), as is anything that is not
    well-formed XML or not a WordPress export. Raises WxrError."""
    try:
        tree = SafeTree.parse(source, forbid_dtd=True, forbid_entities=True,
                              forbid_external=True)
    except ParseError as error:
        line, column = error.position
        raise WxrError(f"not well-formed XML (column {column + 1}): "
                       f"{_reason(error)}", line) from error
    except DTDForbidden as error:
        raise WxrError("the file declares a DTD (<!DOCTYPE …>), which a WordPress export "
                       "never has; refused so that no entity can expand") from error
    except EntitiesForbidden as error:
        raise WxrError(f"the file declares the entity {error.name!r}; refused") from error
    except DefusedXmlException as error:
        raise WxrError(f"the file refers to something outside it; refused ({error})") \
            from error
    return _blog(tree.getroot())


def _reason(error: ParseError) -> str:
    return re.sub(r":\s*line \d+, column \d+$", "", str(error))


def _blog(root: Element) -> WxrBlog:
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise WxrError("not a WordPress export: no <rss><channel>")
    wp = _wp_prefix(root)
    if wp is None:
        raise WxrError("not a WordPress export: no wp: (WXR) elements")
    authors = {}
    for node in channel.findall(f"{wp}author"):
        author = WxrAuthor(login=_text(node, f"{wp}author_login"),
                           email=_text(node, f"{wp}author_email").lower(),
                           display_name=_text(node, f"{wp}author_display_name"))
        authors[author.login] = author
    categories = {_text(node, f"{wp}category_nicename"): _text(node, f"{wp}cat_name")
                  for node in channel.findall(f"{wp}category")}
    posts = [_post(item, wp) for item in channel.findall("item")]
    site_urls = tuple(url for url in (_text(channel, f"{wp}base_site_url").strip(),
                                      _text(channel, f"{wp}base_blog_url").strip()) if url)
    return WxrBlog(title=_text(channel, "title"), link=_text(channel, "link"),
                   version=_text(channel, f"{wp}wxr_version"), authors=authors,
                   categories=categories, posts=posts, site_urls=site_urls)


def _wp_prefix(root: Element) -> str | None:
    for node in root.iter():
        found = _WP_NAMESPACE.match(node.tag)
        if found:
            return found.group(0)
    return None


def _text(node: Element, path: str) -> str:
    found = node.find(path)
    return (found.text or "") if found is not None else ""


def _number(node: Element, path: str, what: str) -> int:
    text = _text(node, path).strip() or "0"
    if not text.isdigit():
        raise WxrError(f"{what} is not a number: {text!r}")
    return int(text)


def _date(node: Element, wp: str, gmt: str, local: str, rss_date: str | None) -> datetime:
    """The item's time in UTC: its GMT field; for a draft (zeros there) its RSS date,
    else its local time taken as UTC."""
    text = _text(node, f"{wp}{gmt}").strip()
    if text and text != _NO_DATE:
        return _parse_date(text)
    if rss_date:
        try:
            return parsedate_to_datetime(rss_date).astimezone(UTC)
        except (TypeError, ValueError):
            pass
    text = _text(node, f"{wp}{local}").strip()
    if text and text != _NO_DATE:
        return _parse_date(text)
    raise WxrError(f"an item has no date ({gmt})")


def _parse_date(text: str) -> datetime:
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError as error:
        raise WxrError(f"not a WordPress date: {text!r}") from error


def _meta(item: Element, wp: str, key: str) -> str:
    for node in item.findall(f"{wp}postmeta"):
        if _text(node, f"{wp}meta_key") == key:
            return _text(node, f"{wp}meta_value")
    return ""


def _post(item: Element, wp: str) -> WxrPost:
    categories, tags = [], []
    for node in item.findall("category"):
        if node.get("domain") == "category":
            categories.append((node.get("nicename", ""), (node.text or "").strip()))
        elif node.get("domain") == "post_tag":
            tags.append((node.text or "").strip())
    post_id = _number(item, f"{wp}post_id", "a post's id")
    comments = [_comment(node, wp) for node in item.findall(f"{wp}comment")]
    return WxrPost(
        id=post_id, title=_text(item, "title").strip(), link=_text(item, "link").strip(),
        author_login=_text(item, f"{DC}creator").strip(),
        date_gmt=_date(item, wp, "post_date_gmt", "post_date", _text(item, "pubDate")),
        status=_text(item, f"{wp}status").strip() or "publish",
        post_type=_text(item, f"{wp}post_type").strip() or "post",
        content=_text(item, f"{CONTENT}encoded"), excerpt=_text(item, f"{EXCERPT}encoded"),
        attachment_url=_text(item, f"{wp}attachment_url").strip(),
        image_alt=_meta(item, wp, "_wp_attachment_image_alt").strip(),
        categories=categories, tags=tags, comments=comments)


def _comment(node: Element, wp: str) -> WxrComment:
    parent = _number(node, f"{wp}comment_parent", "a comment's parent")
    return WxrComment(
        id=_number(node, f"{wp}comment_id", "a comment's id"), parent_id=parent or None,
        author_name=_text(node, f"{wp}comment_author").strip(),
        author_email=_text(node, f"{wp}comment_author_email").strip().lower(),
        author_url=_text(node, f"{wp}comment_author_url").strip(),
        author_ip=_text(node, f"{wp}comment_author_IP").strip(),
        date_gmt=_date(node, wp, "comment_date_gmt", "comment_date", None),
        approved=_text(node, f"{wp}comment_approved").strip() or "1",
        content=_text(node, f"{wp}comment_content"),
        comment_type=_text(node, f"{wp}comment_type").strip(),
        user_id=_number(node, f"{wp}comment_user_id", "a comment's user id"))
