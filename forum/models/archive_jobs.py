"""Course archive jobs: an export or an import run by the worker, with its progress,
its outcome and the file it made or reads (docs/archives.md)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.base import UTCDateTime, enum_column, utcnow
from forum.models.limits import COURSE_CODE_MAX

if TYPE_CHECKING:
    from forum.models.courses import Course
    from forum.models.users import User

STAGE_MAX = 200


class ArchiveJobKind(enum.StrEnum):
    EXPORT = "export"  # a course written to an archive file
    IMPORT = "import"  # an uploaded archive made into a new course


class ArchiveJobState(enum.StrEnum):
    QUEUED = "queued"  # waits for a worker
    RUNNING = "running"  # claimed by one worker
    DONE = "done"
    FAILED = "failed"  # `error` says why; an import left nothing behind


class ArchiveJob(db.Model):
    """One export or import. Its file (the export's archive, the import's upload) lives
    in the archives folder of the shared uploads storage under `stored_name`, a name
    the server made; an export's is removed a day after it finished, an import's as
    soon as it ended."""

    __tablename__ = "archive_jobs"
    __table_args__ = (Index("ix_archive_jobs_state", "state", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ArchiveJobKind] = mapped_column(enum_column(ArchiveJobKind))
    # An export's course; an import's new course once it is made (in the same commit).
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    state: Mapped[ArchiveJobState] = mapped_column(enum_column(ArchiveJobState),
                                                   default=ArchiveJobState.QUEUED)
    steps_done: Mapped[int] = mapped_column(Integer, default=0)
    steps_total: Mapped[int] = mapped_column(Integer, default=0)
    stage: Mapped[str] = mapped_column(String(STAGE_MAX), default="Waiting for a worker")
    error: Mapped[str | None] = mapped_column(Text)
    # An import's code for the new course (None: the archive's own).
    code: Mapped[str | None] = mapped_column(String(COURSE_CODE_MAX))
    file_name: Mapped[str | None] = mapped_column(String(255))  # as offered or uploaded
    file_size: Mapped[int | None] = mapped_column(BigInteger)
    stored_name: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    course: Mapped[Course | None] = relationship()
    requested_by: Mapped[User] = relationship()

    @property
    def is_export(self) -> bool:
        return self.kind is ArchiveJobKind.EXPORT

    @property
    def is_finished(self) -> bool:
        return self.state in (ArchiveJobState.DONE, ArchiveJobState.FAILED)

    @property
    def percent(self) -> int:
        if self.state is ArchiveJobState.DONE:
            return 100
        return 100 * self.steps_done // self.steps_total if self.steps_total else 0
