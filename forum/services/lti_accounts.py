"""An LMS identity joined to the forum account its person already had.

A first launch makes a new account for the platform's person (never matched by email:
docs/lti.md). Someone who already has an account here proves it with its password, and
their LMS identities and course places move to it; the account the launch made, which
must hold no work yet, is disabled. From then on, launches sign them into their own
account."""

from __future__ import annotations

from sqlalchemy import exists, select, update

from forum.errors import Invalid
from forum.extensions import db
from forum.models import (
    Annotation,
    Discussion,
    Enrollment,
    Grade,
    Image,
    LtiUser,
    Post,
    Reply,
    User,
)
from forum.models.courses import people_changed
from forum.services.accounts import authenticate
from forum.transactions import writes

# What makes an account more than a door: anything written or graded with it.
_WORK = (
    lambda user_id: exists().where(Post.author_id == user_id),
    lambda user_id: exists().where(Reply.author_id == user_id),
    lambda user_id: exists().where(Grade.student_id == user_id),
    lambda user_id: exists().where(Grade.grader_id == user_id),
    lambda user_id: exists().where(Annotation.author_id == user_id),
    lambda user_id: exists().where(Image.uploader_id == user_id),
    lambda user_id: exists().where(Discussion.created_by_id == user_id),
)


def made_by_a_launch(user: User) -> bool:
    """Whether the account has an LMS identity (so it may be joined to another)."""
    return bool(db.session.scalar(select(exists().where(LtiUser.user_id == user.id))))


def has_work(user: User) -> bool:
    return any(db.session.scalar(select(test(user.id))) for test in _WORK)


@writes
def join_existing_account(lms_account: User, email: str | None,
                          password: str | None) -> User:
    """Move the LMS identities and course places of `lms_account` (the one signed in,
    made by a launch) to the account these credentials open; disable `lms_account`.
    The LMS's role wins in a course both are in. Raises Invalid."""
    existing = authenticate(email, password)
    if existing is None:
        raise Invalid({"password": ["Email or password is not correct."]})
    if existing.id == lms_account.id:
        raise Invalid({"email": ["You are signed in with this account already."]})
    if existing.is_admin:
        raise Invalid({"email": ["A site admin's account is never opened from an LMS "
                                 "(whoever runs the LMS would become an admin here)."]})
    if not made_by_a_launch(lms_account):
        raise Invalid({"email": ["This account did not come from an LMS: there is "
                                 "nothing to join."]})
    if has_work(lms_account):
        raise Invalid({"email": ["The account your LMS made already holds work (posts, "
                                 "replies or grades): ask the forum's administrator to "
                                 "join the two."]}, conflict=True)
    _move_places(lms_account, existing)
    db.session.execute(update(LtiUser).where(LtiUser.user_id == lms_account.id)
                       .values(user_id=existing.id).execution_options(
                           synchronize_session=False))
    lms_account.is_disabled = True
    lms_account.session_epoch += 1
    db.session.execute(people_changed())
    db.session.commit()
    return existing


def _move_places(source: User, target: User) -> None:
    """Each course place of `source` becomes `target`'s (with the LMS's role)."""
    held = {e.course_id: e for e in db.session.scalars(
        select(Enrollment).where(Enrollment.user_id == target.id))}
    for place in list(db.session.scalars(
            select(Enrollment).where(Enrollment.user_id == source.id))):
        mine = held.get(place.course_id)
        if mine is None:
            place.user_id = target.id
        else:
            mine.role = place.role
            db.session.delete(place)
