"""The search box's language: what users type, as each database is asked it."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from forum.formats.search_query import QUERY_MAX, describe, parse, pg_pieces, to_fts5


def test_words_phrases_exclusions_and_or():
    query = parse('treaty "Upper Silesia" -draft armistice OR ceasefire')
    assert to_fts5(query) == ('("treaty" AND "upper silesia" AND ("armistice" OR "ceasefire"))'
                              ' NOT ("draft")')
    assert pg_pieces(query) == ([["treaty"], ['"upper silesia"'], ["armistice", "ceasefire"]],
                                ["draft"])
    assert describe(query) == 'treaty "upper silesia" armistice OR ceasefire -draft'


def test_author_is_a_filter_not_a_word():
    query = parse('moderate author:"Ben  Carter"')
    assert query.author == "Ben Carter" and to_fts5(query) == '"moderate"'
    assert parse("author:Ana treaty").author == "Ana"


def test_operators_of_the_engines_are_only_punctuation():
    for typed, words in (("NEAR(a b)", ["near", "a", "b"]), ("body:treaty", ["body", "treaty"]),
                         ("^treaty*", ["treaty"]), ("a AND b", ["a", "and", "b"]),
                         ('"unbalanced phrase', ["unbalanced", "phrase"]),
                         ("!!x & y | z", ["x", "y", "z"])):
        assert parse(typed).words() == words, typed


def test_nothing_to_find():
    for typed in ("", "   ", '"', "-", "OR", "OR OR", "***", "-treaty", "\x00"):
        query = parse(typed)
        assert query.is_empty and to_fts5(query) is None, typed
    assert parse("-treaty").notes  # says why nothing was searched


def test_limits():
    query = parse(" ".join(f"w{n}" for n in range(40)))
    assert len(query.words()) == 12 and query.notes
    assert len(parse("x" * (QUERY_MAX * 3)).words()[0]) == QUERY_MAX


@given(st.text(max_size=300))
def test_any_text_gives_a_safe_fts5_expression(typed):
    expression = to_fts5(parse(typed))
    if expression is None:
        return
    # Only quoted runs of letters and digits, the operators and brackets between them.
    leftover = re.sub(r'"[^\W_]+(?: [^\W_]+)*"', "", expression)
    assert set(leftover.replace("AND", "").replace("OR", "").replace("NOT", "")) <= set("() ")
