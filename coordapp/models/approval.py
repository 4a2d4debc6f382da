"""Approval of minutes by the chairs, and the signed PDF of each version."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship, synonym

from coordapp.models.base import Base, UTCDateTime, check_in, enum_column, utcnow
from coordapp.models.document import DocumentStatus, StoredDocument  # noqa: F401  (re-exported)


class SignatureStatus(enum.Enum):
    PENDING = "pending"  # the chair approved; the worker is signing
    SIGNED = "signed"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return str(SIGNATURE_STATUS_LABELS[self])


SIGNATURE_STATUS_LABELS = {
    SignatureStatus.PENDING: _l("Signing…"),
    SignatureStatus.SIGNED: _l("Signed"),
    SignatureStatus.FAILED: _l("Signing failed"),
}


class MinutesApproval(Base):
    """A chair's approval of one version: one per (version, chair), signed in the PDF."""

    __tablename__ = "minutes_approvals"
    __table_args__ = (
        sa.UniqueConstraint("version_id", "user_id"),
        check_in("status", SignatureStatus, "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("minutes_versions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    # The chair's role label and place in the meeting's order, as at approval.
    role_label: Mapped[str] = mapped_column(sa.String(200), default="")
    position: Mapped[int] = mapped_column(default=0)
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[SignatureStatus] = mapped_column(
        enum_column(SignatureStatus), default=SignatureStatus.PENDING
    )
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(sa.Text)
    # The SHA-256 of the PDF right after this signature (its signed revision).
    revision_sha256: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    # The job's lease: when it was last queued or taken on by a worker. A PENDING row
    # whose lease expired (a worker died on it) is queued again (coordapp/tasks.py).
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    # The worker holding the lease (NULL while the job waits in the queue): jobs.held_lease.
    claim_token: Mapped[str | None] = mapped_column(sa.String(32))

    user = relationship("User")
    version = relationship("MinutesVersion")


class MinutesReturn(Base):
    """A chair sent a submitted version back to the secretariat with a comment."""

    __tablename__ = "minutes_returns"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("minutes_versions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    comment: Mapped[str] = mapped_column(sa.Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user = relationship("User")


class MinutesDocument(StoredDocument):
    """The PDF of one submitted version, a stored document (models/document.py): rendered
    once (with an empty signature field per chair), then signed chair by chair. `pdf`
    (the stored bytes) always holds the latest; once the version is approved the
    database refuses any change of the row (migration c8d9aec9e76a, d7e3a9c5b1f4)."""

    __mapper_args__ = {"polymorphic_identity": "minutes"}

    version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("minutes_versions.id", ondelete="CASCADE"), unique=True
    )
    # The rendered PDF with its signature fields, before any signature.
    unsigned_sha256: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    signature_count: Mapped[int] = mapped_column(default=0, nullable=True)
    # {"chair-<user_id>": field name} in the meeting's chair order.
    fields: Mapped[dict | None] = mapped_column(sa.JSON)
    rendered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )
    pdf = synonym("data")

    version = relationship("MinutesVersion")
