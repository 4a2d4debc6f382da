"""A PDF someone uploaded to /verify, waiting for the worker to check it, then its result.

The check runs in the worker (in a bounded child process), never in the web request: a
hostile file must not hold a web worker. The uploaded bytes are kept only until the check
is done; the row itself is purged after a while (coordapp.verify.tasks).
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column

from coordapp.models.base import Base, UTCDateTime, check_in, enum_column, utcnow


class PdfCheckStatus(enum.Enum):
    PENDING = "pending"  # waiting for the worker
    DONE = "done"  # result holds the report
    TOO_COMPLEX = "too_complex"  # over the bounds: refused, not checked
    FAILED = "failed"  # the check itself broke (or the worker lost it)


class PdfCheck(Base):
    __tablename__ = "pdf_checks"
    __table_args__ = (check_in("status", PdfCheckStatus, "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The page that shows the result is /verify/<token>: unguessable, so only the uploader
    # (who holds the file anyway) sees which minutes it matched.
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    status: Mapped[PdfCheckStatus] = mapped_column(
        enum_column(PdfCheckStatus), default=PdfCheckStatus.PENDING
    )
    filename: Mapped[str] = mapped_column(sa.String(255), default="")
    pdf: Mapped[bytes | None] = deferred(mapped_column(sa.LargeBinary))
    # {"report": the verification report as plain data, "earlier": revision prefix hashes}
    result: Mapped[dict | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The check's lease (coordapp/jobs.py): a PENDING check whose worker died is queued
    # again once the lease has run out.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    claim_token: Mapped[str | None] = mapped_column(sa.String(32))
