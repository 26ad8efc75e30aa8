"""Train the shipped model from the corpus of labelled comments and write model.json."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from forum.spam.model import BASE_MODEL_PATH, Counts, train
from forum.spam.signals import Comment

CORPUS_DIR = Path(__file__).with_name("corpus")


def read_examples(path: Path) -> Iterator[tuple[Comment, bool]]:
    """(comment, is_spam) for each line of a JSON Lines file of labelled comments."""
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            if row["label"] not in ("spam", "ham"):
                raise ValueError(f"{path}:{number}: label must be spam or ham")
            comment = Comment(
                body=row["body"],
                author_name=row["author_name"],
                website=row.get("website", ""),
                post_text=row.get("post_text", ""),
                is_guest=row.get("is_guest", True),
            )
            yield comment, row["label"] == "spam"


def corpus(corpus_dir: Path = CORPUS_DIR) -> Iterator[tuple[Comment, bool]]:
    # Sorted, so the counts (and the file written) never depend on the file system.
    for path in sorted(Path(corpus_dir).glob("*.jsonl")):
        yield from read_examples(path)


def retrain(corpus_dir: Path = CORPUS_DIR, out: Path | None = BASE_MODEL_PATH) -> Counts:
    """Train on every *.jsonl file of `corpus_dir` and write the model to `out` (None:
    write nothing). The process's cached base model is not reloaded."""
    counts = train(corpus(corpus_dir))
    if out is not None:
        Path(out).write_text(counts.to_json(), encoding="utf-8")
    return counts
