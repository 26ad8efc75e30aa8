"""WordPress content (HTML as the editor stored it, shortcodes and all) to the forum's
Markdown: paragraphs where WordPress would make them (wpautop), emphasis, links, images,
lists, quotes, headings, code; captions, embeds and galleries as what they show."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from bs4 import BeautifulSoup
from markdownify import ATX, BACKSLASH, MarkdownConverter

# Blocks that wpautop leaves alone instead of wrapping in <p> (its $allblocks, trimmed
# to what blog posts hold).
_BLOCKS = ("address|article|aside|blockquote|caption|dd|div|dl|dt|figcaption|figure|"
           "footer|form|h[1-6]|header|hr|li|ol|p|pre|section|table|tbody|td|tfoot|th|"
           "thead|tr|ul|iframe|audio|video|object")
_LEADING_BLOCKS = re.compile(rf"^(?:\s*</?(?:{_BLOCKS})\b[^>]*>)+", re.IGNORECASE)
_TRAILING_BLOCKS = re.compile(rf"(?:</?(?:{_BLOCKS})\b[^>]*>\s*)+$", re.IGNORECASE)
# Blocks whose content is inline text: wpautop puts no paragraph inside them.
_INLINE_HOLDERS = re.compile(r"<(?:li|h[1-6]|td|th|dt|dd|figcaption|caption|p|pre|address)\b",
                             re.IGNORECASE)
_PRE = re.compile(r"<pre\b.*?</pre>", re.IGNORECASE | re.DOTALL)
_BLANK_LINE = re.compile(r"\n\s*\n")
_ATTRIBUTE = re.compile(r"""(\w+)\s*=\s*(?:"([^"]*)"|'([^']*)'|(\S+))""")
_CAPTION = re.compile(r"\[(?:wp_)?caption\b([^\]]*)\](.*?)\[/(?:wp_)?caption\]",
                      re.IGNORECASE | re.DOTALL)
_CAPTION_MEDIA = re.compile(r"^\s*((?:<a\b[^>]*>\s*)?<img\b[^>]*>(?:\s*</a>)?)(.*)$",
                            re.IGNORECASE | re.DOTALL)
_EMBED = re.compile(r"\[embed\b[^\]]*\](.*?)\[/embed\]", re.IGNORECASE | re.DOTALL)
_MEDIA = re.compile(r"\[(audio|video)\b([^\]]*)\](?:(.*?)\[/\1\])?", re.IGNORECASE | re.DOTALL)
_GALLERY = re.compile(r"\[gallery\b([^\]]*)\]", re.IGNORECASE)
# A bare URL alone on its line: WordPress shows it as an embed (oEmbed); here a link.
_BARE_URL_LINE = re.compile(r"^[ \t]*(https?://[^\s<>\"]+)[ \t]*$", re.MULTILINE)
_MANY_BLANKS = re.compile(r"\n{3,}")
_WP_IMAGE_CLASS = re.compile(r"\bwp-image-(\d+)\b")
_SCRIPTS = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)


def _attributes(text: str) -> dict[str, str]:
    return {name.lower(): html.unescape(next(v for v in values if v is not None))
            for name, *values in _ATTRIBUTE.findall(text)}


def _link(url: str) -> str:
    url = html.escape(url.strip(), quote=True)
    return f'<p><a href="{url}">{url}</a></p>'


def _caption(found: re.Match) -> str:
    """[caption]<img …> The caption[/caption] → a figure with its caption (older
    exports keep the caption in an attribute)."""
    attributes = _attributes(found.group(1))
    inside = _CAPTION_MEDIA.match(found.group(2))
    if inside is None:
        return found.group(2)
    media, caption = inside.group(1), inside.group(2).strip() or attributes.get("caption", "")
    caption_html = f"<figcaption>{caption}</figcaption>" if caption else ""
    return f"\n\n<figure>{media}{caption_html}</figure>\n\n"


def _media(found: re.Match) -> str:
    attributes = _attributes(found.group(2))
    url = attributes.get("src") or next(
        (attributes[k] for k in ("mp4", "m4v", "webm", "ogv", "mp3", "ogg", "wav", "m4a")
         if attributes.get(k)), "") or (found.group(3) or "").strip()
    return f"\n\n{_link(url)}\n\n" if url else ""


def _gallery(found: re.Match, attachments: Mapping[int, str]) -> str:
    """[gallery ids="…"] → its images, where the export holds their attachments."""
    ids = [int(i) for i in re.findall(r"\d+", _attributes(found.group(1)).get("ids", ""))]
    if not any(i in attachments for i in ids):
        return ""
    images = "".join(f'<li><img class="wp-image-{i}" alt="" '
                     f'src="{html.escape(attachments[i], quote=True)}"></li>'
                     for i in ids if i in attachments)
    return f"\n\n<ul>{images}</ul>\n\n"


def expand_shortcodes(content: str, attachments: Mapping[int, str] | None = None) -> str:
    """The shortcodes WordPress core ships, as the HTML they stand for; others (a
    plugin's) stay as written, since their meaning is unknown here."""
    content = _CAPTION.sub(_caption, content)
    content = _EMBED.sub(lambda m: f"\n\n{_link(m.group(1))}\n\n", content)
    content = _MEDIA.sub(_media, content)
    content = _GALLERY.sub(lambda m: _gallery(m, attachments or {}), content)
    return content


def autop(content: str) -> str:
    """wpautop's main rule: text separated by blank lines is paragraphs, a single line
    break inside one is a break; blocks and preformatted text are left as they are."""
    kept: list[str] = []

    def keep(found: re.Match) -> str:
        kept.append(found.group(0))
        return f"\n\n\x00PRE{len(kept) - 1}\x00\n\n"

    content = _PRE.sub(keep, content.replace("\r\n", "\n").replace("\r", "\n"))
    content = _BARE_URL_LINE.sub(lambda m: _link(m.group(1)), content)
    # Block tags start their own chunk, as wpautop puts line breaks around them.
    content = re.sub(rf"(<(?:{_BLOCKS})\b[^>]*>)", r"\n\n\1", content, flags=re.IGNORECASE)
    content = re.sub(rf"(</(?:{_BLOCKS})>)", r"\1\n\n", content, flags=re.IGNORECASE)
    chunks = [_paragraph(chunk.strip()) for chunk in _BLANK_LINE.split(content)]
    joined = "\n\n".join(chunk for chunk in chunks if chunk)
    return re.sub(r"\x00PRE(\d+)\x00", lambda m: kept[int(m.group(1))], joined)


def _paragraph(chunk: str) -> str:
    """One chunk between blank lines: its text is a paragraph unless a block that holds
    inline text (a list item, a heading, a cell) opened just before it."""
    if not chunk or chunk.startswith("\x00PRE"):
        return chunk
    leading = _LEADING_BLOCKS.match(chunk)
    head = leading.group(0) if leading else ""
    rest = chunk[len(head):]
    trailing = _TRAILING_BLOCKS.search(rest)
    tail = trailing.group(0) if trailing else ""
    middle = rest[:len(rest) - len(tail)].strip()
    tags = re.findall(r"<[^>]*>", head)
    if not middle or (tags and _INLINE_HOLDERS.match(tags[-1])):
        return chunk
    return head + "<p>" + middle.replace("\n", "<br />\n") + "</p>" + tail


_MARKDOWN_PUNCTUATION = re.compile(r"([\\`\[\]])")
_LINE_START_MARKS = re.compile(r"(^|\n)([ \t]*)(#{1,6}(?=\s|$)|>|[-+](?=\s)|\d{1,9}(?=[.)]\s))")


def _escaped_mark(found: re.Match) -> str:
    start, space, mark = found.groups()
    return start + space + (mark + "\\" if mark[0].isdigit() else "\\" + mark)


class _ForumMarkdown(MarkdownConverter):
    """markdownify, as the forum writes Markdown; option `images` maps an image's address
    as written to the forum's copy of it: (address, alt text)."""

    def escape(self, text, parent_tags):
        """Text stays text: the marks that would make it code, a link, a heading, a
        quote or a list are escaped (markdownify's own `escape_misc` escapes far more,
        `&`, `+`, `=` …, which a reader editing the post later would trip over)."""
        if text and "_noformat" not in parent_tags:
            text = _MARKDOWN_PUNCTUATION.sub(r"\\\1", text)
            text = _LINE_START_MARKS.sub(_escaped_mark, text)
        return super().escape(text, parent_tags)

    def convert_img(self, el, text, parent_tags):
        """An image the forum holds a copy of shows that copy."""
        src = (el.get("src") or "").strip()
        copy = (self.options.get("images") or {}).get(src)
        if copy is not None:
            el["data-copied-from"], (el["src"], el["alt"]) = src, copy
        return super().convert_img(el, text, parent_tags)

    def convert_a(self, el, text, parent_tags):
        """A link around a copied image to the blog's own larger copy of it (or its
        attachment page) goes: it would lead nowhere once the blog is gone."""
        images = el.find_all("img")
        if len(images) == 1 and not el.get_text(strip=True):
            original = images[0].get("data-copied-from")
            if original and _host(original) == _host(el.get("href") or ""):
                return text
        return super().convert_a(el, text, parent_tags)

    def convert_figure(self, el, text, parent_tags):
        return f"\n\n{text.strip()}\n\n"

    def convert_figcaption(self, el, text, parent_tags):
        caption = text.strip()
        return f"\n\n*{caption}*\n\n" if caption else ""

    def convert_iframe(self, el, text, parent_tags):
        """An embedded player or map: a link to what it showed."""
        src = el.get("src") or ""
        return f"\n\n<{src}>\n\n" if src.startswith(("http://", "https://")) else ""

    def convert_div(self, el, text, parent_tags):
        return f"\n\n{text.strip()}\n\n" if text.strip() else ""

    convert_section = convert_article = convert_div


def _host(url: str) -> str:
    try:
        return (urlsplit(url.strip()).hostname or "").removeprefix("www.")
    except ValueError:
        return ""


_OPTIONS = dict(
    heading_style=ATX, bullets="-", newline_style=BACKSLASH, escape_misc=False,
    keep_inline_images_in=["a", "td", "th", "li", "h1", "h2", "h3", "h4", "h5", "h6"],
    strip=["script", "style", "noscript", "form", "input", "button", "object", "embed"],
)
_CONVERTER = _ForumMarkdown(**_OPTIONS)


def _prepared(content: str, attachments: Mapping[int, str] | None) -> str:
    """The content as the HTML WordPress would show: no scripts or styles, shortcodes
    expanded, paragraphs made."""
    return autop(expand_shortcodes(_SCRIPTS.sub("", content), attachments))


def to_markdown(content: str, attachments: Mapping[int, str] | None = None,
                images: Mapping[str, tuple[str, str]] | None = None) -> str:
    """The forum's Markdown for a WordPress post's or comment's content; `images` maps
    an image's address as written (WpImage.src) to the forum's copy: (address, alt)."""
    if not content.strip():
        return ""
    converter = _ForumMarkdown(**_OPTIONS, images=images) if images else _CONVERTER
    markdown = converter.convert(_prepared(content, attachments))
    lines = [line.rstrip() if not line.endswith("\\") else line
             for line in markdown.splitlines()]
    return _MANY_BLANKS.sub("\n\n", "\n".join(lines)).strip()


@dataclass(frozen=True)
class WpImage:
    """An image a post shows: its address as written, its alt text, the caption under
    it (plain text) with the caption's first link, and the attachment it names."""

    src: str
    alt: str
    caption: str = ""
    caption_url: str = ""
    attachment_id: int | None = None  # from the class wp-image-N WordPress gives it


def find_images(content: str, attachments: Mapping[int, str] | None = None
                ) -> list[WpImage]:
    """The images a post's content shows, in order, each address once."""
    if not content.strip():
        return []
    soup = BeautifulSoup(_prepared(content, attachments), "html.parser")
    found: dict[str, WpImage] = {}
    for img in soup.find_all("img"):
        src = (img.get("src") or "").strip()
        if not src or src in found:
            continue
        figure = img.find_parent("figure")
        caption = figure.find("figcaption", recursive=False) if figure else None
        link = caption.find("a", href=True) if caption else None
        number = _WP_IMAGE_CLASS.search(" ".join(img.get("class") or []))
        found[src] = WpImage(
            src=src, alt=" ".join((img.get("alt") or "").split()),
            caption=" ".join(caption.get_text().split()) if caption else "",
            caption_url=link["href"].strip() if link else "",
            attachment_id=int(number.group(1)) if number else None)
    return list(found.values())
