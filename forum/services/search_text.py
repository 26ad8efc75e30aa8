"""How each database matches, ranks and highlights a parsed query: FTS5 on SQLite,
tsvector and websearch_to_tsquery on PostgreSQL (forum/models/search.py has the index).
Snippets are made for a page's rows only and escaped before any markup is added."""

from __future__ import annotations

import re

from markupsafe import Markup, escape
from sqlalchemy import func, literal_column, select
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from forum.extensions import db
from forum.formats.search_query import Query, pg_pieces, to_fts5
from forum.models import Post, Reply
from forum.models.search import post_vector, posts_fts, replies_fts, reply_vector

# Marks around matched words, put in by the database and turned into <mark> once the
# text around them is escaped. Only a well-formed pair becomes markup; a stray one in
# the text itself is dropped.
_OPEN, _CLOSE = "\x02", "\x03"
_MARKED = re.compile(f"{_OPEN}([^{_OPEN}{_CLOSE}]*){_CLOSE}")
SNIPPET_WORDS = 24


def snippet_markup(marked: str) -> Markup:
    """Text from the index with its matches between the marks: escaped, then the marks
    (only whole pairs) made <mark> elements. Nothing of the text becomes markup."""
    escaped = str(escape(marked or ""))
    html = _MARKED.sub(r"<mark>\1</mark>", escaped)
    return Markup(html.replace(_OPEN, "").replace(_CLOSE, ""))  # noqa: S704 - escaped above


def matchers(dialect: str, query: Query):
    """The text condition and the rank (lower is better) of posts and of replies."""
    if dialect == "postgresql":
        tsquery = _tsquery(query)
        return ((post_vector.op("@@")(tsquery), -func.ts_rank(post_vector, tsquery)),
                (reply_vector.op("@@")(tsquery), -func.ts_rank(reply_vector, tsquery)))
    expression = to_fts5(query)
    posts_table, replies_table = literal_column("search_posts"), literal_column("search_replies")
    return ((posts_table.op("MATCH")(expression), func.bm25(posts_table, 4.0, 1.0, 0.5)),
            (replies_table.op("MATCH")(expression), func.bm25(replies_table)))


def _tsquery(query: Query):
    groups, excluded = pg_pieces(query)

    def piece(text: str):
        return func.websearch_to_tsquery(literal_column("'english'::regconfig"), text)

    def any_of(texts: list[str]):
        result = piece(texts[0])
        for text in texts[1:]:
            result = result.op("||")(piece(text))
        return result

    result = any_of(groups[0])
    for group in groups[1:]:
        result = result.op("&&")(any_of(group))
    if excluded:
        result = result.op("&&")(UnaryExpression(any_of(excluded).self_group(),
                                                 operator=operators.custom_op("!!")))
    return result


def snippets(query: Query, post_ids: list[int], reply_ids: list[int]) -> dict:
    """Highlighted passages of the page's items only: {(is_post, id): marked text}."""
    found: dict[tuple[bool, int], str] = {}
    if db.session.get_bind().dialect.name == "postgresql":
        tsquery = _tsquery(query)
        options = (f"StartSel={_OPEN}, StopSel={_CLOSE}, MaxWords=35, MinWords=12, "
                   "MaxFragments=2, FragmentDelimiter=\" … \"")
        post_text = func.concat_ws(" — ", Post.title, Post.body)
        for is_post, ids, model, text in ((True, post_ids, Post, post_text),
                                          (False, reply_ids, Reply, Reply.body)):
            if ids:
                headline = func.ts_headline(literal_column("'english'::regconfig"), text,
                                            tsquery, options)
                found.update(((is_post, item_id), marked) for item_id, marked in
                             db.session.execute(select(model.id, headline)
                                                .where(model.id.in_(ids))))
        return found
    expression = to_fts5(query)
    for is_post, ids, table, name in ((True, post_ids, posts_fts, "search_posts"),
                                      (False, reply_ids, replies_fts, "search_replies")):
        if ids:
            fts = literal_column(name)
            marked = func.snippet(fts, -1, _OPEN, _CLOSE, "…", SNIPPET_WORDS)
            found.update(((is_post, item_id), text) for item_id, text in db.session.execute(
                select(table.c.rowid, marked).where(fts.op("MATCH")(expression),
                                                   table.c.rowid.in_(ids))))
    return found
