"""Documents the worker generates (e.g. the agenda PDF), stored in the database so every
app process can serve them."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from coordapp.models.base import Base, UTCDateTime, check_in, enum_column, utcnow


class DocumentStatus(enum.Enum):
    PENDING = "pending"
    READY = "ready"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return str(DOCUMENT_STATUS_LABELS[self])


DOCUMENT_STATUS_LABELS = {
    DocumentStatus.PENDING: _l("Being prepared"),
    DocumentStatus.READY: _l("Ready"),
    DocumentStatus.FAILED: _l("Failed"),
}


class GeneratedDocument(Base):
    __tablename__ = "generated_documents"
    __table_args__ = (
        check_in("status", DocumentStatus, "status"),
        sa.Index("ix_generated_documents_meeting_kind", "meeting_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))  # "agenda"
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"))
    status: Mapped[DocumentStatus] = mapped_column(
        enum_column(DocumentStatus), default=DocumentStatus.PENDING
    )
    error: Mapped[str | None] = mapped_column(sa.Text)
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(127), default="application/pdf")
    sha256: Mapped[str | None] = mapped_column(sa.String(64))
    size: Mapped[int | None]
    data: Mapped[bytes | None] = deferred(mapped_column(sa.LargeBinary))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The job's lease: when it was last queued or taken on by a worker. A PENDING row
    # whose lease expired (a worker died on it) is queued again (coordapp/tasks.py).
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    # The worker holding the lease (NULL while the job waits in the queue): jobs.held_lease.
    claim_token: Mapped[str | None] = mapped_column(sa.String(32))
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    meeting = relationship("Meeting")
