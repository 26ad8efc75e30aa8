"""LTI 1.3: registered platforms, the tool's own keys, and what launches link to here."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from forum.extensions import db
from forum.models.base import UTCDateTime, enum_column, utcnow
from forum.models.courses import Course
from forum.models.discussions import Discussion
from forum.models.grading import Grade
from forum.models.limits import EMAIL_MAX, NAME_MAX, TITLE_MAX, URL_MAX
from forum.models.users import User

LTI_ID_MAX = 255  # issuers, client ids, deployment ids, subs, context and link ids


class LtiPlatform(db.Model):
    """An LMS registration: one (issuer, client id) pair and where its endpoints are."""

    __tablename__ = "lti_platforms"
    __table_args__ = (UniqueConstraint("issuer", "client_id",
                                       name="uq_lti_platforms_issuer_client"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(TITLE_MAX))
    issuer: Mapped[str] = mapped_column(String(LTI_ID_MAX))
    client_id: Mapped[str] = mapped_column(String(LTI_ID_MAX))
    keyset_url: Mapped[str] = mapped_column(String(URL_MAX))
    auth_url: Mapped[str] = mapped_column(String(URL_MAX))
    token_url: Mapped[str] = mapped_column(String(URL_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    deployments: Mapped[list[LtiDeployment]] = relationship(
        back_populates="platform", cascade="all, delete-orphan",
        order_by="LtiDeployment.id")

    @property
    def deployment_ids(self) -> list[str]:
        return [deployment.deployment_id for deployment in self.deployments]


class LtiDeployment(db.Model):
    """A deployment of the tool on a platform (a platform may install it several times)."""

    __tablename__ = "lti_deployments"
    __table_args__ = (UniqueConstraint("platform_id", "deployment_id",
                                       name="uq_lti_deployments_platform_deployment"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(LTI_ID_MAX))

    platform: Mapped[LtiPlatform] = relationship(back_populates="deployments")


class LtiKey(db.Model):
    """One of the tool's RSA keys. A key is published in /lti/jwks from its creation
    until it is retired, and signs only once activated: so a platform that caches the
    key set has seen the next key before anything is signed with it."""

    __tablename__ = "lti_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    private_key_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def state(self) -> str:
        if self.retired_at is not None:
            return "retired"
        return "current" if self.activated_at is not None else "next"


class LtiUser(db.Model):
    """A platform's person (its `sub`) and the forum account launches sign them into.
    The email the platform sent is kept here; accounts are never matched by it."""

    __tablename__ = "lti_users"
    __table_args__ = (UniqueConstraint("platform_id", "sub", name="uq_lti_users_platform_sub"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    sub: Mapped[str] = mapped_column(String(LTI_ID_MAX))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX), default="")
    email: Mapped[str | None] = mapped_column(String(EMAIL_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_launch_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()


class LtiContext(db.Model):
    """A platform's course (its context id) and the forum course it is."""

    __tablename__ = "lti_contexts"
    __table_args__ = (UniqueConstraint("platform_id", "context_id",
                                       name="uq_lti_contexts_platform_context"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    context_id: Mapped[str] = mapped_column(String(LTI_ID_MAX))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX), default="")
    # Where later work reads the roster and scores from (names and roles, grades).
    memberships_url: Mapped[str | None] = mapped_column(String(URL_MAX))
    lineitems_url: Mapped[str | None] = mapped_column(String(URL_MAX))
    # When the roster was last read from the platform (None: never; the sweep does it).
    roster_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    course: Mapped[Course] = relationship()


class LtiResourceLink(db.Model):
    """A link placed in the platform's course, and the discussion it opens (None until
    an instructor chooses one)."""

    __tablename__ = "lti_resource_links"
    __table_args__ = (UniqueConstraint("platform_id", "resource_link_id",
                                       name="uq_lti_resource_links_platform_link"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    resource_link_id: Mapped[str] = mapped_column(String(LTI_ID_MAX))
    context_id: Mapped[int] = mapped_column(ForeignKey("lti_contexts.id"), index=True)
    discussion_id: Mapped[int | None] = mapped_column(ForeignKey("discussions.id"), index=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX), default="")
    # The line item grades will go to (Assignment and Grade Services), when there is one.
    lineitem_url: Mapped[str | None] = mapped_column(String(URL_MAX))
    # What the platform was last told of that line item: when the discussion's title or
    # points differ, the worker updates it.
    lineitem_label: Mapped[str | None] = mapped_column(String(TITLE_MAX))
    lineitem_score_maximum: Mapped[float | None] = mapped_column(Float)
    # After the platform refused to make or change it: not before this time again.
    lineitem_retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    context: Mapped[LtiContext] = relationship()
    discussion: Mapped[Discussion | None] = relationship()


class LtiNonce(db.Model):
    """A nonce the tool sent with an OIDC login: a launch must bring one back, once.
    In the database, so every worker and host sees it used."""

    __tablename__ = "lti_nonces"

    id: Mapped[int] = mapped_column(primary_key=True)
    nonce: Mapped[str] = mapped_column(String(128), unique=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PassbackState(enum.StrEnum):
    PENDING = "pending"        # to send (again, at next_attempt_at)
    ACCEPTED = "accepted"      # the platform took the score
    SKIPPED = "skipped"        # nothing to send it to (reason says why)
    SUPERSEDED = "superseded"  # a newer version of the grade is sent instead


class LtiScorePassback(db.Model):
    """One released version of a grade, to send to the LMS's gradebook (Assignment and
    Grade Services): what is sent, to whom, and how it went. Part of the grade's audit
    trail, beside its GradeChange rows; one per (grade, version), so never sent twice."""

    __tablename__ = "lti_score_passbacks"
    __table_args__ = (UniqueConstraint("grade_id", "grade_version",
                                       name="uq_lti_score_passbacks_grade_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    grade_id: Mapped[int] = mapped_column(ForeignKey("grades.id"), index=True)
    grade_version: Mapped[int] = mapped_column(Integer)
    link_id: Mapped[int | None] = mapped_column(ForeignKey("lti_resource_links.id"))
    user_sub: Mapped[str | None] = mapped_column(String(LTI_ID_MAX))
    score_given: Mapped[float | None] = mapped_column(Float)
    score_maximum: Mapped[float] = mapped_column(Float)
    comment: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[PassbackState] = mapped_column(enum_column(PassbackState),
                                                 default=PassbackState.PENDING, index=True)
    reason: Mapped[str] = mapped_column(String(500), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Grade.lti_passbacks: the grade's history page lists them beside its changes, with
    # their tries read in one more statement (never one per passback).
    grade: Mapped[Grade] = relationship(backref=backref(
        "lti_passbacks", order_by="LtiScorePassback.id", viewonly=True))
    link: Mapped[LtiResourceLink | None] = relationship()
    tries: Mapped[list[LtiPassbackAttempt]] = relationship(
        back_populates="passback", order_by="LtiPassbackAttempt.id",
        cascade="all, delete-orphan", lazy="selectin")


class LtiPassbackAttempt(db.Model):
    """One try at sending a score, and the platform's answer (HTTP status and the start
    of its body; no status when it did not answer)."""

    __tablename__ = "lti_passback_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    passback_id: Mapped[int] = mapped_column(
        ForeignKey("lti_score_passbacks.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[int | None] = mapped_column(Integer)
    answer: Mapped[str] = mapped_column(String(500), default="")

    passback: Mapped[LtiScorePassback] = relationship(back_populates="tries")
