"""Invitations: one per (meeting, contact), answered through a personal link."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordapp.models.base import Base, UTCDateTime, check_in, enum_column, utcnow
from coordapp.models.meeting import MeetingFormat


class InvitationStatus(enum.Enum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    TENTATIVE = "tentative"
    DECLINED = "declined"
    DELEGATED = "delegated"
    # Accepted while the meeting was full: moves up, in order, when a seat frees.
    WAITLISTED = "waitlisted"

    @property
    def label(self) -> str:
        return str(INVITATION_STATUS_LABELS[self])


INVITATION_STATUS_LABELS = {
    InvitationStatus.PENDING: _l("No answer yet"),
    InvitationStatus.ACCEPTED: _l("Accepted"),
    InvitationStatus.TENTATIVE: _l("Tentative"),
    InvitationStatus.DECLINED: _l("Declined"),
    InvitationStatus.DELEGATED: _l("Delegated"),
    InvitationStatus.WAITLISTED: _l("Waiting list"),
}


class Attendance(enum.Enum):
    PRESENT = "present"
    ABSENT = "absent"
    EXCUSED = "excused"

    @property
    def label(self) -> str:
        return str(ATTENDANCE_LABELS[self])


ATTENDANCE_LABELS = {
    Attendance.PRESENT: _l("Present"),
    Attendance.ABSENT: _l("Absent"),
    Attendance.EXCUSED: _l("Excused"),
}


class AttendanceMode(enum.Enum):
    """How someone takes part in a hybrid meeting: in the room or online."""

    IN_PERSON = "in_person"
    ONLINE = "online"

    @property
    def label(self) -> str:
        return str(ATTENDANCE_MODE_LABELS[self])


ATTENDANCE_MODE_LABELS = {
    AttendanceMode.IN_PERSON: _l("In person"),
    AttendanceMode.ONLINE: _l("Online"),
}


def new_link_id() -> str:
    """128 bits of randomness; the database half of a personal link (see links.py)."""
    return secrets.token_hex(16)


def new_link_ids(count: int) -> list[str]:
    """`count` link ids as new_link_id makes them, from one read of the system's random
    source instead of `count` (inviting 10,000 contacts)."""
    random = secrets.token_hex(16 * count)
    return [random[n : n + 32] for n in range(0, 32 * count, 32)]


class Invitation(Base):
    __tablename__ = "invitations"
    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "contact_id"),
        check_in("status", InvitationStatus, "status"),
        check_in("attendance", Attendance, "attendance"),
        check_in("attendance_mode", AttendanceMode, "attendance_mode"),
        check_in("present_mode", AttendanceMode, "present_mode"),
        sa.Index("ix_invitations_meeting_status", "meeting_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="RESTRICT"), index=True
    )
    link_id: Mapped[str] = mapped_column(sa.String(32), unique=True, default=new_link_id)
    status: Mapped[InvitationStatus] = mapped_column(
        enum_column(InvitationStatus), default=InvitationStatus.PENDING
    )
    needs: Mapped[str | None] = mapped_column(sa.Text)
    comment: Mapped[str | None] = mapped_column(sa.Text)
    # "Send a substitute": this invitation was handed on to `substitute`.
    substitute_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("invitations.id", ondelete="SET NULL")
    )
    delegated_from_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("invitations.id", ondelete="SET NULL")
    )
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    invited_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the secretariat recorded the answer on the invitee's behalf.
    response_recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    waitlisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminders_sent: Mapped[int] = mapped_column(default=0)
    last_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The RSVP deadline / start time a reminder was sent for: a reschedule makes them stale.
    reminded_for_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_for_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attendance: Mapped[Attendance | None] = mapped_column(enum_column(Attendance))
    # How the invitee said they will take part (hybrid meetings): None is in person.
    attendance_mode: Mapped[AttendanceMode | None] = mapped_column(enum_column(AttendanceMode))
    # How they were present on the day (with attendance PRESENT).
    present_mode: Mapped[AttendanceMode | None] = mapped_column(enum_column(AttendanceMode))
    # Nominated by their organisation in answer to this nomination request.
    nomination_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("nomination_requests.id", ondelete="SET NULL"), index=True
    )
    # Came on the day without an invitation (added by the secretariat at the door).
    walk_in: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # The organisation this person spoke for, when not their own (e.g. a consultant
    # representing a ministry); empty means their own organisation.
    represents_organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="SET NULL")
    )

    meeting = relationship("Meeting")
    contact = relationship("Contact")
    represents_organisation = relationship("Organisation")
    nomination = relationship("NominationRequest", back_populates="nominees")
    substitute: Mapped[Invitation | None] = relationship(
        foreign_keys=[substitute_id], remote_side=[id]
    )
    delegated_from: Mapped[Invitation | None] = relationship(
        foreign_keys=[delegated_from_id], remote_side=[id]
    )

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def visible_online_url(self) -> str | None:
        """The meeting's online link if this invitee may see it: only once they accepted
        (an online link in every invitation would be an open door)."""
        if self.status != InvitationStatus.ACCEPTED or self.is_withdrawn:
            return None
        return self.meeting.online_url

    @property
    def online(self) -> bool:
        """Takes part online: chose so for a hybrid meeting, or the meeting is online."""
        mode = self.meeting.mode
        if mode is MeetingFormat.HYBRID:
            return self.attendance_mode is AttendanceMode.ONLINE
        return mode is MeetingFormat.ONLINE

    def __repr__(self) -> str:
        return f"<Invitation {self.meeting_id}/{self.contact_id} {self.status.value}>"
