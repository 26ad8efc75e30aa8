"""A naive Bayes spam score over comment features, learned from a corpus and from staff."""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from forum.spam.signals import Comment, describe, features

BASE_MODEL_PATH = Path(__file__).with_name("model.json")

SPAM_THRESHOLD = 0.9  # at or above: straight to spam
HOLD_THRESHOLD = 0.5  # at or above (and below SPAM_THRESHOLD): held for review

# One staff decision counts as this many corpus examples: staff see this blog's own
# spam, and three decisions must outweigh a corpus that has never seen the style.
LEARNED_WEIGHT = 10
SMOOTHING = 1.0  # Laplace: a feature never seen with a class still has a small chance
# Only the strongest features vote, as in Graham's filter: a long comment's many weak
# words would otherwise drown its few telling ones, and the score would run to 0 or 1.
TOP_FEATURES = 20
MAX_REASONS = 5
MIN_REASON_WEIGHT = 0.3  # log-odds; weaker features explain nothing to a moderator
HONEYPOT_SCORE = 0.999  # no person fills in a field they cannot see

# Signals the corpus cannot show (it records no timings, accounts or hidden fields),
# given as pseudo-counts of (spam, ham) examples: a judgement, corrected by staff
# decisions, which carry the real signals.
SIGNAL_PRIORS: dict[str, tuple[int, int]] = {
    "sig:honeypot": (60, 0),
    "sig:fast": (40, 3),
    "sig:new_account": (20, 6),
    "sig:burst": (30, 3),
}


@dataclass
class Counts:
    """How many spam and ham examples were seen, and with which features."""

    spam_docs: int = 0
    ham_docs: int = 0
    features: dict[str, tuple[int, int]] = field(default_factory=dict)  # (spam, ham)

    def add(self, features: Iterable[str], is_spam: bool, weight: int = 1) -> None:
        """Count one example (as `weight` of them) with these features."""
        if is_spam:
            self.spam_docs += weight
        else:
            self.ham_docs += weight
        for feature in dict.fromkeys(features):
            spam, ham = self.features.get(feature, (0, 0))
            self.features[feature] = (spam + weight, ham) if is_spam else (spam, ham + weight)

    def get(self, feature: str) -> tuple[int, int]:
        return self.features.get(feature, (0, 0))

    def merged(self, other: Counts) -> Counts:
        """The sum of both, leaving each unchanged."""
        combined = dict(self.features)
        for feature, (spam, ham) in other.features.items():
            old_spam, old_ham = combined.get(feature, (0, 0))
            combined[feature] = (old_spam + spam, old_ham + ham)
        return Counts(self.spam_docs + other.spam_docs, self.ham_docs + other.ham_docs, combined)

    def to_json(self) -> str:
        """Sorted, one feature a line, so a retrained model's diff reads as what changed."""
        lines = [
            f"  {json.dumps(name, ensure_ascii=False)}: [{spam}, {ham}]"
            for name, (spam, ham) in sorted(self.features.items())
        ]
        body = ",\n".join(lines)
        return (
            f'{{\n"spam_docs": {self.spam_docs},\n"ham_docs": {self.ham_docs},\n'
            f'"features": {{\n{body}\n}}\n}}\n'
        )

    @classmethod
    def from_json(cls, text: str) -> Counts:
        data = json.loads(text)
        return cls(
            int(data["spam_docs"]),
            int(data["ham_docs"]),
            {name: (int(spam), int(ham)) for name, (spam, ham) in data["features"].items()},
        )


@dataclass(frozen=True)
class Verdict:
    """A spam score, why, and the features it was computed from (to learn from later)."""

    score: float
    reasons: list[str]
    features: list[str]

    @property
    def outcome(self) -> str:
        """The default thresholds' reading of the score: "spam", "hold" or "clean"."""
        if self.score >= SPAM_THRESHOLD:
            return "spam"
        return "hold" if self.score >= HOLD_THRESHOLD else "clean"


def classify(features: list[str], base: Counts, learned: Counts | None = None) -> Verdict:
    """Score a comment's features. `learned` (staff decisions) needs only the totals and
    the rows of these features; each of its counts weighs LEARNED_WEIGHT times."""
    learned = learned or Counts()
    # Counts below zero can only come from undoing decisions out of order; read them as none.
    spam_docs = max(0, base.spam_docs + LEARNED_WEIGHT * learned.spam_docs)
    ham_docs = max(0, base.ham_docs + LEARNED_WEIGHT * learned.ham_docs)
    weights: list[tuple[float, str]] = []
    for feature in dict.fromkeys(features):
        base_spam, base_ham = base.get(feature)
        learned_spam, learned_ham = learned.get(feature)
        spam = max(0, base_spam + LEARNED_WEIGHT * learned_spam)
        ham = max(0, base_ham + LEARNED_WEIGHT * learned_ham)
        if spam + ham == 0:
            continue  # never seen: it says nothing either way
        p_spam = (spam + SMOOTHING) / (spam_docs + 2 * SMOOTHING)
        p_ham = (ham + SMOOTHING) / (ham_docs + 2 * SMOOTHING)
        weights.append((math.log(p_spam / p_ham), feature))
    # Ties broken by name, so the same features always give the same verdict.
    strongest = sorted(weights, key=lambda w: (-abs(w[0]), w[1]))[:TOP_FEATURES]
    log_odds = sum(weight for weight, _ in strongest)
    score = 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, log_odds))))
    if "sig:honeypot" in features:
        score = max(score, HONEYPOT_SCORE)
    return Verdict(score, _reasons(strongest, score, features), list(features))


def _reasons(strongest: list[tuple[float, str]], score: float, features: list[str]) -> list[str]:
    spammy = score >= HOLD_THRESHOLD
    sign = 1.0 if spammy else -1.0
    pushing = sorted(
        (w for w in strongest if sign * w[0] >= MIN_REASON_WEIGHT), key=lambda w: -sign * w[0]
    )
    names = [name for _, name in pushing]
    if spammy and "sig:honeypot" in features:
        names = ["sig:honeypot", *(n for n in names if n != "sig:honeypot")]
    return list(dict.fromkeys(describe(name) for name in names))[:MAX_REASONS]


def train(examples: Iterable[tuple[Comment, bool]]) -> Counts:
    """Counts over (comment, is_spam) examples, plus the priors of SIGNAL_PRIORS."""
    counts = Counts()
    for comment, is_spam in examples:
        counts.add(features(comment), is_spam)
    for feature, (spam, ham) in SIGNAL_PRIORS.items():
        old_spam, old_ham = counts.get(feature)
        counts.features[feature] = (old_spam + spam, old_ham + ham)
    return counts


@functools.cache
def load_base() -> Counts:
    """The shipped model, read once per process and shared: merge into a copy, never add."""
    return Counts.from_json(BASE_MODEL_PATH.read_text(encoding="utf-8"))
