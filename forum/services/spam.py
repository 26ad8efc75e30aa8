"""The spam filter's verdicts and the site's learning: the shipped model (forum/spam)
plus what staff decisions taught it, stored in the database for every worker and host."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from forum.extensions import db
from forum.models import Course, Moderation, SpamCheck, SpamFeature
from forum.spam.model import Counts, Verdict, classify, load_base
from forum.spam.signals import Comment, features

TOTALS = ""  # the row that counts the decisions themselves
FEATURE_MAX = 200  # the column's width; longer features are cut to it


def _stored(feature: str) -> str:
    return feature[:FEATURE_MAX]


def learned_counts(names: list[str]) -> Counts:
    """What staff taught about just these features, and the totals of decisions."""
    wanted = {_stored(name) for name in names} | {TOTALS}
    rows = db.session.execute(
        select(SpamFeature.feature, SpamFeature.spam, SpamFeature.ham)
        .where(SpamFeature.feature.in_(sorted(wanted)))).all()
    counts = {feature: (spam, ham) for feature, spam, ham in rows}
    spam_docs, ham_docs = counts.pop(TOTALS, (0, 0))
    by_name = {name: counts[_stored(name)] for name in names if _stored(name) in counts}
    return Counts(spam_docs=spam_docs, ham_docs=ham_docs, features=by_name)


def judge(comment: Comment) -> Verdict:
    """Score a comment with the shipped model and the site's learning."""
    names = features(comment)
    return classify(names, load_base(), learned_counts(names))


def state_for(verdict: Verdict, course: Course, *, hold_all: bool) -> Moderation:
    """Where a scored comment goes: spam at or above the course's spam threshold;
    held when everything waits (`hold_all`) or from the hold threshold up; else
    published."""
    if verdict.score >= course.spam_threshold:
        return Moderation.SPAM
    if hold_all or verdict.score >= course.hold_threshold:
        return Moderation.PENDING
    return Moderation.PUBLISHED


def record(reply_id: int, verdict: Verdict) -> SpamCheck:
    """Keep the verdict beside the reply (added to the session, not committed)."""
    check = SpamCheck(reply_id=reply_id, score=round(verdict.score, 4),
                      reasons=list(verdict.reasons), features=list(verdict.features))
    db.session.add(check)
    return check


def learn(check: SpamCheck, is_spam: bool) -> None:
    """Teach the site's model a staff decision on a checked comment, once; a changed
    mind takes the earlier lesson back first. Runs inside the caller's unit of work."""
    label = "spam" if is_spam else "ham"
    if check.learned == label:
        return
    if check.learned is not None:
        _add(check.features, check.learned == "spam", -1)
    _add(check.features, is_spam, 1)
    check.learned = label


def _add(names: list[str], is_spam: bool, step: int) -> None:
    column = "spam" if is_spam else "ham"
    rows = [{"feature": name, "spam": 0, "ham": 0, column: max(step, 0)}
            for name in sorted({_stored(n) for n in names} | {TOTALS})]
    insert = (postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert)
    statement = insert(SpamFeature).values(rows)
    target = getattr(SpamFeature, column)
    db.session.execute(statement.on_conflict_do_update(
        index_elements=[SpamFeature.feature],
        set_={column: target + step}))
