"""Moderation: the staff's queue, their actions on posts and replies (one or many),
members' flags, locks and pins, restoring an earlier text, and erasing a guest's data.
Every action is logged; nothing is removed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from flask import current_app
from sqlalchemy import ColumnElement, exists, func, or_, select, union_all
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import flag_modified

from forum.access import (
    Actor,
    can_flag,
    can_lock,
    can_moderate,
    can_view_post,
    can_view_reply,
)
from forum.errors import Invalid, NotFound, PermissionDenied
from forum.extensions import db
from forum.models import (
    Course,
    Discussion,
    Flag,
    Guest,
    Moderation,
    ModerationAction,
    ModerationEntry,
    Post,
    Reply,
    Revision,
    SpamCheck,
    utcnow,
)
from forum.models.limits import REASON_MAX
from forum.models.moderation import ERASED_NAME
from forum.services import events, mentions, spam
from forum.services.validation import clean_text, collecting_errors
from forum.services.versions import commit_versioned
from forum.services.words import count_words
from forum.spam.signals import Comment
from forum.transactions import writes

Kind = Literal["post", "reply"]
ACTIONS = ("approve", "spam", "hide", "restore")
QUEUE_STATES = ("pending", "spam", "flagged", "hidden")
FLAG_HIDE_REASON = "Hidden after reports from members, until the course staff review it."
DEFAULT_HIDE_REASON = "Hidden by the course staff."
QUEUE_DEPTH_MAX = 10_000  # deeper pages of the queue are empty: keep a request cheap
_TARGET_STATE = {"approve": Moderation.PUBLISHED, "restore": Moderation.PUBLISHED,
                 "spam": Moderation.SPAM, "hide": Moderation.HIDDEN}


def course_of(item: Post | Reply) -> Course:
    post = item if isinstance(item, Post) else item.post
    return post.discussion.course


def kind_of(item: Post | Reply) -> Kind:
    return "post" if isinstance(item, Post) else "reply"


def log_action(item: Post | Reply, action: ModerationAction, actor: Actor | None = None,
               note: str = "") -> None:
    """One line of the moderation log about a post or reply (no actor: the spam filter
    or members' reports), in the caller's unit of work."""
    post = item if isinstance(item, Post) else item.post
    db.session.add(ModerationEntry(
        course_id=post.discussion.course_id, actor_id=actor.id if actor else None,
        action=action.value, post_id=post.id,
        reply_id=None if isinstance(item, Post) else item.id, note=note))


def _authorize(actor: Actor, course: Course) -> None:
    if not can_moderate(actor, course):
        raise PermissionDenied("Only instructors and TAs moderate this course.")


# The queue


@dataclass
class QueueItem:
    """One post or reply waiting for, or set aside by, the moderators."""

    item: Post | Reply
    kind: Kind
    post: Post  # the post itself, or the post whose thread the reply is in
    check: SpamCheck | None = None
    flags: list[Flag] = field(default_factory=list)

    @property
    def created_at(self):
        return self.item.created_at


def _flag_target(model: type[Post] | type[Reply]):
    """The column of a flag that names a post, or a reply."""
    return Flag.post_id if model is Post else Flag.reply_id


def _open_flag(model) -> ColumnElement[bool]:
    """Rows with a report no moderator has acted on yet."""
    return exists().where(_flag_target(model) == model.id, Flag.resolved_at.is_(None))


def _state_filter(model, state: str | None) -> ColumnElement[bool]:
    """Rows in the queue for a state filter; no filter: held back or flagged."""
    open_flag = _open_flag(model)
    if state == "flagged":
        return open_flag
    if state is not None:
        return model.moderation == Moderation(state)
    return or_(model.moderation != Moderation.PUBLISHED, open_flag)


def _queue_query(model, course: Course | None, state: str | None):
    """The model's rows in the queue of a course (of any course: None)."""
    query = select(model)
    if model is Reply:
        query = query.join(Post, Reply.post_id == Post.id)
    query = query.join(Discussion, Post.discussion_id == Discussion.id).where(
        _state_filter(model, state))
    return query if course is None else query.where(Discussion.course_id == course.id)


def moderation_queue(actor: Actor, course: Course, state: str | None = None, *,
                     offset: int = 0, limit: int = 50) -> tuple[list[QueueItem], int]:
    """Posts and replies held back or flagged in the course, newest first, with their
    spam verdicts and flags, and the total. Raises PermissionDenied, Invalid."""
    _authorize(actor, course)
    if state is not None and state not in QUEUE_STATES:
        raise Invalid({"state": [f"State is one of {', '.join(QUEUE_STATES)}."]})
    total = sum(db.session.scalar(select(func.count()).select_from(
        _queue_query(model, course, state).subquery())) for model in (Post, Reply))
    if offset >= QUEUE_DEPTH_MAX:
        return [], total
    window = offset + limit
    replies = db.session.scalars(
        _queue_query(Reply, course, state).options(
            joinedload(Reply.guest), joinedload(Reply.author),
            joinedload(Reply.post).joinedload(Post.author))
        .order_by(Reply.created_at.desc(), Reply.id.desc()).limit(window)).unique().all()
    posts = db.session.scalars(
        _queue_query(Post, course, state).options(joinedload(Post.author))
        .order_by(Post.created_at.desc(), Post.id.desc()).limit(window)).unique().all()
    items = [QueueItem(r, "reply", r.post) for r in replies] + [
        QueueItem(p, "post", p) for p in posts]
    items.sort(key=lambda q: (q.created_at, q.kind, q.item.id), reverse=True)
    items = items[offset:window]
    _attach(items)
    return items, total


def _attach(items: list[QueueItem]) -> None:
    """The verdicts and open flags of a page of the queue, in two statements."""
    reply_ids = [q.item.id for q in items if q.kind == "reply"]
    post_ids = [q.item.id for q in items if q.kind == "post"]
    checks = {c.reply_id: c for c in db.session.scalars(
        select(SpamCheck).where(SpamCheck.reply_id.in_(reply_ids)))} if reply_ids else {}
    flags = db.session.scalars(
        select(Flag).where(Flag.resolved_at.is_(None), or_(
            Flag.reply_id.in_(reply_ids), Flag.post_id.in_(post_ids)))
        .options(joinedload(Flag.user)).order_by(Flag.id)).all() if items else []
    for q in items:
        if q.kind == "reply":
            q.check = checks.get(q.item.id)
            q.flags = [f for f in flags if f.reply_id == q.item.id]
        else:
            q.flags = [f for f in flags if f.post_id == q.item.id]


def queue_counts(actor: Actor, course: Course) -> dict[str | None, int]:
    """How many items each of the queue's filters holds (None: all of them), in one
    statement. Raises PermissionDenied."""
    _authorize(actor, course)
    rows = union_all(*(
        _queue_query(model, course, None).with_only_columns(
            model.moderation.label("state"), _open_flag(model).label("flagged"))
        for model in (Post, Reply))).subquery()
    counts: dict[str | None, int] = dict.fromkeys((None, *QUEUE_STATES), 0)
    for state, flagged, n in db.session.execute(
            select(rows.c.state, rows.c.flagged, func.count())
            .group_by(rows.c.state, rows.c.flagged)):
        counts[None] += n
        if flagged:
            counts["flagged"] += n
        if state in counts:  # published items are in the queue only when flagged
            counts[state] += n
    return counts


def waiting_counts(actor: Actor, courses: Iterable[Course]) -> dict[int, dict[str, int]]:
    """For each of the courses the actor moderates, how many items wait for review and
    how many carry open flags; two statements however many courses."""
    counts = {c.id: {"pending": 0, "flagged": 0} for c in courses if can_moderate(actor, c)}
    if not counts:
        return counts
    for state in ("pending", "flagged"):
        rows = union_all(*(
            _queue_query(model, None, state).with_only_columns(Discussion.course_id)
            .where(Discussion.course_id.in_(sorted(counts)))
            for model in (Post, Reply))).subquery()
        for course_id, n in db.session.execute(
                select(rows.c.course_id, func.count()).group_by(rows.c.course_id)):
            counts[course_id][state] = n
    return counts


# Acting on items


def find_item(actor: Actor, kind: str, item_id: int, within: Course | None = None
              ) -> Post | Reply:
    """A post or reply the actor may see (of the course `within`, when given).
    Raises NotFound."""
    model = {"post": Post, "reply": Reply}.get(kind)
    item = db.session.get(model, item_id) if model else None
    visible = can_view_post if model is Post else can_view_reply
    if item is None or not visible(actor, item) or (
            within is not None and course_of(item).id != within.id):
        raise NotFound(f"No such {kind or 'item'}.")
    return item


def _clean_reason(action: str, reason: str | None) -> str | None:
    with collecting_errors() as errors:
        if action not in ACTIONS:
            errors.add("action", f"Action is one of {', '.join(ACTIONS)}.")
        reason = clean_text(errors, "reason", reason, max_length=REASON_MAX, required=False,
                            label="Reason")
    if action == "hide":
        return reason or DEFAULT_HIDE_REASON
    return None


def _apply(actor: Actor, item: Post | Reply, action: str, reason: str | None) -> None:
    """One action on one item, its flags answered, what the filter learns, the log."""
    now = utcnow()
    if item.moderation in (Moderation.PENDING, Moderation.SPAM) \
            and _TARGET_STATE[action] is Moderation.PUBLISHED:
        _appeared(item)  # shown for the first time
    item.moderation = _TARGET_STATE[action]
    item.moderation_reason = reason
    item.moderated_at = now
    for flag in _open_flags(item):
        flag.resolved_at = now
    if isinstance(item, Reply) and action in ("approve", "spam", "restore"):
        _teach(item, action == "spam")
    log_action(item, ModerationAction(action), actor, reason or "")


def _appeared(item: Post | Reply) -> None:
    if isinstance(item, Reply):
        item.moderation = Moderation.PUBLISHED  # so that the event says what it is now
        events.reply_appeared(item)
    elif item.is_published:
        events.post_published(item)


def _open_flags(item: Post | Reply) -> list[Flag]:
    return list(db.session.scalars(
        select(Flag).where(_flag_target(type(item)) == item.id, Flag.resolved_at.is_(None))))


def _teach(reply: Reply, is_spam: bool) -> None:
    """Staff decisions teach the filter; a reply it never read is read now (as it is
    stored: no timing or address signals)."""
    check = db.session.scalar(select(SpamCheck).where(SpamCheck.reply_id == reply.id))
    if check is None:
        if not is_spam:
            return  # an ordinary member's reply restored: nothing to unlearn
        verdict = spam.judge(Comment(
            body=reply.body, author_name=reply.author_name,
            website=(reply.guest.website or "") if reply.guest else "",
            post_text=f"{reply.post.title}\n{reply.post.body}", is_guest=reply.is_by_guest))
        check = spam.record(reply.id, verdict)
    spam.learn(check, is_spam)


@writes
def moderate(actor: Actor, item: Post | Reply, action: str, reason: str | None = None
             ) -> Post | Reply:
    """Approve, mark as spam, hide (with a reason its author is shown) or restore a post
    or reply. Raises PermissionDenied, Invalid, Conflict."""
    _authorize(actor, course_of(item))
    reason = _clean_reason(action, reason)
    _apply(actor, item, action, reason)
    commit_versioned()
    return item


@writes
def moderate_many(actor: Actor, course: Course, targets: Iterable[tuple[str, int]],
                  action: str, reason: str | None = None) -> list[Post | Reply]:
    """One action on a selection of the course's posts and replies, all or none.
    Raises PermissionDenied, Invalid, NotFound."""
    _authorize(actor, course)
    reason = _clean_reason(action, reason)
    items = [find_item(actor, kind, item_id, course)
             for kind, item_id in dict.fromkeys(targets)]
    if not items:
        raise Invalid({"ids": ["Choose at least one item."]})
    for item in items:
        _apply(actor, item, action, reason)
    commit_versioned()
    return items


# Flags


def authorize_flag(actor: Actor, item: Post | Reply) -> None:
    """Raises PermissionDenied unless the actor may report the item."""
    if not can_flag(actor, item, course_of(item)):
        raise PermissionDenied("Members report what others wrote; staff act on it instead.")


@writes
def flag(actor: Actor, item: Post | Reply, reason: str | None) -> Flag:
    """A member reports a post or reply; enough reports from different members hide it
    until staff review it. Raises PermissionDenied, Invalid."""
    authorize_flag(actor, item)
    with collecting_errors() as errors:
        reason = clean_text(errors, "reason", reason, max_length=REASON_MAX, label="Reason")
        column = _flag_target(type(item))
        if reason and db.session.scalar(select(Flag.id).where(
                column == item.id, Flag.user_id == actor.id)) is not None:
            errors.add_conflict("reason", "You already reported this.")
    report = Flag(user_id=actor.id, reason=reason, created_at=utcnow(),
                  **{column.key: item.id})
    db.session.add(report)
    db.session.flush()
    threshold = current_app.config["FORUM_FLAGS_TO_HIDE"]
    if item.is_approved and len(_open_flags(item)) >= threshold:
        item.moderation, item.moderation_reason = Moderation.HIDDEN, FLAG_HIDE_REASON
        item.moderated_at = utcnow()
        log_action(item, ModerationAction.HOLD, note=f"{threshold} reports from members")
    commit_versioned()
    return report


def flags_on(actor: Actor, item: Post | Reply) -> list[Flag]:
    """Who reported the item and why, for staff. Raises PermissionDenied."""
    _authorize(actor, course_of(item))
    return list(db.session.scalars(select(Flag).where(_flag_target(type(item)) == item.id)
                                   .options(joinedload(Flag.user)).order_by(Flag.id)))


# Thread controls


@writes
def set_locked(actor: Actor, post: Post, locked: bool) -> Post:
    """Lock a post's thread (no new replies but the staff's) or open it again.
    Raises PermissionDenied."""
    if not can_lock(actor, post):
        raise PermissionDenied("Only instructors and TAs lock threads.")
    post.locked_at = utcnow() if locked else None
    log_action(post, ModerationAction.LOCK if locked else ModerationAction.UNLOCK, actor)
    commit_versioned()
    return post


@writes
def set_pinned(actor: Actor, post: Post, pinned: bool) -> Post:
    """Pin a post to the top of its discussion, or unpin it. Raises PermissionDenied."""
    if not can_lock(actor, post):
        raise PermissionDenied("Only instructors and TAs pin posts.")
    post.pinned_at = utcnow() if pinned else None
    log_action(post, ModerationAction.PIN if pinned else ModerationAction.UNPIN, actor)
    commit_versioned()
    return post


@writes
def restore_revision(actor: Actor, revision: Revision) -> Post | Reply:
    """Put an earlier text back (staff); the text it replaces is kept as a revision.
    Raises NotFound, PermissionDenied."""
    item = _revised(revision)
    if not can_moderate(actor, course_of(item)):
        raise PermissionDenied("Only instructors and TAs restore earlier versions.")
    now = utcnow()
    db.session.add(Revision(post_id=revision.post_id, reply_id=revision.reply_id,
                            title=getattr(item, "title", None) if revision.post_id else None,
                            body=item.body, editor_id=actor.id, created_at=now))
    if isinstance(item, Post) and revision.title:
        item.title = revision.title
    item.body, item.body_html = revision.body, mentions.render(course_of(item), revision.body)
    item.word_count, item.edited_at = count_words(revision.body), now
    mentions.record(item)
    log_action(item, ModerationAction.RESTORE_REVISION, actor, f"revision {revision.id}")
    commit_versioned()
    return item


def _revised(revision: Revision) -> Post | Reply:
    """The post or reply the revision is an earlier text of."""
    if revision.post_id is not None:
        return db.session.get(Post, revision.post_id)
    return db.session.get(Reply, revision.reply_id)


def get_revision(actor: Actor, revision_id: int) -> Revision:
    """A revision of something the actor may see. Raises NotFound."""
    revision = db.session.get(Revision, revision_id)
    if revision is None:
        raise NotFound("No such revision.")
    item = _revised(revision)
    visible = can_view_post if isinstance(item, Post) else can_view_reply
    if not visible(actor, item):
        raise NotFound("No such revision.")
    return revision


# A guest's personal data


@writes
def erase_guest(actor: Actor, reply: Reply, remove_text: bool) -> int:
    """Erase the personal data of the guest who wrote the reply, in every comment they
    left (same email) in courses the actor moderates: name and email replaced, website
    and address dropped; their texts kept or, if chosen, removed. Logged without the
    data itself. Returns how many comments changed. Raises PermissionDenied, Invalid
    (a conflict: a member's reply, or data already erased)."""
    course = course_of(reply)
    _authorize(actor, course)
    if reply.guest is None:
        raise Invalid({"reply": ["Only a guest's comment has guest data to erase."]},
                      conflict=True)
    if reply.guest.is_erased:
        raise Invalid({"reply": ["This guest's data was already erased."]}, conflict=True)
    email = reply.guest.email
    comments = db.session.scalars(
        select(Reply).join(Guest, Reply.guest_id == Guest.id)
        .join(Post, Reply.post_id == Post.id)
        .join(Discussion, Post.discussion_id == Discussion.id)
        .where(Guest.email == email, Guest.erased_at.is_(None))
        .options(selectinload(Reply.guest),
                 joinedload(Reply.post).joinedload(Post.discussion))).unique().all()
    now = utcnow()
    erased = [c for c in comments if can_moderate(actor, course_of(c))]
    for comment in erased:
        guest = comment.guest
        guest.name, guest.email, guest.website, guest.ip_address = ERASED_NAME, "", None, ""
        guest.erased_at = now
        if remove_text:
            comment.body, comment.body_html, comment.word_count = "", "", 0
            if not comment.is_deleted:
                comment.mark_deleted(actor.id)
        flag_modified(comment, "guest_id")  # a new version: kept threads show the change
        log_action(comment, ModerationAction.ERASE_GUEST, actor,
                   "text removed" if remove_text else "text kept")
    commit_versioned()
    return len(erased)
