"""Scheduling polls: candidate slots for a draft meeting, the people asked, their answers."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from coordapp.models.base import Base, UTCDateTime, check_in, enum_column, utcnow
from coordapp.models.directory import Contact
from coordapp.models.invitation import new_link_id
from coordapp.models.user import User


class PollVisibility(enum.Enum):
    """What a person asked sees of the others' answers."""

    COUNTS = "counts"  # counts per slot only (the default)
    NAMES = "names"  # names and answers

    @property
    def label(self) -> str:
        return str(POLL_VISIBILITY_LABELS[self])


POLL_VISIBILITY_LABELS = {
    PollVisibility.COUNTS: _l("Counts only"),
    PollVisibility.NAMES: _l("Names and answers"),
}


class PollStatus(enum.Enum):
    OPEN = "open"
    CLOSED = "closed"


class PollChoice(enum.Enum):
    YES = "yes"
    IF_NEED_BE = "if_need_be"
    NO = "no"

    @property
    def label(self) -> str:
        return str(POLL_CHOICE_LABELS[self])


POLL_CHOICE_LABELS = {
    PollChoice.YES: _l("Yes"),
    PollChoice.IF_NEED_BE: _l("If need be"),
    PollChoice.NO: _l("No"),
}


class Poll(Base):
    """A scheduling poll: at most one per meeting."""

    __tablename__ = "polls"
    __table_args__ = (
        check_in("visibility", PollVisibility, "visibility"),
        check_in("status", PollStatus, "status"),
        sa.CheckConstraint(
            "reminder_days_before IS NULL OR reminder_days_before >= 0",
            name="reminder_days_not_negative",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meetings.id", ondelete="CASCADE"), unique=True
    )
    message: Mapped[str | None] = mapped_column(sa.Text)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    visibility: Mapped[PollVisibility] = mapped_column(
        enum_column(PollVisibility), default=PollVisibility.COUNTS
    )
    status: Mapped[PollStatus] = mapped_column(enum_column(PollStatus), default=PollStatus.OPEN)
    # Set when the date is chosen (the poll closes then). use_alter: polls and poll_slots
    # point at each other.
    chosen_slot_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey(
            "poll_slots.id",
            ondelete="SET NULL",
            use_alter=True,
            name="fk_polls_chosen_slot_id_poll_slots",
        )
    )
    # Those who have not answered are reminded this many days before the deadline;
    # None: no automatic reminder.
    reminder_days_before: Mapped[int | None]
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    meeting = relationship("Meeting")
    slots: Mapped[list[PollSlot]] = relationship(
        back_populates="poll",
        foreign_keys="PollSlot.poll_id",
        order_by="(PollSlot.starts_at, PollSlot.ends_at, PollSlot.id)",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    chosen_slot: Mapped[PollSlot | None] = relationship(
        foreign_keys=[chosen_slot_id], post_update=True
    )
    respondents: Mapped[list[PollRespondent]] = relationship(
        back_populates="poll",
        order_by="PollRespondent.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    key_organisations: Mapped[list[PollKeyOrganisation]] = relationship(
        back_populates="poll", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def is_open(self) -> bool:
        return self.status == PollStatus.OPEN

    def __repr__(self) -> str:
        return f"<Poll meeting={self.meeting_id} {self.status.value}>"


class PollSlot(Base):
    """A candidate date: start and end in UTC (shown in the meeting's timezone)."""

    __tablename__ = "poll_slots"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.UniqueConstraint("poll_id", "starts_at", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("polls.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    poll: Mapped[Poll] = relationship(back_populates="slots", foreign_keys=[poll_id])

    def __repr__(self) -> str:
        return f"<PollSlot {self.starts_at:%Y-%m-%d %H:%M}>"


class PollRespondent(Base):
    """A person asked: a contact (through a personal link) or a chair (a user)."""

    __tablename__ = "poll_respondents"
    __table_args__ = (
        sa.CheckConstraint("(contact_id IS NULL) <> (user_id IS NULL)", name="one_person"),
        sa.UniqueConstraint("poll_id", "contact_id"),
        sa.UniqueConstraint("poll_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("polls.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="RESTRICT"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    # The database half of the personal link (links.poll_token), as for invitations.
    link_id: Mapped[str] = mapped_column(sa.String(32), unique=True, default=new_link_id)
    comment: Mapped[str | None] = mapped_column(sa.Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminders_sent: Mapped[int] = mapped_column(default=0, server_default="0")
    last_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the poll's email (question, dates, personal link) was queued for this person:
    # once, when asked if the poll has a date, else with its first date.
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    poll: Mapped[Poll] = relationship(back_populates="respondents")
    contact = relationship("Contact")
    user = relationship("User")
    answers: Mapped[list[PollAnswer]] = relationship(
        back_populates="respondent", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def is_chair(self) -> bool:
        return self.user_id is not None

    @property
    def name(self) -> str:
        return self.user.name if self.user_id is not None else self.contact.name

    @property
    def email(self) -> str:
        return self.user.email if self.user_id is not None else self.contact.email

    def __repr__(self) -> str:
        who = f"user={self.user_id}" if self.user_id else f"contact={self.contact_id}"
        return f"<PollRespondent {self.poll_id}/{who}>"


def people_asked(poll_id: int) -> sa.Select:
    """Everyone asked in a poll, in the order asked, with what naming and reaching them
    needs: the contact and their organisation, or the chair's account and directory
    entry (one query)."""
    return (
        sa.select(PollRespondent)
        .where(PollRespondent.poll_id == poll_id)
        .options(
            joinedload(PollRespondent.contact).joinedload(Contact.organisation),
            joinedload(PollRespondent.user)
            .joinedload(User.contact)
            .joinedload(Contact.organisation),
        )
        .order_by(PollRespondent.id)
    )


class PollAnswer(Base):
    """One person's choice for one slot. Removing the slot removes its answers."""

    __tablename__ = "poll_answers"
    __table_args__ = (
        sa.UniqueConstraint("respondent_id", "slot_id"),
        check_in("choice", PollChoice, "choice"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    respondent_id: Mapped[int] = mapped_column(
        sa.ForeignKey("poll_respondents.id", ondelete="CASCADE")
    )
    slot_id: Mapped[int] = mapped_column(
        sa.ForeignKey("poll_slots.id", ondelete="CASCADE"), index=True
    )
    choice: Mapped[PollChoice] = mapped_column(enum_column(PollChoice))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    respondent: Mapped[PollRespondent] = relationship(back_populates="answers")
    slot: Mapped[PollSlot] = relationship()


class PollKeyOrganisation(Base):
    """An organisation marked "key for this meeting": highlighted in the results."""

    __tablename__ = "poll_key_organisations"
    __table_args__ = (sa.UniqueConstraint("poll_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("polls.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )

    poll: Mapped[Poll] = relationship(back_populates="key_organisations")
    organisation = relationship("Organisation")
