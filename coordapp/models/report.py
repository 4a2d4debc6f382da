"""Periodic reports of a series rendered to PDF by the worker (coordapp/reports/tasks.py),
stored here so every app process can serve them. Same life cycle and lease as the agenda
PDF (`GeneratedDocument`), but a report belongs to a series and a period, not a meeting."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from coordapp.models.base import Base, UTCDateTime, check_in, enum_column, utcnow
from coordapp.models.document import DocumentStatus


class ReportDocument(Base):
    __tablename__ = "report_documents"
    __table_args__ = (
        check_in("status", DocumentStatus, "status"),
        sa.CheckConstraint("period_start <= period_end", name="period_in_order"),
        sa.Index("ix_report_documents_series_period", "series_id", "period_start", "period_end"),
        # One rendering at a time of the same report: a repeated request joins it.
        sa.Index(
            "uq_report_documents_one_pending",
            "series_id",
            "period_start",
            "period_end",
            "language",
            unique=True,
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(sa.ForeignKey("series.id", ondelete="CASCADE"))
    # Both days included.
    period_start: Mapped[date] = mapped_column(sa.Date)
    period_end: Mapped[date] = mapped_column(sa.Date)
    # The language of the person who asked for it: the PDF is written in it.
    language: Mapped[str] = mapped_column(sa.String(10), default="en")
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
    # The job's lease (coordapp/jobs.py): a PENDING row whose lease ran out is queued again.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    # The worker holding the lease (NULL while the job waits in the queue): jobs.held_lease.
    claim_token: Mapped[str | None] = mapped_column(sa.String(32))
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    series = relationship("Series")
    created_by = relationship("User")
