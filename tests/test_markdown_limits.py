"""Any body the forum accepts renders quickly, and ordinary Markdown renders as it always did."""

from __future__ import annotations

import gc
import time

import nh3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from forum.services import markup
from forum.services.markup import render_markdown
from forum.services.validation import BODY_MAX

from .test_security import active_markup

# The shapes: each took 0.3 to 2 s of one worker's time on this machine.
NAMED_SHAPES = {
    "images": "![" * 25_000,
    "brackets": "[" * 50_000,
    "stars": "*" * 49_999 + "x",
    "star words": "*a" * 25_000,
    "open links": "[a](" * 12_500,
}
# Others found while measuring: label scans, destinations, references, nesting.
FOUND_SHAPES = {
    "brackets then one close": "[" * 49_999 + "]",
    "nested images": "[![" * 16_666,
    "open references": "[a][" * 12_500,
    "empty links": "![](" * 12_500,
    "nested brackets": "[" * 25_000 + "]" * 25_000,
    "mixed marks": "*_" * 25_000,
    "underscores": "_*a" * 16_666,
}

# Plain volume: a token per few characters. markdown-it-py needs up to five ordinary posts
# time for these however it is configured; before, up to ten.
VOLUME_SHAPES = {
    "list items": "- a\n" * 12_500,
    "paragraphs": "a\n\n" * 16_666,
    "table cells": "|a|b|c|d|\n|-|-|-|-|\n" + "|a|b|c|d|\n" * 4_990,
    "bracket lines": "[a\n" * 16_666,
}

PARAGRAPH = ("Some *emphasis* and **strong** text with a [link](https://example.com/x) and "
             "`code`, plus an ![image](https://example.com/i.png \"t\") and more words. ")
SECTION = (PARAGRAPH * 3 + "\n\n- item *one*\n- item [two](https://a.example)\n  - nested `x`\n\n"
           "> quote **b**\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n")


def cpu_seconds(source: str) -> float:
    """The worker time one render takes: CPU time, so other processes on a busy machine
    (parallel test runs) do not count, only this render's work."""
    started = time.process_time()
    render_markdown(source)
    return time.process_time() - started


@pytest.fixture(scope="module")
def ordinary_cost() -> float:
    """What an ordinary post of the longest accepted size costs on this machine now."""
    body = ("## A section\n\n" + SECTION) * (BODY_MAX // len(SECTION))
    return min(cpu_seconds(body[:BODY_MAX]) for _ in range(3))


def bound(ordinary_cost: float, times: float) -> float:
    # Relative to an ordinary post so a slower or busier machine moves both alike; never
    # under a floor where the clock's grain would decide.
    return max(0.2, times * ordinary_cost)


@pytest.mark.parametrize("source", [*NAMED_SHAPES.values(), *FOUND_SHAPES.values()],
                         ids=[*NAMED_SHAPES, *FOUND_SHAPES])
def test_pathological_shapes_cost_no_more_than_an_ordinary_post(source, ordinary_cost):
    # Before the budgets these cost 3.5 to 11 ordinary posts; now at most 1.5.
    assert len(source) <= BODY_MAX
    spent = min(cpu_seconds(source) for _ in range(2))
    assert spent < bound(ordinary_cost, 3), f"{spent:.3f} s against {ordinary_cost:.3f} s"


@pytest.mark.parametrize("source", VOLUME_SHAPES.values(), ids=VOLUME_SHAPES)
def test_sheer_volume_costs_no_more_than_a_few_ordinary_posts(source, ordinary_cost):
    assert len(source) <= BODY_MAX
    spent = min(cpu_seconds(source) for _ in range(2))
    assert spent < bound(ordinary_cost, 8), f"{spent:.3f} s against {ordinary_cost:.3f} s"


SYNTAX = [*"[]()!*_`<>#-+&\\|~\n ", "a", "word ", "](", "![", "[a]", "&#", "- ", "> "]


@st.composite
def markdownish(draw) -> str:
    """Runs of Markdown syntax and words, a short unit repeated towards the size limit."""
    unit = "".join(draw(st.lists(st.sampled_from(SYNTAX), min_size=1, max_size=6)))
    prefix = "".join(draw(st.lists(st.sampled_from(SYNTAX), max_size=20)))
    repeat = draw(st.integers(min_value=1, max_value=BODY_MAX // len(unit)))
    return (prefix + unit * repeat)[:BODY_MAX]


@settings(max_examples=25, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(markdownish())
def test_no_generated_body_costs_more_than_a_few_ordinary_posts(ordinary_cost, source):
    # Token volume alone (12,500 list items, 16,000 paragraphs) costs up to about five
    # ordinary posts in markdown-it-py; nothing may cost more than eight.
    spent = cpu_seconds(source)
    assert spent < bound(ordinary_cost, 8), f"{spent:.3f} s for {source[:40]!r}..."


NORMAL = {
    "paragraphs": (
        "First paragraph with *emphasis*, **strong**, ***both*** and _under_ __score__.\n\n"
        "Second line\nwith a soft break and a hard one  \nhere.",
        "<p>First paragraph with <em>emphasis</em>, <strong>strong</strong>, "
        "<em><strong>both</strong></em> and <em>under</em> <strong>score</strong>.</p>\n"
        "<p>Second line\nwith a soft break and a hard one<br>\nhere.</p>\n"),
    "links": (
        "See [the syllabus](https://example.edu/syllabus \"Syllabus\"), "
        "<https://example.edu/auto>, [mail me](mailto:ta@example.edu), [a ref][notes] and "
        "[notes].\n\n[notes]: https://example.edu/notes",
        '<p>See <a href="https://example.edu/syllabus" title="Syllabus" rel="nofollow ugc">'
        'the syllabus</a>, <a href="https://example.edu/auto" rel="nofollow ugc">'
        'https://example.edu/auto</a>, <a href="mailto:ta@example.edu" rel="nofollow ugc">'
        'mail me</a>, <a href="https://example.edu/notes" rel="nofollow ugc">a ref</a> and '
        '<a href="https://example.edu/notes" rel="nofollow ugc">notes</a>.</p>\n'),
    "images": (
        "![A chart](https://example.edu/chart.png \"Figure 1\") and "
        "[![badge](https://example.edu/b.svg)](https://example.edu)",
        '<p><img src="https://example.edu/chart.png" alt="A chart" title="Figure 1"> and '
        '<a href="https://example.edu" rel="nofollow ugc"><img src="https://example.edu/b.svg"'
        ' alt="badge"></a></p>\n'),
    "nested brackets": (
        "A [link with [brackets] inside](https://example.edu/x) and [not a link] and "
        "[[double]](https://e.du).",
        '<p>A <a href="https://example.edu/x" rel="nofollow ugc">link with [brackets] inside'
        '</a> and [not a link] and <a href="https://e.du" rel="nofollow ugc">[double]</a>.</p>\n'),
    "unsafe": (
        "[x](javascript:alert(1)) ![y](data:text/html,hi) <script>alert(1)</script> <b>raw</b>",
        "<p>[x](javascript:alert(1)) ![y](data:text/html,hi) &lt;script&gt;alert(1)&lt;/script"
        "&gt; &lt;b&gt;raw&lt;/b&gt;</p>\n"),
    "code": (
        "Inline `code` and `` a ` tick ``.\n\n```python\ndef f(x):\n    return x < 1 and x > 0\n"
        "```\n\n    indented code",
        "<p>Inline <code>code</code> and <code>a ` tick</code>.</p>\n<pre><code>def f(x):\n"
        "    return x &lt; 1 and x &gt; 0\n</code></pre>\n"
        "<pre><code>indented code\n</code></pre>\n"),
    "lists": (
        "- one\n- two *em*\n  - nested [link](https://example.edu)\n    1. deep\n    2. deeper"
        "\n\n3. three\n4. four",
        '<ul>\n<li>one</li>\n<li>two <em>em</em>\n<ul>\n<li>nested <a href="https://example.edu"'
        ' rel="nofollow ugc">link</a>\n<ol>\n<li>deep</li>\n<li>deeper</li>\n</ol>\n</li>\n'
        '</ul>\n</li>\n</ul>\n<ol start="3">\n<li>three</li>\n<li>four</li>\n</ol>\n'),
    "quote": (
        "> A quotation with **bold**\n> > and a nested one\n\nAfter.",
        "<blockquote>\n<p>A quotation with <strong>bold</strong></p>\n<blockquote>\n<p>and a "
        "nested one</p>\n</blockquote>\n</blockquote>\n<p>After.</p>\n"),
    "headings": (
        "# Title\n\n## Sub *title*\n\nSetext\n======\n\n---\n\n###### Small",
        "<h1>Title</h1>\n<h2>Sub <em>title</em></h2>\n<h1>Setext</h1>\n<hr>\n<h6>Small</h6>\n"),
    "table": (
        "| Name | Score | Note |\n|:-----|------:|:----:|\n| Ada | 9 | *good* |\n"
        "| Bob | 7 | [x](https://e.du) |",
        "<table>\n<thead>\n<tr>\n<th>Name</th>\n<th>Score</th>\n<th>Note</th>\n</tr>\n</thead>\n"
        "<tbody>\n<tr>\n<td>Ada</td>\n<td>9</td>\n<td><em>good</em></td>\n</tr>\n<tr>\n"
        '<td>Bob</td>\n<td>7</td>\n<td><a href="https://e.du" rel="nofollow ugc">x</a></td>\n'
        "</tr>\n</tbody>\n</table>\n"),
    "escapes": (
        "\\*not em\\* \\[not link\\] 1\\. &amp; &copy; &#65; &lt;tag&gt; 5 < 6 & 7 > 3",
        "<p>*not em* [not link] 1. &amp; © A &lt;tag&gt; 5 &lt; 6 &amp; 7 &gt; 3</p>\n"),
    "emphasis edges": (
        "snake_case_name, 2*3*4, **unclosed, *a **b** c*, _a_b_, ~~strike~~",
        "<p>snake_case_name, 2<em>3</em>4, **unclosed, <em>a <strong>b</strong> c</em>, "
        "<em>a_b</em>, ~~strike~~</p>\n"),
}


@pytest.mark.parametrize("source, html", NORMAL.values(), ids=NORMAL)
def test_ordinary_markdown_renders_as_before(source, html):
    assert render_markdown(source) == html


# markdown-it-py as the forum used it before the budgets, for comparison.
_unbounded = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def _unbounded_render(source: str) -> str:
    return nh3.clean(_unbounded.render(source), tags=markup.ALLOWED_TAGS,
                     attributes=markup.ALLOWED_ATTRIBUTES, url_schemes=markup.URL_SCHEMES,
                     link_rel="nofollow ugc")


PIECES = ["word", "two words", "*em*", "**strong**", "_under_", "***both***", "`code`",
          "[link](https://example.edu/a)", "![img](https://example.edu/i.png \"t\")",
          "[ref]", "[x][ref]", "[see [inner] text](https://e.du)", "<https://e.du>",
          "\\*", "&amp;", "&#65;", "[not a link]", "a*b*c", "snake_case", "*", "_", "[", "]",
          "(", ")", "!", "<", ">", "&"]
BLOCKS = ["", "# ", "## ", "- ", "1. ", "> ", "    ", "| "]


@settings(max_examples=150, deadline=None, database=None, derandomize=True)
@given(st.lists(st.tuples(st.sampled_from(BLOCKS),
                          st.lists(st.sampled_from(PIECES), min_size=1, max_size=8)),
                min_size=1, max_size=12),
       st.booleans())
def test_ordinary_markdown_renders_exactly_as_markdown_it_does(blocks, with_reference):
    lines = [prefix + " ".join(pieces) for prefix, pieces in blocks]
    if with_reference:
        lines.append("\n[ref]: https://example.edu/ref")
    source = "\n".join(lines)
    assert render_markdown(source) == _unbounded_render(source)


def test_past_its_budget_a_paragraph_keeps_its_text():
    # The budgets are far beyond ordinary writing; past them the marks stay as text.
    source = "*" * 3_000 + "x" + "*" * 3_000 + " [a]" * 1_200 + " [ok](https://e.du)"
    html = render_markdown(source)
    assert html.startswith("<p>" + "*" * 3_000 + "x" + "*" * 3_000 + " [a] [a]")
    assert html.endswith(" [ok](https://e.du)</p>\n")


def test_brackets_nest_four_deep_inside_a_link_text():
    assert render_markdown("[[[[x]]]](https://e.du)") == (
        '<p><a href="https://e.du" rel="nofollow ugc">[[[x]]]</a></p>\n')
    assert render_markdown("[[[[[x]]]]](https://e.du)") == "<p>[[[[[x]]]]](https://e.du)</p>\n"


def test_a_pathological_reply_through_the_api_is_stored_quickly_and_shown_safely(
        world, api, ordinary_cost):
    body = "![" * 12_000 + "[x](javascript:alert(1))" + "*a" * 12_000 + "<script>x</script>"
    assert len(body) <= BODY_MAX
    gc.collect()  # the garbage of earlier tests is not this request's work
    gc.disable()
    try:
        started = time.process_time()
        response = api.post(world.student, f"/api/v1/posts/{world.post.id}/replies",
                            {"body": body})
        spent = time.process_time() - started
    finally:
        gc.enable()
    assert response.status_code == 201, response.get_json()
    assert spent < bound(ordinary_cost, 4), f"{spent:.3f} s"
    reply = response.get_json()
    assert reply["body"] == body
    assert active_markup(reply["body_html"]) == []
    assert "<script>" not in reply["body_html"]
    thread = api.get(world.classmate, f"/api/v1/posts/{world.post.id}/thread").get_json()
    assert any(r["body_html"] == reply["body_html"] for r in thread["replies"])
