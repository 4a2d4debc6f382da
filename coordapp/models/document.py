"""PDFs the worker renders and the database keeps, so every app process can serve them:
one table, `stored_documents`, one row per document, whatever it is a PDF of.

A row is PENDING until the worker has rendered it, then READY with its bytes or FAILED
with the error the page shows; while the job runs it holds the row's lease
(`claimed_at`, `claim_token`: coordapp/jobs.py). `kind` says what the PDF is of, and
which columns name it: the agenda of a meeting (`GeneratedDocument`, meeting_id), the
periodic report of a series (`ReportDocument`, series_id and the period), the minutes
of a submitted version (`MinutesDocument`, models/approval.py: version_id, with its
signature workflow's columns; its bytes change with each chair's signature, and the
database freezes the row once the minutes are approved). The language is the one it is
written in; `created_by` asked for it.

One class per kind (SQLAlchemy's single-table inheritance: one table, `kind` decides the
class), so `db.session.get(ReportDocument, id)` finds only reports.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

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

PENDING_ONLY = sa.text("status = 'pending'")


class StoredDocument(Base):
    __tablename__ = "stored_documents"
    __table_args__ = (
        check_in("status", DocumentStatus, "status"),
        sa.CheckConstraint("kind IN ('agenda', 'report', 'minutes')", name="kind"),
        sa.CheckConstraint(
            "kind <> 'agenda' OR meeting_id IS NOT NULL", name="agenda_of_a_meeting"
        ),
        sa.CheckConstraint(
            "kind <> 'report' OR (series_id IS NOT NULL AND period_start IS NOT NULL "
            "AND period_end IS NOT NULL AND period_start <= period_end)",
            name="report_of_a_period",
        ),
        sa.CheckConstraint(
            "kind <> 'minutes' OR version_id IS NOT NULL", name="minutes_of_a_version"
        ),
        sa.Index("ix_stored_documents_meeting_kind", "meeting_id", "kind"),
        sa.Index("ix_stored_documents_sha256", "sha256"),
        sa.Index("ix_stored_documents_series_period", "series_id", "period_start", "period_end"),
        # One rendering at a time of the same report: a repeated request joins it.
        sa.Index(
            "uq_stored_documents_one_pending_report",
            "series_id",
            "period_start",
            "period_end",
            "language",
            unique=True,
            postgresql_where=PENDING_ONLY,
            sqlite_where=PENDING_ONLY,
        ),
    )
    __mapper_args__ = {"polymorphic_on": "kind"}

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    # The agenda's meeting; the report's series and period (both days included).
    meeting_id: Mapped[int | None] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"))
    series_id: Mapped[int | None] = mapped_column(sa.ForeignKey("series.id", ondelete="CASCADE"))
    period_start: Mapped[date | None] = mapped_column(sa.Date)
    period_end: Mapped[date | None] = mapped_column(sa.Date)
    # The language the PDF is written in.
    language: Mapped[str] = mapped_column(sa.String(10), default="en")
    status: Mapped[DocumentStatus] = mapped_column(
        enum_column(DocumentStatus), default=DocumentStatus.PENDING
    )
    error: Mapped[str | None] = mapped_column(sa.Text)
    filename: Mapped[str] = mapped_column(sa.String(255), default="document.pdf")
    content_type: Mapped[str] = mapped_column(sa.String(127), default="application/pdf")
    sha256: Mapped[str | None] = mapped_column(sa.String(64))
    size: Mapped[int | None]
    data: Mapped[bytes | None] = deferred(mapped_column(sa.LargeBinary))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The job's lease (coordapp/jobs.py): when it was last queued, taken or renewed, and
    # the worker holding it (NULL while the job waits in the queue).
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    claim_token: Mapped[str | None] = mapped_column(sa.String(32))
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    created_by = relationship("User")


class GeneratedDocument(StoredDocument):
    """The agenda PDF of a meeting."""

    __mapper_args__ = {"polymorphic_identity": "agenda"}

    meeting = relationship("Meeting")


class ReportDocument(StoredDocument):
    """The periodic report of a series, for a period, as a PDF."""

    __mapper_args__ = {"polymorphic_identity": "report"}

    series = relationship("Series")
