"""Markdown to safe HTML, done once when text is written."""

from __future__ import annotations

import gc
import re
from collections.abc import Callable
from dataclasses import dataclass

import nh3
from markdown_it import MarkdownIt, rules_inline
from markdown_it.rules_inline import StateInline

from forum.models.limits import NAME_MAX

# Budgets per inline run (a paragraph, a heading, a table cell) that ordinary text never
# reaches. markdown-it-py is pure Python: past them, runs of "[", "![" or "*" cost one
# rule pass per character instead of twenty, a bounded label scan each, or a token each.
LABEL_NESTING = 4  # brackets nested deeper inside a link text count as text
LABEL_FAILURES = 1_000  # "[" that opened no link; after these, "[" is text
EMPHASIS_MARKS = 2_000  # "*" and "_" that may pair; later runs are text

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
# The one class the renderer itself sets: on the links of @mentions.
ALLOWED_CLASSES = {"a": {"mention"}}

InlineRule = Callable[[StateInline, bool], bool]


@dataclass
class _Budget:
    last_close: int
    failed_labels: int = 0
    emphasis_marks: int = 0


def _budget(state: StateInline) -> _Budget:
    """What this inline run has spent, kept on its state (one per run)."""
    budget = getattr(state, "_forum_budget", None)
    if budget is None:
        budget = _Budget(last_close=state.src.rfind("]", 0, state.posMax))
        state._forum_budget = budget
    return budget


def _bounded_label(rule: InlineRule, opener: str) -> InlineRule:
    """The link or image rule, cheap where its label cannot close, nests too deep, or
    where this run has already opened too many labels that led nowhere."""

    def bounded(state: StateInline, silent: bool) -> bool:
        if not state.src.startswith(opener, state.pos):
            return False
        budget = _budget(state)
        if budget.last_close < state.pos or budget.failed_labels >= LABEL_FAILURES:
            return False
        if silent and state.level >= LABEL_NESTING:
            # What markdown-it does at maxNesting: give the rest of the run to this token,
            # so the labels around it stop there instead of rescanning.
            state.pos = state.posMax
            return True
        if rule(state, silent):
            return True
        budget.failed_labels += 1
        return False

    return bounded


def _bounded_emphasis(state: StateInline, silent: bool) -> bool:
    """Emphasis, with the marks past this run's budget kept as plain text."""
    if silent or state.src[state.pos] not in "*_":
        return rules_inline.emphasis.tokenize(state, silent)
    budget = _budget(state)
    length = state.scanDelims(state.pos, state.src[state.pos] == "*").length
    if budget.emphasis_marks + length > EMPHASIS_MARKS:
        state.pending += state.src[state.pos:state.pos + length]
        state.pos += length
        return True
    budget.emphasis_marks += length
    return rules_inline.emphasis.tokenize(state, silent)


def mention_key(name: str) -> str:
    """How a mentioned name is matched: case and runs of spaces do not matter."""
    return " ".join(name.split()).casefold()


def mention_names(source: str) -> set[str]:
    """The keys of every `@[Name]` written in the source, wherever it stands (the
    renderer decides which become links: never those in code)."""
    return {mention_key(name) for name in _MENTION.findall(source) if name.strip()}


_MENTION = re.compile(r"@\[([^\[\]\n]{1," + str(NAME_MAX) + r"})\]")


def _mention(state: StateInline, silent: bool) -> bool:
    """`@[Display Name]` naming a member in the writer's mapping (env["mentions"]: key
    to user id) becomes a link to their profile; any other stays text. Never inside a
    link's text, and never in code (code spans and blocks take their text first)."""
    mentions = state.env.get("mentions") if isinstance(state.env, dict) else None
    if not mentions or not state.src.startswith("@[", state.pos) or state.linkLevel > 0:
        return False
    if state.pos > 0 and state.src[state.pos - 1].isalnum():  # an address, not a mention
        return False
    found = _MENTION.match(state.src, state.pos, state.posMax)
    if found is None:
        return False
    user_id = mentions.get(mention_key(found.group(1)))
    if user_id is None:
        return False
    if not silent:
        token = state.push("link_open", "a", 1)
        token.attrs = {"class": "mention", "href": f"/users/{int(user_id)}"}
        token = state.push("text", "", 0)
        token.content = "@" + " ".join(found.group(1).split())
        state.push("link_close", "a", -1)
    state.pos = found.end()
    return True


def _make_markdown() -> MarkdownIt:
    markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
    markdown.inline.ruler.before("link", "mention", _mention)
    markdown.inline.ruler.at("link", _bounded_label(rules_inline.link, "["))
    markdown.inline.ruler.at("image", _bounded_label(rules_inline.image, "!["))
    markdown.inline.ruler.at("emphasis", _bounded_emphasis)
    return markdown


_markdown = _make_markdown()


def render_markdown(source: str, mentions: dict[str, int] | None = None) -> str:
    """Render Markdown and keep only harmless HTML: no scripts, events or unsafe links.
    With `mentions` (mention_key of a name to a user id), `@[Name]` of those names
    becomes `<a class="mention" href="/users/<id>">@Name</a>`."""
    # The parser makes a token per mark and no reference cycles; the collector's passes
    # over those growing lists were a third of the time for dense text.
    collecting = gc.isenabled()
    gc.disable()
    try:
        html = _markdown.render(source, {"mentions": mentions} if mentions else None)
    finally:
        if collecting:
            gc.enable()
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow ugc",
    )
