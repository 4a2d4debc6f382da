"""The agenda of a meeting: ordered items with presenters and attachments."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from coordapp.models.base import Base, UTCDateTime, check_in, enum_column, utcnow


class AgendaItemKind(enum.Enum):
    OPENING = "opening"
    PRESENTATION = "presentation"
    DISCUSSION = "discussion"
    DECISION = "decision"
    FOLLOW_UP = "follow_up"  # the "Follow-up of commitments" item
    AOB = "aob"
    CLOSING = "closing"

    @property
    def label(self) -> str:
        return str(AGENDA_KIND_LABELS[self])


AGENDA_KIND_LABELS = {
    AgendaItemKind.OPENING: _l("Opening"),
    AgendaItemKind.PRESENTATION: _l("Presentation"),
    AgendaItemKind.DISCUSSION: _l("Discussion"),
    AgendaItemKind.DECISION: _l("Decision"),
    AgendaItemKind.FOLLOW_UP: _l("Follow-up of commitments"),
    AgendaItemKind.AOB: _l("Any other business"),
    AgendaItemKind.CLOSING: _l("Closing"),
}


class AgendaItemPresenter(Base):
    __tablename__ = "agenda_item_presenters"

    agenda_item_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agenda_items.id", ondelete="CASCADE"), primary_key=True
    )
    contact_id: Mapped[int] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(default=0)

    contact = relationship("Contact")


class AgendaItem(Base):
    __tablename__ = "agenda_items"
    __table_args__ = (
        check_in("kind", AgendaItemKind, "kind"),
        sa.CheckConstraint("duration_minutes >= 0", name="duration_not_negative"),
        sa.Index("ix_agenda_items_meeting_position", "meeting_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(sa.String(300))
    description: Mapped[str | None] = mapped_column(sa.Text)  # Markdown
    # The description's sanitised HTML, rendered once when it is set (coordapp/richtext.py).
    description_html: Mapped[str | None] = mapped_column(sa.Text)
    kind: Mapped[AgendaItemKind] = mapped_column(
        enum_column(AgendaItemKind), default=AgendaItemKind.DISCUSSION
    )
    duration_minutes: Mapped[int] = mapped_column(default=15)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    meeting = relationship("Meeting")
    presenters: Mapped[list[AgendaItemPresenter]] = relationship(
        order_by="AgendaItemPresenter.position", cascade="all, delete-orphan"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        order_by="Attachment.id", cascade="all, delete-orphan", back_populates="agenda_item"
    )


class Attachment(Base):
    """A document on an agenda item, kept in the database so every process serves it."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    agenda_item_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agenda_items.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(127))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    data: Mapped[bytes] = deferred(mapped_column(sa.LargeBinary))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    agenda_item: Mapped[AgendaItem] = relationship(back_populates="attachments")
