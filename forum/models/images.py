"""Images on posts: uploaded, re-encoded, stored under a name the server made, each
with its alt text and credit line."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.base import UTCDateTime, utcnow
from forum.models.limits import ALT_MAX, CITATION_MAX, URL_MAX

if TYPE_CHECKING:
    from forum.models.posts import Post
    from forum.models.users import User


class Image(db.Model):
    """One uploaded image. Until a post takes it (post_id set) only its uploader may use
    it; one never attached is removed after a day (`flask --app forum clean-uploads`)."""

    __tablename__ = "images"

    id: Mapped[int] = mapped_column(primary_key=True)
    uploader_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # The file's name in the uploads directory: made by the server, never the sender's.
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    byte_size: Mapped[int] = mapped_column(Integer)
    alt: Mapped[str] = mapped_column(String(ALT_MAX))
    credit: Mapped[str] = mapped_column(String(CITATION_MAX), default="")
    credit_url: Mapped[str | None] = mapped_column(String(URL_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    post: Mapped[Post | None] = relationship(back_populates="images")
    uploader: Mapped[User] = relationship()
