"""Commitments partners make at a meeting, followed up until done."""

from __future__ import annotations

import enum
import secrets
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship, selectinload

from coordapp.models.base import Base, UTCDateTime, check_in, enum_column, utcnow
from coordapp.models.directory import Contact
from coordapp.models.meeting import Meeting


class CommitmentStatus(enum.Enum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DROPPED = "dropped"

    @property
    def label(self) -> str:
        return str(COMMITMENT_STATUS_LABELS[self])

    @property
    def is_active(self) -> bool:
        """Still to follow up (carried over to the next meeting)."""
        return self in (CommitmentStatus.OPEN, CommitmentStatus.IN_PROGRESS)


COMMITMENT_STATUS_LABELS = {
    CommitmentStatus.OPEN: _l("Open"),
    CommitmentStatus.IN_PROGRESS: _l("In progress"),
    CommitmentStatus.DONE: _l("Done"),
    CommitmentStatus.DROPPED: _l("Dropped"),
}

# The official short names of the Sustainable Development Goals.
SDG_NAMES = {
    1: _l("No poverty"),
    2: _l("Zero hunger"),
    3: _l("Good health and well-being"),
    4: _l("Quality education"),
    5: _l("Gender equality"),
    6: _l("Clean water and sanitation"),
    7: _l("Affordable and clean energy"),
    8: _l("Decent work and economic growth"),
    9: _l("Industry, innovation and infrastructure"),
    10: _l("Reduced inequalities"),
    11: _l("Sustainable cities and communities"),
    12: _l("Responsible consumption and production"),
    13: _l("Climate action"),
    14: _l("Life below water"),
    15: _l("Life on land"),
    16: _l("Peace, justice and strong institutions"),
    17: _l("Partnerships for the goals"),
}

commitment_organisations = sa.Table(
    "commitment_organisations",
    Base.metadata,
    sa.Column(
        "commitment_id", sa.ForeignKey("commitments.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "organisation_id",
        sa.ForeignKey("organisations.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class CommitmentSDG(Base):
    __tablename__ = "commitment_sdgs"
    __table_args__ = (sa.CheckConstraint("goal BETWEEN 1 AND 17", name="goal_range"),)

    commitment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("commitments.id", ondelete="CASCADE"), primary_key=True
    )
    goal: Mapped[int] = mapped_column(primary_key=True, index=True)


# The Global Compact for Migration has 23 objectives (titles: coordapp/gcm.py).
GCM_OBJECTIVE_COUNT = 23


class CommitmentGCM(Base):
    """A commitment's contribution to one objective of the Global Compact for Migration."""

    __tablename__ = "commitment_gcm_objectives"
    __table_args__ = (
        sa.CheckConstraint(
            f"objective BETWEEN 1 AND {GCM_OBJECTIVE_COUNT}", name="objective_range"
        ),
    )

    commitment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("commitments.id", ondelete="CASCADE"), primary_key=True
    )
    objective: Mapped[int] = mapped_column(primary_key=True, index=True)


class Commitment(Base):
    __tablename__ = "commitments"
    __table_args__ = (
        check_in("status", CommitmentStatus, "status"),
        sa.CheckConstraint(
            "due_quarter IS NULL OR due_quarter BETWEEN 1 AND 4", name="quarter_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    agenda_item_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("agenda_items.id", ondelete="SET NULL"), index=True
    )
    description: Mapped[str] = mapped_column(sa.Text)
    responsible_contact_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    # Due either on a date or in a quarter ("Q2 2027"): the quarter's last day is due_date.
    due_date: Mapped[date | None] = mapped_column(sa.Date, index=True)
    due_quarter: Mapped[int | None]
    # The latest update's status, kept here so lists can filter without a subquery.
    status: Mapped[CommitmentStatus] = mapped_column(
        enum_column(CommitmentStatus), default=CommitmentStatus.OPEN, index=True
    )
    # The database half of the responsible contact's status-update link (see links.py).
    link_id: Mapped[str] = mapped_column(
        sa.String(32), unique=True, default=lambda: secrets.token_hex(16)
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    meeting = relationship("Meeting")
    agenda_item = relationship("AgendaItem")
    responsible = relationship("Contact")
    organisations = relationship("Organisation", secondary=commitment_organisations)
    sdgs: Mapped[list[CommitmentSDG]] = relationship(
        order_by="CommitmentSDG.goal", cascade="all, delete-orphan"
    )
    gcm: Mapped[list[CommitmentGCM]] = relationship(
        order_by="CommitmentGCM.objective", cascade="all, delete-orphan"
    )
    updates: Mapped[list[CommitmentUpdate]] = relationship(
        order_by="CommitmentUpdate.id", cascade="all, delete-orphan", back_populates="commitment"
    )

    @property
    def goals(self) -> list[int]:
        return [s.goal for s in self.sdgs]

    @property
    def gcm_objectives(self) -> list[int]:
        """The GCM objectives it contributes to, in order."""
        return [g.objective for g in self.gcm]


class CommitmentUpdate(Base):
    """A dated status update; the latest one is the commitment's current status."""

    __tablename__ = "commitment_updates"
    __table_args__ = (check_in("status", CommitmentStatus, "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("commitments.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[CommitmentStatus] = mapped_column(enum_column(CommitmentStatus))
    note: Mapped[str | None] = mapped_column(sa.Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The meeting where this was reviewed (a follow-up item), if any.
    meeting_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("meetings.id", ondelete="SET NULL"), index=True
    )
    by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # Set when the responsible contact posted it through their personal link.
    by_contact_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="SET NULL")
    )

    commitment: Mapped[Commitment] = relationship(back_populates="updates")
    meeting = relationship("Meeting")
    by_user = relationship("User")
    by_contact = relationship("Contact")


def commitment_list_options() -> tuple:
    """Loader options for what lists and pages of commitments show."""
    return (
        joinedload(Commitment.meeting).joinedload(Meeting.series),
        joinedload(Commitment.responsible).joinedload(Contact.organisation),
        joinedload(Commitment.agenda_item),
        selectinload(Commitment.organisations),
        selectinload(Commitment.sdgs),
        selectinload(Commitment.gcm),
    )
