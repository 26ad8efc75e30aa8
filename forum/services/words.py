"""Words in a text as a reader counts them, computed once when the text is written."""

from __future__ import annotations

import re

# A word has at least one letter or digit: Markdown's marks standing alone (`-`, `*`,
# `>`, `#`, `|`, `---`, `**`) and lone punctuation (`—`, `&`) are not words.
_HAS_LETTER_OR_DIGIT = re.compile(r"[^\W_]")
# An ordered list's marker (`1.` or `1)`) opening a line is numbering, not a word.
_LIST_NUMBER = re.compile(r"^\s*\d{1,9}[.)](?=\s|$)", re.MULTILINE)


def count_words(text: str | None) -> int:
    """The number of words in a Markdown text: pieces separated by any whitespace (spaces,
    line breaks, tabs) that hold at least one letter or digit, so `well-known`, `1919`,
    `**bold**` and `[Keynes](https://…)` count once each, while list bullets, quote and
    heading marks, table pipes, rules and the numbers of an ordered list do not."""
    if not text:
        return 0
    text = _LIST_NUMBER.sub(" ", text)
    return sum(1 for token in text.split() if _HAS_LETTER_OR_DIGIT.search(token))
