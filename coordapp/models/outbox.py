"""The outbox: every email is written here in the same transaction as the change
that causes it, then delivered by the worker (see coordapp/mail/)."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordapp.models.base import Base, UTCDateTime, check_in, enum_column, utcnow


class MessageStatus(enum.Enum):
    QUEUED = "queued"  # waiting for (another) delivery attempt
    SENDING = "sending"  # claimed by a worker
    SENT = "sent"
    FAILED = "failed"  # permanent failure, or retries exhausted
    OBSOLETE = "obsolete"  # dropped before sending, e.g. a reminder for a stale time

    @property
    def label(self) -> str:
        return str(MESSAGE_STATUS_LABELS[self])


MESSAGE_STATUS_LABELS = {
    MessageStatus.QUEUED: _l("Queued"),
    MessageStatus.SENDING: _l("Sending"),
    MessageStatus.SENT: _l("Sent"),
    MessageStatus.FAILED: _l("Failed"),
    MessageStatus.OBSOLETE: _l("Not sent (obsolete)"),
}


class MessageKind(enum.Enum):
    INVITATION = "invitation"
    REMINDER = "reminder"
    CONFIRMATION = "confirmation"
    UPDATE = "update"
    CANCELLATION = "cancellation"
    WAITLIST = "waitlist"
    OTHER = "other"


class OutgoingMessage(Base):
    __tablename__ = "outgoing_messages"
    __table_args__ = (
        check_in("status", MessageStatus, "status"),
        check_in("kind", MessageKind, "kind"),
        sa.Index("ix_outgoing_messages_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[MessageKind] = mapped_column(enum_column(MessageKind))
    # Unique Message-ID header, fixed when queued: a retry carries the same id.
    message_id: Mapped[str] = mapped_column(sa.String(255), unique=True)
    to_email: Mapped[str] = mapped_column(sa.String(254))
    to_name: Mapped[str | None] = mapped_column(sa.String(200))
    # The registered writer (coordapp/mail/writers.py) that writes this email, and the
    # ids and facts it needs. The worker writes the text just before sending and
    # stores it here: subject and bodies stay empty until then.
    writer: Mapped[str | None] = mapped_column(sa.String(40))
    params: Mapped[dict | None] = mapped_column(sa.JSON)
    subject: Mapped[str | None] = mapped_column(sa.String(500))
    text_body: Mapped[str | None] = mapped_column(sa.Text)
    html_body: Mapped[str | None] = mapped_column(sa.Text)
    # A calendar attachment: METHOD (REQUEST / CANCEL) and the iCalendar text.
    ics_method: Mapped[str | None] = mapped_column(sa.String(16))
    ics_body: Mapped[str | None] = mapped_column(sa.Text)
    meeting_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    invitation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("invitations.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[MessageStatus] = mapped_column(
        enum_column(MessageStatus), default=MessageStatus.QUEUED
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Which delivery run claimed it (runs claim a batch in one UPDATE).
    claim_token: Mapped[str | None] = mapped_column(sa.String(32))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    # A bounce came back for it after the relay accepted it (coordapp/inbound/).
    bounced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    bounce_reason: Mapped[str | None] = mapped_column(sa.Text)

    meeting = relationship("Meeting")
    invitation = relationship("Invitation")

    def __repr__(self) -> str:
        return f"<OutgoingMessage {self.id} {self.kind.value} {self.status.value}>"
