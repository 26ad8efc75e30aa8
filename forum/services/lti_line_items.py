"""The LMS gradebook's column for a linked discussion (an Assignment and Grade Services
line item): made as soon as a discussion with points is linked, and kept to the
discussion's title and points when they change. The worker's sweep does the work; a
refusal waits RETRY before the next try."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select

from forum.extensions import db
from forum.models import Discussion, LtiContext, LtiPlatform, LtiResourceLink, utcnow
from forum.services.lti_connect import (
    PlatformError,
    credentials,
    find_or_create_line_item,
    update_line_item,
)
from forum.transactions import writes

log = logging.getLogger(__name__)

RETRY = timedelta(minutes=10)


@dataclass(frozen=True)
class Wanted:
    """What the platform's line item should say."""

    label: str
    score_maximum: float


def wanted_of(link: LtiResourceLink) -> Wanted:
    discussion = link.discussion
    title = (discussion.title if discussion is not None else link.title) or "Discussion"
    return Wanted(title, discussion.points_possible if discussion is not None else 0)


def remember(link: LtiResourceLink, lineitem_url: str, wanted: Wanted) -> None:
    """Note the line item and what the platform was told of it (no commit)."""
    link.lineitem_url = lineitem_url
    link.lineitem_label, link.lineitem_score_maximum = wanted.label, wanted.score_maximum
    link.lineitem_retry_at = None


def line_items_due(limit: int = 100) -> list[int]:
    """Links of discussions with points whose line item is missing (and the platform
    offers a line items service) or says another title or other points."""
    now = utcnow()
    return list(db.session.scalars(
        select(LtiResourceLink.id)
        .join(Discussion, Discussion.id == LtiResourceLink.discussion_id)
        .join(LtiContext, LtiContext.id == LtiResourceLink.context_id)
        .where(Discussion.points_possible > 0,
               or_(LtiResourceLink.lineitem_retry_at.is_(None),
                   LtiResourceLink.lineitem_retry_at <= now),
               or_(LtiResourceLink.lineitem_url.is_(None)
                   & LtiContext.lineitems_url.is_not(None),
                   LtiResourceLink.lineitem_url.is_not(None)
                   & or_(LtiResourceLink.lineitem_label.is_(None),
                         LtiResourceLink.lineitem_label != Discussion.title,
                         LtiResourceLink.lineitem_score_maximum.is_(None),
                         LtiResourceLink.lineitem_score_maximum
                         != Discussion.points_possible)))
        .order_by(LtiResourceLink.id).limit(limit)))


@writes
def sync_line_item(link_id: int) -> bool:
    """Make the link's line item at the platform, or bring its label and points up to
    date. No transaction is held while the platform answers. Returns whether the
    platform took it."""
    link = db.session.get(LtiResourceLink, link_id)
    if link is None or link.discussion is None:
        return False
    wanted = wanted_of(link)
    lineitem_url, lineitems_url = link.lineitem_url, link.context.lineitems_url
    resource_link_id, tag = link.resource_link_id, f"forum-discussion-{link.discussion_id}"
    creds = credentials(db.session.get(LtiPlatform, link.platform_id))
    db.session.rollback()
    try:
        if lineitem_url:
            update_line_item(creds, lineitem_url, label=wanted.label,
                             score_maximum=wanted.score_maximum,
                             resource_link_id=resource_link_id, tag=tag)
        else:
            lineitem_url = find_or_create_line_item(
                creds, lineitems_url, label=wanted.label, score_maximum=wanted.score_maximum,
                resource_link_id=resource_link_id, tag=tag)
    except PlatformError as error:
        log.warning("LTI line item of link %s refused (%s): %s", link_id, error.status,
                    str(error).replace("\n", " ")[:200])
        link = db.session.get(LtiResourceLink, link_id)
        link.lineitem_retry_at = utcnow() + RETRY
        db.session.commit()
        return False
    link = db.session.get(LtiResourceLink, link_id)
    remember(link, lineitem_url, wanted)
    db.session.commit()
    return True
