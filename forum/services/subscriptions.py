"""Following and muting (a post's thread, a discussion, a course), and each person's
choice of email delivery per kind of notification, digest hour and time zone.

Authors follow their own posts without asking (forum/services/notifying.py counts the
post's author among its thread's people); following is for anyone else who may read
the thing followed, and muting a thread or discussion silences what following would
bring (prompts, mentions and grades still come).
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import available_timezones

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, select

from forum.access import Actor, can_view_course, can_view_discussion, can_view_post
from forum.access.notifications import hears_of_held_comments
from forum.errors import Invalid, NotFound, PermissionDenied
from forum.extensions import db
from forum.models import (
    Course,
    Delivery,
    Discussion,
    EventKind,
    Post,
    Preference,
    Subscription,
    SubscriptionLevel,
    User,
)
from forum.models.notifications import DEFAULT_DELIVERY, KIND_LABELS
from forum.transactions import writes

TARGETS = {"post": Post, "discussion": Discussion, "course": Course}
LEVELS = ("follow", "mute", "none")
_UNSUBSCRIBE_SALT = "forum-unsubscribe"


def _readable(actor: Actor, thing: Post | Discussion | Course) -> bool:
    if isinstance(thing, Post):
        return can_view_post(actor, thing)
    if isinstance(thing, Discussion):
        return can_view_discussion(actor, thing)
    return can_view_course(actor, thing)


def _target_name(thing: Post | Discussion | Course) -> str:
    return next(name for name, model in TARGETS.items() if isinstance(thing, model))


def subscription_level(actor: Actor, thing: Post | Discussion | Course) -> str:
    """"follow", "mute" or "none" (an author's own post follows unless muted)."""
    if not actor.is_authenticated:
        return "none"
    known = getattr(thing, "viewer_follows", None)  # loaded with a post for its page
    if known is not None:
        level = SubscriptionLevel(known) if known else None
    else:
        level = db.session.scalar(select(Subscription.level).where(
            Subscription.user_id == actor.id, Subscription.target == _target_name(thing),
            Subscription.target_id == thing.id))
    if level is None and isinstance(thing, Post) and thing.author_id == actor.id:
        return "follow"
    return level.value if level is not None else "none"


@writes
def set_subscription(actor: Actor, thing: Post | Discussion | Course, level: str) -> str:
    """Follow, mute or leave alone something the actor may read.
    Raises NotFound, PermissionDenied, Invalid."""
    if not _readable(actor, thing):
        raise NotFound("Nothing you can read has this id.")
    if not actor.is_authenticated:
        raise PermissionDenied("Log in to follow discussions.")
    if level not in LEVELS:
        raise Invalid({"level": [f"Choose one of {', '.join(LEVELS)}."]})
    target = _target_name(thing)
    existing = db.session.scalar(select(Subscription).where(
        Subscription.user_id == actor.id, Subscription.target == target,
        Subscription.target_id == thing.id))
    if level == "none":
        if existing is not None:
            db.session.delete(existing)
    elif existing is None:
        db.session.add(Subscription(user_id=actor.id, target=target, target_id=thing.id,
                                    level=SubscriptionLevel(level)))
    else:
        existing.level = SubscriptionLevel(level)
    db.session.commit()
    return level


# Delivery choices


@dataclass(frozen=True)
class Choices:
    deliveries: dict[EventKind, Delivery]
    timezone: str
    digest_hour: int


def choices_of(actor: Actor) -> Choices:
    chosen = dict(db.session.execute(select(Preference.kind, Preference.delivery).where(
        Preference.user_id == actor.id)).all())
    deliveries = {kind: chosen.get(kind, DEFAULT_DELIVERY[kind]) for kind in EventKind}
    return Choices(deliveries, actor.timezone, actor.digest_hour)


def _clean_choices(deliveries: dict | None, timezone: str | None, digest_hour) -> tuple:
    errors: dict[str, list[str]] = {}
    cleaned: dict[EventKind, Delivery] = {}
    for key, value in (deliveries or {}).items():
        try:
            cleaned[EventKind(key)] = Delivery(value)
        except ValueError:
            errors.setdefault("deliveries", []).append(
                f"{key}: choose immediate, digest or never for one of "
                f"{', '.join(k.value for k in EventKind)}.")
    if timezone is not None and timezone not in available_timezones():
        errors["timezone"] = ["Choose a time zone such as Europe/Paris or America/Chicago."]
    if digest_hour is not None and (not isinstance(digest_hour, int) or isinstance(
            digest_hour, bool) or not 0 <= digest_hour <= 23):
        errors["digest_hour"] = ["Choose an hour from 0 to 23."]
    if errors:
        raise Invalid(errors)
    return cleaned, timezone, digest_hour


@writes
def set_choices(actor: Actor, *, deliveries: dict | None = None, timezone: str | None = None,
                digest_hour: int | None = None) -> Choices:
    """Change how the actor is mailed: per kind, and when the digest comes.
    Raises Invalid (and changes nothing)."""
    if not actor.is_authenticated:
        raise PermissionDenied("Log in to choose your notifications.")
    cleaned, timezone, digest_hour = _clean_choices(deliveries, timezone, digest_hour)
    user = db.session.get(User, actor.id)
    for kind, delivery in cleaned.items():
        row = db.session.get(Preference, (actor.id, kind))
        if row is None:
            db.session.add(Preference(user_id=actor.id, kind=kind, delivery=delivery))
        else:
            row.delivery = delivery
    if timezone is not None:
        user.timezone = timezone
    if digest_hour is not None:
        user.digest_hour = digest_hour
    db.session.commit()
    return choices_of(user)


def kind_labels(actor: Actor | None = None) -> dict[EventKind, str]:
    """The kinds of notification, named; for an actor, those that can reach them."""
    if actor is None or hears_of_held_comments(actor):
        return dict(KIND_LABELS)
    return {kind: label for kind, label in KIND_LABELS.items()
            if kind is not EventKind.COMMENT_HELD}


# One-click unsubscribe (RFC 8058): a signed token names the person and the kind.


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_UNSUBSCRIBE_SALT)


def unsubscribe_token(user_id: int, kind: EventKind | None) -> str:
    """A token that stops one kind of mail (or all, kind None) for one person."""
    return _signer().dumps([user_id, kind.value if kind else "all"])


def read_unsubscribe_token(token: str) -> tuple[User, EventKind | None]:
    try:
        user_id, kind = _signer().loads(token)
        user = db.session.get(User, int(user_id))
        chosen = None if kind == "all" else EventKind(kind)
    except (BadSignature, ValueError, TypeError):
        raise NotFound("This unsubscribe link is not valid.") from None
    if user is None:
        raise NotFound("This unsubscribe link is not valid.")
    return user, chosen


@writes
def unsubscribe(token: str) -> tuple[User, EventKind | None]:
    """Stop the mail a token names: its kind, or every kind. Needs no login: the token
    is the proof. Raises NotFound for a token that is not ours."""
    user, kind = read_unsubscribe_token(token)
    kinds = [kind] if kind is not None else list(EventKind)
    db.session.execute(delete(Preference).where(Preference.user_id == user.id,
                                                Preference.kind.in_(kinds)))
    db.session.add_all([Preference(user_id=user.id, kind=k, delivery=Delivery.NEVER)
                        for k in kinds])
    db.session.commit()
    return user, kind
