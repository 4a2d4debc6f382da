"""Minutes: versioned per meeting. A version is edited while draft, frozen once
submitted, and never changes once approved; a correction is a new version."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordapp.models.base import Base, UTCDateTime, check_in, enum_column, utcnow


class MinutesStatus(enum.Enum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    SUPERSEDED = "superseded"

    @property
    def label(self) -> str:
        return str(MINUTES_STATUS_LABELS[self])


MINUTES_STATUS_LABELS = {
    MinutesStatus.DRAFT: _l("Draft"),
    MinutesStatus.SUBMITTED: _l("Submitted for approval"),
    MinutesStatus.APPROVED: _l("Approved"),
    MinutesStatus.SUPERSEDED: _l("Superseded"),
}


class MinutesVersion(Base):
    __tablename__ = "minutes_versions"
    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "number"),
        check_in("status", MinutesStatus, "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(default=1)
    status: Mapped[MinutesStatus] = mapped_column(
        enum_column(MinutesStatus), default=MinutesStatus.DRAFT
    )
    # Why this version exists, for amendments of an approved version.
    amendment_reason: Mapped[str | None] = mapped_column(sa.Text)
    opening_summary: Mapped[str | None] = mapped_column(sa.Text)  # Markdown
    closing_summary: Mapped[str | None] = mapped_column(sa.Text)  # Markdown
    # Their sanitised HTML, rendered once when they are set (coordapp/richtext.py).
    opening_summary_html: Mapped[str | None] = mapped_column(sa.Text)
    closing_summary_html: Mapped[str | None] = mapped_column(sa.Text)
    next_meeting_date: Mapped[date | None] = mapped_column(sa.Date)
    next_meeting_note: Mapped[str | None] = mapped_column(sa.String(500))
    # Optimistic lock for the meeting-level fields: a stale save is refused.
    lock_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    # An amendment points at the approved version it corrects (which it supersedes).
    amends_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("minutes_versions.id", ondelete="SET NULL")
    )
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    meeting = relationship("Meeting")
    amends: Mapped[MinutesVersion | None] = relationship(remote_side=[id])
    items: Mapped[list[MinutesItem]] = relationship(
        cascade="all, delete-orphan", back_populates="version"
    )


class MinutesItem(Base):
    """What was said and decided under one agenda item, in one version of the minutes."""

    __tablename__ = "minutes_items"
    __table_args__ = (sa.UniqueConstraint("version_id", "agenda_item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("minutes_versions.id", ondelete="CASCADE")
    )
    agenda_item_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agenda_items.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(sa.Text, default="")  # Markdown
    text_html: Mapped[str | None] = mapped_column(sa.Text)  # rendered once, when set
    decisions: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    lock_version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    version: Mapped[MinutesVersion] = relationship(back_populates="items")
    agenda_item = relationship("AgendaItem")


class MinutesRevision(Base):
    """A saved state of a minutes item (or of the meeting-level fields when
    `minutes_item_id` is empty): edits keep history instead of overwriting."""

    __tablename__ = "minutes_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("minutes_versions.id", ondelete="CASCADE"), index=True
    )
    minutes_item_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("minutes_items.id", ondelete="CASCADE"), index=True
    )
    content: Mapped[dict] = mapped_column(sa.JSON)
    lock_version: Mapped[int]
    edited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    edited_by = relationship("User")
