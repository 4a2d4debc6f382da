"""Series of meetings, meetings and their chairs."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship, selectinload

from coordapp.models.base import Base, UTCDateTime, check_in, enum_column, utcnow


class MeetingStatus(enum.Enum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    HELD = "held"
    CLOSED = "closed"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])

    def can_become(self, other: MeetingStatus) -> bool:
        return other in ALLOWED_TRANSITIONS[self]


STATUS_LABELS = {
    MeetingStatus.DRAFT: _l("Draft"),
    MeetingStatus.SCHEDULED: _l("Scheduled"),
    MeetingStatus.HELD: _l("Held"),
    MeetingStatus.CLOSED: _l("Closed"),
    MeetingStatus.CANCELLED: _l("Cancelled"),
}

# The one place that says which status may follow which.
ALLOWED_TRANSITIONS: dict[MeetingStatus, set[MeetingStatus]] = {
    MeetingStatus.DRAFT: {MeetingStatus.SCHEDULED, MeetingStatus.CANCELLED},
    MeetingStatus.SCHEDULED: {MeetingStatus.HELD, MeetingStatus.CANCELLED, MeetingStatus.DRAFT},
    MeetingStatus.HELD: {MeetingStatus.CLOSED},
    MeetingStatus.CLOSED: set(),
    MeetingStatus.CANCELLED: set(),
}


class MeetingKind(enum.Enum):
    REGULAR = "regular"
    EXTENDED = "extended"
    EXTRAORDINARY = "extraordinary"
    TECHNICAL = "technical"
    WORKSHOP = "workshop"
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(KIND_LABELS[self])


KIND_LABELS = {
    MeetingKind.REGULAR: _l("Regular meeting"),
    MeetingKind.EXTENDED: _l("Extended meeting"),
    MeetingKind.EXTRAORDINARY: _l("Extraordinary meeting"),
    MeetingKind.TECHNICAL: _l("Technical meeting"),
    MeetingKind.WORKSHOP: _l("Workshop"),
    MeetingKind.OTHER: _l("Other"),
}


class MeetingFormat(enum.Enum):
    IN_PERSON = "in_person"
    ONLINE = "online"
    HYBRID = "hybrid"

    @property
    def label(self) -> str:
        return str(FORMAT_LABELS[self])


FORMAT_LABELS = {
    MeetingFormat.IN_PERSON: _l("In person"),
    MeetingFormat.ONLINE: _l("Online"),
    MeetingFormat.HYBRID: _l("Hybrid (in person and online)"),
}


series_default_contacts = sa.Table(
    "series_default_contacts",
    Base.metadata,
    sa.Column("series_id", sa.ForeignKey("series.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("contact_id", sa.ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True),
)

series_default_organisations = sa.Table(
    "series_default_organisations",
    Base.metadata,
    sa.Column("series_id", sa.ForeignKey("series.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "organisation_id", sa.ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    ),
)


class Series(Base):
    """A standing body that meets repeatedly, e.g. "Country Network on Migration"."""

    __tablename__ = "series"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(300), unique=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    # The frameworks its commitments are tagged with: the SDGs always, the Global Compact
    # for Migration's objectives when this is on (a migration network).
    uses_gcm: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The database half of the calendar subscription link (see links.py).
    feed_link_id: Mapped[str] = mapped_column(
        sa.String(32), unique=True, default=lambda: secrets.token_hex(16)
    )

    default_chairs: Mapped[list[SeriesChair]] = relationship(
        order_by="SeriesChair.position", cascade="all, delete-orphan", back_populates="series"
    )
    default_contacts = relationship("Contact", secondary=series_default_contacts)
    default_organisations = relationship("Organisation", secondary=series_default_organisations)
    meetings: Mapped[list[Meeting]] = relationship(back_populates="series")

    def __repr__(self) -> str:
        return f"<Series {self.name}>"


class SeriesChair(Base):
    __tablename__ = "series_chairs"
    __table_args__ = (sa.UniqueConstraint("series_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(sa.ForeignKey("series.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    role_label: Mapped[str] = mapped_column(sa.String(200), default="")

    series: Mapped[Series] = relationship(back_populates="default_chairs")
    user = relationship("User")


class Meeting(Base):
    __tablename__ = "meetings"
    __table_args__ = (
        sa.UniqueConstraint("series_id", "number"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint(
            "rsvp_deadline IS NULL OR rsvp_deadline <= starts_at", name="rsvp_before_start"
        ),
        sa.CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        sa.CheckConstraint("reminder_days >= 0", name="reminder_days_not_negative"),
        check_in("status", MeetingStatus, "status"),
        check_in("kind", MeetingKind, "kind"),
        check_in("format", MeetingFormat, "format"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    series_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("series.id", ondelete="RESTRICT"), index=True
    )
    number: Mapped[int | None]
    kind: Mapped[MeetingKind] = mapped_column(enum_column(MeetingKind), default=MeetingKind.REGULAR)
    description: Mapped[str | None] = mapped_column(sa.Text)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(sa.String(64))
    venue: Mapped[str | None] = mapped_column(sa.String(500))
    online_url: Mapped[str | None] = mapped_column(sa.String(1000))
    # In person / online / hybrid as the secretariat said; None: derived (see `mode`).
    format: Mapped[MeetingFormat | None] = mapped_column(enum_column(MeetingFormat))
    rsvp_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    capacity: Mapped[int | None]
    language: Mapped[str] = mapped_column(sa.String(10), default="en")
    status: Mapped[MeetingStatus] = mapped_column(
        enum_column(MeetingStatus), default=MeetingStatus.DRAFT, index=True
    )
    cancel_reason: Mapped[str | None] = mapped_column(sa.Text)
    # iCalendar SEQUENCE: bumped whenever time, place or link change, and on cancelling.
    ics_sequence: Mapped[int] = mapped_column(default=0, server_default="0")
    # Pending invitees are reminded this many days before the RSVP deadline.
    reminder_days: Mapped[int] = mapped_column(default=3, server_default="3")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    series: Mapped[Series | None] = relationship(back_populates="meetings")
    chairs: Mapped[list[MeetingChair]] = relationship(
        order_by="MeetingChair.position", cascade="all, delete-orphan", back_populates="meeting"
    )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local(self, moment: datetime | None) -> datetime | None:
        """`moment` (UTC) seen on the wall clock of the meeting's place."""
        return moment.astimezone(self.tz) if moment else None

    def move_to(self, new_status: MeetingStatus) -> dict[str, list[str]]:
        """Move along the life cycle (ALLOWED_TRANSITIONS); returns the change for the audit
        log. ValueError if the current status does not allow it: callers say why."""
        if not self.status.can_become(new_status):
            raise ValueError(f"{self.status.value} cannot become {new_status.value}")
        change = {"status": [self.status.value, new_status.value]}
        self.status = new_status
        return change

    @property
    def mode(self) -> MeetingFormat:
        """The meeting's format: the one set, else derived from venue and online link
        (both: hybrid; only a link: online; otherwise in person)."""
        if self.format is not None:
            return self.format
        if self.online_url and self.venue:
            return MeetingFormat.HYBRID
        if self.online_url:
            return MeetingFormat.ONLINE
        return MeetingFormat.IN_PERSON

    @property
    def is_hybrid(self) -> bool:
        return self.mode is MeetingFormat.HYBRID

    @property
    def full_title(self) -> str:
        if self.series is not None and self.number:
            return f"{self.series.name} — {self.title}"
        return self.title

    def __repr__(self) -> str:
        return f"<Meeting {self.title}>"


class MeetingChair(Base):
    __tablename__ = "meeting_chairs"
    __table_args__ = (sa.UniqueConstraint("meeting_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    position: Mapped[int] = mapped_column(default=0)
    role_label: Mapped[str] = mapped_column(sa.String(200), default="")

    meeting: Mapped[Meeting] = relationship(back_populates="chairs")
    user = relationship("User")


def meeting_page_options() -> tuple:
    """Loader options for what every meeting page shows: the series and the chairs."""
    return (
        joinedload(Meeting.series),
        selectinload(Meeting.chairs).joinedload(MeetingChair.user),
    )
