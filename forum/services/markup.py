"""Markdown to safe HTML, done once when text is written."""

from __future__ import annotations

import gc
from collections.abc import Callable

import nh3
from markdown_it import MarkdownIt, rules_inline
from markdown_it.rules_inline import StateInline

# How deep brackets may nest inside a link text before the inner ones count as text.
# markdown-it's own limit (maxNesting, 20) also bounds lists and quotes; at 20 a run
# of "[" or "![" costs about twenty rule passes per character (a second for 50,000).
LABEL_NESTING = 4

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4",
    "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "strong", "sub", "sup",
    "table", "tbody", "td", "th", "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "td": {"align"},
    "th": {"align"},
}
URL_SCHEMES = {"http", "https", "mailto"}

InlineRule = Callable[[StateInline, bool], bool]


def _last_close(state: StateInline) -> int:
    """Where the last "]" of this inline run is, found once per run."""
    found = getattr(state, "_forum_last_close", None)
    if found is None:
        found = state.src.rfind("]", 0, state.posMax)
        state._forum_last_close = found
    return found


def _bounded(rule: InlineRule) -> InlineRule:
    """The link or image rule, made cheap where its label cannot close or nests too deep."""

    def bounded(state: StateInline, silent: bool) -> bool:
        if _last_close(state) < state.pos:
            return False  # no "]" ahead: no label, whatever comes after
        if silent and state.level >= LABEL_NESTING and state.src[state.pos] in "[!":
            # What markdown-it does at maxNesting: give the rest of the run to this token,
            # so the labels around it stop there instead of rescanning.
            state.pos = state.posMax
            return True
        return rule(state, silent)

    return bounded


def _make_markdown() -> MarkdownIt:
    markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
    markdown.inline.ruler.at("link", _bounded(rules_inline.link))
    markdown.inline.ruler.at("image", _bounded(rules_inline.image))
    return markdown


_markdown = _make_markdown()


def render_markdown(source: str) -> str:
    """Render Markdown and keep only harmless HTML: no scripts, events or unsafe links."""
    # The parser makes a token per mark and no reference cycles; the collector's passes
    # over those growing lists were a third of the time for dense text.
    collecting = gc.isenabled()
    gc.disable()
    try:
        html = _markdown.render(source)
    finally:
        if collecting:
            gc.enable()
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow ugc",
    )
