"""Mail that arrives in the mailbox the app reads (coordapp/inbound/): one row per
message processed, written in the same transaction as what the message did, so a message
seen again (two workers, a worker killed before moving it) does nothing."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordapp.models.base import Base, UTCDateTime, check_in, enum_column, utcnow


class InboundKind(enum.Enum):
    REPLY = "reply"  # iTIP REPLY from a calendar program: recorded as the answer
    COUNTER = "counter"  # iTIP COUNTER: proposes another time
    REFRESH = "refresh"  # iTIP REFRESH: asks for the invitation again
    BOUNCE = "bounce"  # delivery failed
    DELAY = "delay"  # delivery delayed (temporary failure): noted only
    AUTO_REPLY = "auto_reply"  # out of office and the like: a note, never an answer
    PLAIN = "plain"  # a person's reply: for the secretariat's Inbox
    UNREADABLE = "unreadable"  # too big, malformed, or not safe to act on

    @property
    def label(self) -> str:
        return str(INBOUND_KIND_LABELS[self])


INBOUND_KIND_LABELS = {
    InboundKind.REPLY: _l("Calendar answer"),
    InboundKind.COUNTER: _l("Proposes another time"),
    InboundKind.REFRESH: _l("Asked for the invitation again"),
    InboundKind.BOUNCE: _l("Undeliverable"),
    InboundKind.DELAY: _l("Delivery delayed"),
    InboundKind.AUTO_REPLY: _l("Automatic reply"),
    InboundKind.PLAIN: _l("Message"),
    InboundKind.UNREADABLE: _l("Needs attention"),
}


class InboundFolder(enum.Enum):
    PROCESSED = "Processed"
    NEEDS_ATTENTION = "Needs attention"


class InboundMessage(Base):
    __tablename__ = "inbound_messages"
    __table_args__ = (
        # The message's identity on the server: processed once, whoever sees it again.
        sa.UniqueConstraint("mailbox", "uidvalidity", "uid"),
        check_in("kind", InboundKind, "kind"),
        sa.Index("ix_inbound_messages_open", "handled_at", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox: Mapped[str] = mapped_column(sa.String(200))
    uidvalidity: Mapped[int] = mapped_column(sa.BigInteger)
    uid: Mapped[int] = mapped_column(sa.BigInteger)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    kind: Mapped[InboundKind] = mapped_column(enum_column(InboundKind))
    # Where the message went on the server: "Processed" or "Needs attention".
    folder: Mapped[str] = mapped_column(sa.String(40))
    # Why it needs attention (or what was done), for the secretariat.
    reason: Mapped[str | None] = mapped_column(sa.Text)
    message_id: Mapped[str | None] = mapped_column(sa.String(255))
    from_address: Mapped[str | None] = mapped_column(sa.String(254))
    from_name: Mapped[str | None] = mapped_column(sa.String(200))
    subject: Mapped[str | None] = mapped_column(sa.String(500))
    # Text only (HTML reduced to text), capped; attachments listed, not stored.
    text: Mapped[str | None] = mapped_column(sa.Text)
    attachments: Mapped[list | None] = mapped_column(sa.JSON)
    # A proposed time (COUNTER), ISO 8601 start/end, for the secretariat.
    proposed_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    proposed_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    invitation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("invitations.id", ondelete="SET NULL"), index=True
    )
    meeting_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("meetings.id", ondelete="SET NULL"), index=True
    )
    outgoing_message_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("outgoing_messages.id", ondelete="SET NULL")
    )
    # The secretariat marked it done (plain replies and held messages).
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handled_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    invitation = relationship("Invitation")
    meeting = relationship("Meeting")

    def __repr__(self) -> str:
        return f"<InboundMessage {self.uidvalidity}/{self.uid} {self.kind.value}>"
