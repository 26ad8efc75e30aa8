"""The search box's query language, read once and written for each database.

Users type words, "phrases", -exclusions and OR between alternatives (`treaty OR
armistice`), plus `author:Name` (or `author:"Full Name"`). Everything else (`*`, `^`,
`NEAR(`, `body:`, brackets, stray quotes) is only punctuation between words: a query can
never be a syntax error. `parse` turns the text into a `Query`; `to_fts5` writes it as an
SQLite FTS5 expression in which every term is quoted, and `pg_pieces` as the phrases
PostgreSQL's websearch_to_tsquery reads one at a time, so that both databases match the
same thing (OR binds tighter than the implicit AND, as in web search engines).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

QUERY_MAX = 200  # characters of a query; longer input is refused by the doors
TERMS_MAX = 12  # phrases a query may hold (positive and excluded), the rest is dropped
WORDS_MAX = 8  # words of one phrase

# Words as the databases' tokenizers split them (letters and digits, any script).
_WORD = re.compile(r"[^\W_]+")
_TOKEN = re.compile(r'(-?)(?:(author):)?(?:"([^"]*)"?|(\S+))', re.IGNORECASE)


@dataclass(frozen=True)
class Query:
    """A parsed query: groups that must all match, each a list of alternative phrases
    (a phrase is a tuple of words); phrases that must not match; an author's name."""

    groups: tuple[tuple[tuple[str, ...], ...], ...] = ()
    excluded: tuple[tuple[str, ...], ...] = ()
    author: str | None = None
    notes: list[str] = field(default_factory=list, compare=False)

    @property
    def is_empty(self) -> bool:
        """Nothing to match: no positive term (only exclusions cannot be searched)."""
        return not self.groups

    def words(self) -> list[str]:
        return [word for group in self.groups for phrase in group for word in phrase]


def _phrase(text: str) -> tuple[str, ...]:
    return tuple(word.lower() for word in _WORD.findall(text))[:WORDS_MAX]


def parse(text: str) -> Query:
    """Read a query typed by a user. Never fails: what is not syntax is words."""
    text = (text or "").replace("\x00", " ")[:QUERY_MAX]
    groups: list[list[tuple[str, ...]]] = []
    excluded: list[tuple[str, ...]] = []
    author: str | None = None
    notes: list[str] = []
    pending_or = False
    count = 0
    for match in _TOKEN.finditer(text):
        minus, is_author, quoted, bare = match.groups()
        raw = quoted if quoted is not None else bare
        if is_author and not minus:
            name = " ".join(raw.split())
            if name:
                author = name
            continue
        if quoted is None and not minus and bare == "OR":
            pending_or = bool(groups)
            continue
        phrase = _phrase(raw)
        if is_author:  # -author:… is not a filter; keep its words as an exclusion
            phrase = _phrase(f"author {raw}")
        if not phrase:
            continue
        if count >= TERMS_MAX:
            notes.append(f"Only the first {TERMS_MAX} terms were searched.")
            break
        count += 1
        if minus:
            excluded.append(phrase)
            pending_or = False
        elif pending_or:
            groups[-1].append(phrase)
            pending_or = False
        else:
            groups.append([phrase])
    if excluded and not groups:
        notes.append("Add a word to find: a search of only -exclusions finds nothing.")
    return Query(tuple(tuple(group) for group in groups), tuple(excluded), author, notes)


def _fts5_phrase(phrase: tuple[str, ...]) -> str:
    # The words hold only letters and digits, so quoting cannot be escaped from; a
    # quoted string is a phrase in FTS5, never an operator, column or prefix.
    return '"' + " ".join(phrase) + '"'


def to_fts5(query: Query) -> str | None:
    """The query as an FTS5 MATCH expression, or None when nothing can match."""
    if query.is_empty:
        return None
    parts = []
    for group in query.groups:
        alternatives = " OR ".join(_fts5_phrase(phrase) for phrase in group)
        parts.append(f"({alternatives})" if len(group) > 1 else alternatives)
    expression = " AND ".join(parts)
    if query.excluded:
        others = " OR ".join(_fts5_phrase(phrase) for phrase in query.excluded)
        expression = f"({expression}) NOT ({others})"
    return expression


def pg_pieces(query: Query) -> tuple[list[list[str]], list[str]]:
    """The query for PostgreSQL: groups of alternative phrases and excluded phrases, each
    a string for websearch_to_tsquery (a quoted phrase, or one word)."""
    def text(phrase: tuple[str, ...]) -> str:
        return phrase[0] if len(phrase) == 1 else '"' + " ".join(phrase) + '"'

    return ([[text(p) for p in group] for group in query.groups],
            [text(p) for p in query.excluded])


def describe(query: Query) -> str:
    """The query as it was understood, in its own syntax (shown above the results)."""
    def text(phrase: tuple[str, ...]) -> str:
        return phrase[0] if len(phrase) == 1 else '"' + " ".join(phrase) + '"'

    parts = [" OR ".join(text(p) for p in group) for group in query.groups]
    parts += [f"-{text(p)}" for p in query.excluded]
    if query.author:
        parts.append(f'author:"{query.author}"')
    return " ".join(parts)
