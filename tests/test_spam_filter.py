"""The spam filter: held-out accuracy, a current model, learning from staff, reasons, bounds."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from forum.spam.model import (
    BASE_MODEL_PATH,
    HOLD_THRESHOLD,
    SPAM_THRESHOLD,
    Counts,
    classify,
    load_base,
)
from forum.spam.signals import (
    MAX_FEATURE_LENGTH,
    MAX_FEATURES,
    REASONS,
    Comment,
    describe,
    features,
)
from forum.spam.train import CORPUS_DIR, corpus, read_examples, retrain

HELDOUT = Path(__file__).parent / "data" / "spam_heldout.jsonl"

VERSAILLES = (
    "Was the Treaty of Versailles too harsh? The reparations clause and Article 231 left "
    "Germany owing 132 billion gold marks. Keynes called it a Carthaginian peace, but Sally "
    "Marks argues the burden was payable and that Germany chose not to pay."
)


def score(comment: Comment, learned: Counts | None = None) -> float:
    return classify(features(comment), load_base(), learned).score


def share(scores: list[float], threshold: float) -> float:
    return sum(s >= threshold for s in scores) / len(scores)


def test_heldout_spam_is_caught_and_genuine_comments_are_not():
    examples = list(read_examples(HELDOUT))
    spam = [score(comment) for comment, is_spam in examples if is_spam]
    genuine = [score(comment) for comment, is_spam in examples if not is_spam]
    assert len(spam) >= 45 and len(genuine) >= 45
    figures = (
        f"held-out: {len(spam)} spam, {len(genuine)} genuine; "
        f"spam caught (>= {SPAM_THRESHOLD}) {share(spam, SPAM_THRESHOLD):.0%}, "
        f"spam not published (>= {HOLD_THRESHOLD}) {share(spam, HOLD_THRESHOLD):.0%}; "
        f"genuine marked spam {share(genuine, SPAM_THRESHOLD):.0%}, "
        f"genuine held {share(genuine, HOLD_THRESHOLD) - share(genuine, SPAM_THRESHOLD):.0%}"
    )
    print(figures)
    assert share(spam, SPAM_THRESHOLD) >= 0.90, figures
    assert share(genuine, SPAM_THRESHOLD) <= 0.05, figures


def test_heldout_set_is_not_drawn_from_the_corpus():
    def words(text: str) -> set[str]:
        return set(re.findall(r"\w+", text.lower()))

    trained = [words(comment.body) for comment, _ in corpus()]
    for comment, _ in read_examples(HELDOUT):
        held = words(comment.body)
        closest = max(len(held & t) / len(held | t) for t in trained)
        assert closest < 0.5, comment.body


def test_corpus_is_large_and_varied_enough():
    rows = [
        json.loads(line)
        for path in CORPUS_DIR.glob("*.jsonl")
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    spam = [row for row in rows if row["label"] == "spam"]
    genuine = [row for row in rows if row["label"] == "ham"]
    assert len(spam) >= 150 and len(genuine) >= 150
    assert len({row["lang"] for row in spam}) >= 3
    assert len({row["style"] for row in spam}) >= 10


def test_shipped_model_is_what_the_corpus_trains(tmp_path):
    out = tmp_path / "model.json"
    counts = retrain(out=out)
    assert out.read_bytes() == BASE_MODEL_PATH.read_bytes(), "run forum.spam.train.retrain()"
    assert counts == load_base()
    assert BASE_MODEL_PATH.stat().st_size < 500_000


def test_counts_round_trip_and_merge_without_changing_either():
    one = Counts(2, 1, {"casino": (2, 0), "sig:guest": (2, 1)})
    two = Counts(0, 3, {"sig:guest": (0, 1), "treaty": (0, 3)})
    assert Counts.from_json(one.to_json()) == one
    merged = one.merged(two)
    assert merged == Counts(2, 4, {"casino": (2, 0), "sig:guest": (2, 2), "treaty": (0, 3)})
    assert one == Counts(2, 1, {"casino": (2, 0), "sig:guest": (2, 1)})
    one.add(["casino", "casino", "bonus"], is_spam=True, weight=3)
    assert one == Counts(5, 1, {"casino": (5, 0), "sig:guest": (2, 1), "bonus": (3, 0)})


# A style the corpus has never seen: "restitution" offers aimed at heirs, written by
# members, on the post's own topic, with no link, website or contact details.
RESTITUTION = [
    "If your family lost property in Germany after the Versailles treaty, our restitution "
    "office can recover compensation for the heirs. Reply here and a caseworker will explain "
    "the claim.",
    "Heirs of families ruined by the 1923 inflation may be owed compensation today. Our "
    "restitution caseworkers handle the whole claim, just reply with your family name.",
    "Did your grandparents lose savings or land under the treaty? A restitution claim for "
    "heirs is still possible, and our caseworker will check your family case for you.",
]
RESTITUTION_NEW = (
    "Many heirs never claim the compensation owed for property lost after 1919. Leave your "
    "family name and our restitution caseworker will see if your claim qualifies."
)


def member_comment(body: str, name: str) -> Comment:
    return Comment(body, name, post_text=VERSAILLES, is_guest=False, account_age_days=30)


def test_three_staff_decisions_teach_a_new_style_of_spam():
    fresh = member_comment(RESTITUTION_NEW, "Selma Ruiz")
    assert score(fresh) < SPAM_THRESHOLD  # the corpus alone lets it through
    learned = Counts()
    for body, name in zip(RESTITUTION, ["Hannah Moss", "Lydia Crane", "Mara Vance"], strict=True):
        verdict = classify(features(member_comment(body, name)), load_base(), learned)
        learned.add(verdict.features, is_spam=True)
    verdict = classify(features(fresh), load_base(), learned)
    assert verdict.score >= SPAM_THRESHOLD, verdict
    assert {'the word "restitution"', 'the word "heirs"'} & set(verdict.reasons)


def test_marking_a_genuine_comment_as_ham_lowers_its_score():
    comment = Comment(
        "I wrote about the London conference of 1921 on my own site last spring; the schedule "
        "of payments was revised twice before the Dawes plan.",
        "Harold Benning",
        website="https://harold-benning-notes.net",
        post_text=VERSAILLES,
    )
    verdict = classify(features(comment), load_base())
    learned = Counts()
    learned.add(verdict.features, is_spam=False)
    after = classify(features(comment), load_base(), learned).score
    assert after < verdict.score
    assert after < HOLD_THRESHOLD


def test_learned_counts_need_only_the_rows_of_the_comment():
    learned = Counts()
    for body in RESTITUTION:
        learned.add(features(member_comment(body, "Someone")), is_spam=True)
    learned.add(features(Comment("Good point on Keynes.", "Ann", post_text=VERSAILLES)), False)
    found = features(member_comment(RESTITUTION_NEW, "Selma Ruiz"))
    rows = {f: learned.features[f] for f in found if f in learned.features}
    fetched = Counts(learned.spam_docs, learned.ham_docs, rows)
    assert classify(found, load_base(), fetched) == classify(found, load_base(), learned)


def test_domain_name_and_two_links_are_named():
    comment = Comment(
        "Helpful! More at https://essay-deals-now.com/history and https://essay-deals-now.com/a",
        "essay-deals-now.com",
        post_text=VERSAILLES,
    )
    verdict = classify(features(comment), load_base())
    assert verdict.score >= SPAM_THRESHOLD
    assert "author name looks like a domain" in verdict.reasons
    assert any(reason.startswith("2 or more links") for reason in verdict.reasons)
    assert 3 <= len(verdict.reasons) <= 5


def test_an_on_topic_comment_is_explained_by_its_overlap():
    comment = Comment(
        "Marks is right that the reparations were payable, but Keynes saw how the war guilt "
        "clause would be used against the republic.",
        "Ingrid Solberg",
        post_text=VERSAILLES,
        is_guest=False,
    )
    verdict = classify(features(comment), load_base())
    assert verdict.score < HOLD_THRESHOLD
    assert REASONS["sig:overlap:some"] in verdict.reasons


def test_a_filled_honeypot_is_spam_whatever_the_text():
    honest = Comment("Good point about the reparations clause.", "Priya", post_text=VERSAILLES)
    assert score(honest) < HOLD_THRESHOLD
    trapped = Comment(honest.body, honest.author_name, post_text=VERSAILLES, honeypot_filled=True)
    verdict = classify(features(trapped), load_base())
    assert verdict.score >= SPAM_THRESHOLD
    assert verdict.reasons[0] == "filled in a field hidden from people"


def test_how_it_arrived_counts():
    body = "Thanks for writing this, it made me think."
    calm = Comment(body, "Jo", post_text=VERSAILLES, seconds_to_submit=90, recent_comments=0)
    rushed = Comment(body, "Jo", post_text=VERSAILLES, seconds_to_submit=2, recent_comments=5)
    assert {"sig:fast", "sig:burst"} <= set(features(rushed))
    assert not {"sig:fast", "sig:burst"} & set(features(calm))
    assert score(rushed) > score(calm)


@pytest.mark.parametrize(
    ("feature", "reason"),
    [
        ("sig:overlap:none", "shares no words with the post"),
        ("sig:name:domain", "author name looks like a domain"),
        ("sig:links:2+", "2 or more links to sites that are not known sources"),
        ("sig:link_domain:cheap-essays.net", "links to cheap-essays.net"),
        ("sig:praise", "generic praise"),
        ("sig:honeypot", "filled in a field hidden from people"),
        ("sig:fast", "submitted seconds after the form was shown"),
        ("casino", 'the word "casino"'),
        ("name:casino", 'the author name contains "casino"'),
    ],
)
def test_features_read_as_reasons(feature, reason):
    assert describe(feature) == reason


def test_every_signal_the_corpus_shows_has_a_reason():
    seen = {f for comment, _ in corpus() for f in features(comment) if f.startswith("sig:")}
    assert not [f for f in seen if describe(f).startswith("sig:")]


def test_signals_of_a_typical_spam_comment():
    comment = Comment(
        "Great post, thanks for sharing! I will share this with my friends. Visit "
        "cheap-essays.net or https://www.cheap-essays.net/order",
        "Best Essay Writers in London",
        website="https://cheap-essays.net",
        post_text=VERSAILLES,
    )
    found = features(comment)
    for expected in [
        "sig:guest",
        "sig:links:2+",
        "sig:link_domain:cheap-essays.net",
        "sig:website",
        "sig:overlap:none",
        "sig:praise",
        "sig:share_request",
        "sig:name:business",
        "sig:name:place",
    ]:
        assert expected in found
    assert "sig:name:domain" not in found
    assert score(comment) >= SPAM_THRESHOLD


def test_words_of_other_scripts_are_tokens():
    found = features(Comment("Лучшее КАЗИНО онлайн! 最好的在线赌场", "Иван"))
    assert {"казино", "онлайн", "在线", "赌场", "name:иван"} <= set(found)


def test_features_are_deterministic_and_deduplicated():
    comment = Comment(
        "The treaty, the treaty and again THE TREATY: reparations! https://archive.org/x",
        "Lena",
        post_text=VERSAILLES,
    )
    first = features(comment)
    assert first == features(comment)
    assert len(first) == len(set(first))
    assert first.count("treaty") == 1


def test_learned_counts_below_zero_do_not_break_a_verdict():
    found = features(Comment("Good point about the reparations clause.", "Priya"))
    undone = Counts(-1, 0, {feature: (-2, 0) for feature in found})
    assert 0.0 <= classify(found, Counts(), undone).score <= 1.0


def test_an_empty_comment_is_scored():
    verdict = classify(features(Comment("", "")), load_base())
    assert 0.0 <= verdict.score <= 1.0
    assert classify([], Counts()).score == 0.5


@pytest.mark.parametrize(
    "body",
    [
        " ".join(f"word{i} casino treaty" for i in range(5_000)) + " https://spam.example.com",
        "a." * 25_000,  # one endless "address" for the link and email patterns
        "1-" * 25_000,
        "é" * 50_000,
        "中文字" * 16_667,
        "a@b." * 12_500,
    ],
    ids=["words", "dots", "digits", "accents", "cjk", "at-signs"],
)
def test_a_huge_comment_stays_cheap_and_bounded(body):
    body = body[:50_000]
    assert len(body) == 50_000
    load_base()  # read once per process, not per comment
    started = time.process_time()
    found = features(Comment(body, body[:80], website=body[:200], post_text=body))
    verdict = classify(found, load_base())
    spent = time.process_time() - started
    assert spent < 0.5, f"{spent:.3f} s of CPU"
    assert len(found) <= MAX_FEATURES
    assert max(map(len, found)) <= MAX_FEATURE_LENGTH
    assert {"sig:guest", "sig:website"} <= set(found)
    assert verdict.features == found


def test_features_are_capped_and_signals_survive_the_cap():
    body = " ".join(f"word{i}" for i in range(5_000)) + " https://cheap-essays.net"
    found = features(Comment(body, "Big Talker", post_text=VERSAILLES))
    assert len(found) == MAX_FEATURES
    assert {"sig:guest", "sig:links:1", "sig:link_domain:cheap-essays.net", "sig:long"} <= set(
        found
    )
    assert "word0" in found and "word4999" not in found
