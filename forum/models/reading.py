"""How far each person has read each thread: one read mark per person and post.

A post counts what it has shown: `Post.reply_seq` is raised each time a reply of its
thread appears (written, or published by the moderators later), and the reply keeps
the number it appeared at (`Reply.seq`). A read mark keeps the number the thread had
when the person last saw it, so a reply is new to them while its `seq` is above their
mark. A reply that was held back while they read gets a new number when it is
published, so it is new again; classmates' writing kept back by a post-first
discussion (`unrevealed`) is new once it shows. Storage grows with people times posts.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, event, update
from sqlalchemy.orm import Mapped, mapped_column

from forum.extensions import db
from forum.models.base import Moderation, UTCDateTime, utcnow
from forum.models.posts import Post
from forum.models.replies import Reply


class ReadMark(db.Model):
    """How much of a post's thread a person had seen when they last looked."""

    __tablename__ = "post_reads"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), primary_key=True,
                                         index=True)
    # The post's reply_seq when its thread was last shown to them.
    through: Mapped[int] = mapped_column(Integer, default=0)
    # Whether classmates' writing was kept from them then (Discussion.reveal).
    unrevealed: Mapped[bool] = mapped_column(Boolean, default=False)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


_posts = Post.__table__


def _next_seq(connection, post_id: int) -> int:
    """Raise the post's count of shown replies by one and return it. The row's lock
    makes replies of one thread appear in the order of their numbers on PostgreSQL too.
    A post's version stays (a reply must never make its author's edit conflict)."""
    return connection.execute(
        update(_posts).where(_posts.c.id == post_id)
        .values(reply_seq=_posts.c.reply_seq + 1).returning(_posts.c.reply_seq)
    ).scalar_one()


@event.listens_for(Reply, "before_insert")
def _numbered_when_written(_mapper, connection, reply: Reply) -> None:
    reply.seq = _next_seq(connection, reply.post_id or reply.post.id)


@event.listens_for(Reply, "before_update")
def _numbered_again_when_published(_mapper, connection, reply: Reply) -> None:
    """A reply the moderators publish appears now: new to those who read past it."""
    history = db.inspect(reply).attrs.moderation.history
    if history.has_changes() and reply.moderation is Moderation.PUBLISHED \
            and Moderation.PUBLISHED not in history.deleted:
        reply.seq = _next_seq(connection, reply.post_id)
