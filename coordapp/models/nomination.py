"""Nomination requests: an organisation asked to name its delegates to a meeting.

The organisation's focal point (or, without one, its general address) answers through a
personal link; each person it nominates gets a normal invitation (`Invitation.nomination`).
"""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordapp.models.base import Base, UTCDateTime, utcnow

DEFAULT_PLACES = 2


class NominationRequest(Base):
    __tablename__ = "nomination_requests"
    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "organisation_id"),
        sa.CheckConstraint("places > 0", name="places_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    places: Mapped[int] = mapped_column(default=DEFAULT_PLACES, server_default="2")
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    # The database half of the focal point's personal link (see links.py).
    link_id: Mapped[str] = mapped_column(
        sa.String(32), unique=True, default=lambda: secrets.token_hex(16)
    )
    # Who the request was addressed to: the focal point, else the organisation's address.
    focal_point_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="SET NULL")
    )
    sent_to: Mapped[str | None] = mapped_column(sa.String(254))
    language: Mapped[str] = mapped_column(sa.String(10), default="en")
    # The official letter's number ("12/2027"): one per request, kept when re-rendered.
    letter_number: Mapped[str | None] = mapped_column(sa.String(50))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminders_sent: Mapped[int] = mapped_column(default=0, server_default="0")
    last_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    meeting = relationship("Meeting")
    organisation = relationship("Organisation")
    focal_point = relationship("Contact")
    nominees = relationship("Invitation", back_populates="nomination")

    def __repr__(self) -> str:
        return f"<NominationRequest {self.meeting_id}/{self.organisation_id}>"
