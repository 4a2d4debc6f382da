"""Outcomes of a meeting made public: the summary the secretariat writes from the approved
minutes, each version it published, and its photo."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from coordapp.models.base import Base, UTCDateTime, check_in, enum_column, utcnow


class SummaryStatus(enum.Enum):
    DRAFT = "draft"  # never published
    PUBLISHED = "published"
    UNPUBLISHED = "unpublished"  # was public, taken down (its page says so: 410)

    @property
    def label(self) -> str:
        return str(SUMMARY_STATUS_LABELS[self])


SUMMARY_STATUS_LABELS = {
    SummaryStatus.DRAFT: _l("Draft, not public"),
    SummaryStatus.PUBLISHED: _l("Published"),
    SummaryStatus.UNPUBLISHED: _l("Unpublished"),
}


class OutcomePhoto(Base):
    """A photo for a public summary, re-encoded without metadata, kept in the database so
    every app process serves it."""

    __tablename__ = "outcome_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    content_type: Mapped[str] = mapped_column(sa.String(40))
    width: Mapped[int]
    height: Mapped[int]
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    data: Mapped[bytes] = deferred(mapped_column(sa.LargeBinary))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )


class OutcomeSummary(Base):
    """The public summary of one meeting: the secretariat's working copy (draft fields)
    and where it stands. What the public reads is the latest `OutcomeSummaryVersion`."""

    __tablename__ = "outcome_summaries"
    __table_args__ = (check_in("status", SummaryStatus, "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meetings.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[SummaryStatus] = mapped_column(
        enum_column(SummaryStatus), default=SummaryStatus.DRAFT, index=True
    )
    # The language the summary is written in (one the app ships).
    language: Mapped[str] = mapped_column(sa.String(10))
    title: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text, default="")  # Markdown
    body_html: Mapped[str | None] = mapped_column(sa.Text)  # rendered once, when set
    photo_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("outcome_photos.id", ondelete="SET NULL")
    )
    photo_alt: Mapped[str | None] = mapped_column(sa.String(300))
    # What the pre-fill was allowed to name.
    name_chairs: Mapped[bool] = mapped_column(default=False)
    name_organisations: Mapped[bool] = mapped_column(default=False)
    # Set at the first publication, never changed after: the public URL.
    slug: Mapped[str | None] = mapped_column(sa.String(120), unique=True)
    # The Atom entry's id (urn:uuid:...), the same for every version.
    entry_uuid: Mapped[str] = mapped_column(
        sa.String(36), unique=True, default=lambda: str(uuid.uuid4())
    )
    # Optimistic lock: a save based on an older state is refused.
    lock_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unpublished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    meeting = relationship("Meeting")
    photo: Mapped[OutcomePhoto | None] = relationship()
    versions: Mapped[list[OutcomeSummaryVersion]] = relationship(
        order_by="OutcomeSummaryVersion.number",
        back_populates="summary",
        cascade="all, delete-orphan",
    )


class OutcomeSummaryVersion(Base):
    """What was made public at one publication; never changed afterwards."""

    __tablename__ = "outcome_summary_versions"
    __table_args__ = (sa.UniqueConstraint("summary_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    summary_id: Mapped[int] = mapped_column(
        sa.ForeignKey("outcome_summaries.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    language: Mapped[str] = mapped_column(sa.String(10))
    title: Mapped[str] = mapped_column(sa.String(300))
    body_html: Mapped[str] = mapped_column(sa.Text)
    photo_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("outcome_photos.id", ondelete="SET NULL")
    )
    photo_alt: Mapped[str | None] = mapped_column(sa.String(300))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    published_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    summary: Mapped[OutcomeSummary] = relationship(back_populates="versions")
    photo: Mapped[OutcomePhoto | None] = relationship()
    published_by = relationship("User")
