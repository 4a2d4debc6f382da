"""The secretariat's Inbox: people's replies and the messages held for them, and what
they do with them (record the answer in one click, mark done, clear an undeliverable
address). Chairs read the messages about the meetings they chair.

    inbox_query(viewer, tab) -> Select
    record_answer_from(message, status, *, by) -> InvitationStatus
    mark_done(message, *, by)
    clear_undeliverable(contact, *, by)
    meeting_section(meeting, viewer) -> MeetingMail | None
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, raiseload

from coordapp import audit
from coordapp.errors import DomainError
from coordapp.extensions import db
from coordapp.invitations import answers
from coordapp.models import (
    Contact,
    InboundKind,
    InboundMessage,
    Invitation,
    InvitationStatus,
    Meeting,
    MeetingChair,
    User,
    utcnow,
)

TABS = ("open", "unmatched", "attention", "done")
# What a person wrote, and what the app could not act on.
FOR_PEOPLE = (InboundKind.PLAIN, InboundKind.COUNTER)


class InboxError(DomainError):
    status = 409


def chaired_meeting_ids(user: User):
    return sa.select(MeetingChair.meeting_id).where(MeetingChair.user_id == user.id)


def inbox_query(viewer: User, tab: str) -> sa.Select:
    """The messages of `tab`, newest first; a chair sees only their meetings'."""
    query = (
        sa.select(InboundMessage)
        .options(
            joinedload(InboundMessage.invitation).joinedload(Invitation.contact),
            joinedload(InboundMessage.meeting),
            raiseload("*"),
        )
        .order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc())
    )
    if tab == "unmatched":
        query = query.where(
            InboundMessage.invitation_id.is_(None), InboundMessage.handled_at.is_(None)
        )
    elif tab == "attention":
        query = query.where(
            InboundMessage.folder == "Needs attention",
            InboundMessage.invitation_id.is_not(None),
            InboundMessage.handled_at.is_(None),
        )
    elif tab == "done":
        query = query.where(InboundMessage.handled_at.is_not(None))
    else:
        query = query.where(
            InboundMessage.invitation_id.is_not(None),
            InboundMessage.handled_at.is_(None),
            InboundMessage.kind.in_(FOR_PEOPLE),
            InboundMessage.folder == "Processed",
        )
    if not viewer.is_secretariat:
        query = query.where(InboundMessage.meeting_id.in_(chaired_meeting_ids(viewer)))
    return query


def can_read(user: User, message: InboundMessage) -> bool:
    if user.is_secretariat:
        return True
    return message.meeting_id is not None and bool(
        db.session.scalar(
            sa.select(MeetingChair.id).where(
                MeetingChair.meeting_id == message.meeting_id, MeetingChair.user_id == user.id
            )
        )
    )


def is_chair_of_any(user: User) -> bool:
    return bool(db.session.scalar(chaired_meeting_ids(user).limit(1)))


def record_answer_from(
    message: InboundMessage, status: InvitationStatus, *, by: User
) -> InvitationStatus:
    """Record the answer a person wrote in plain words, and mark their message done."""
    invitation = message.invitation
    if invitation is None:
        raise InboxError(str(_l("This message belongs to no invitation.")))
    recorded = answers.record_answer(invitation, status, recorded_by=by)
    mark_done(message, by=by)
    return recorded


def mark_done(message: InboundMessage, *, by: User) -> None:
    if message.handled_at is None:
        message.handled_at = utcnow()
        message.handled_by_id = by.id
        audit.record("inbound.done", message, meeting_id=message.meeting_id, by=by)


def clear_undeliverable(contact: Contact, *, by: User) -> None:
    """The secretariat corrected the address (or knows it works again)."""
    if contact.undeliverable_since is None:
        return
    audit.record(
        "inbound.clear_undeliverable",
        contact,
        changes={"undeliverable_since": [contact.undeliverable_since.isoformat(), None]},
        by=by,
    )
    contact.undeliverable_since = None
    contact.undeliverable_reason = None


@dataclass(frozen=True)
class MeetingMail:
    """What came back by email about one meeting, for its page."""

    messages: list[InboundMessage]
    undeliverable: list[Contact]


def meeting_section(meeting: Meeting, viewer) -> MeetingMail | None:
    """The meeting page's "Answers by email" section (secretariat and chairs): people's
    messages, proposed times, out-of-office notes, and invitees whose address bounces."""
    messages = list(
        db.session.scalars(
            sa.select(InboundMessage)
            .where(
                InboundMessage.meeting_id == meeting.id,
                InboundMessage.kind.in_(
                    (InboundKind.PLAIN, InboundKind.COUNTER, InboundKind.AUTO_REPLY)
                ),
            )
            .options(
                joinedload(InboundMessage.invitation).joinedload(Invitation.contact),
                raiseload("*"),
            )
            .order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc())
            .limit(50)
        ).unique()
    )
    undeliverable = list(
        db.session.scalars(
            sa.select(Contact)
            .join(Invitation, Invitation.contact_id == Contact.id)
            .where(Invitation.meeting_id == meeting.id, Contact.undeliverable_since.is_not(None))
            .order_by(Contact.name)
        )
    )
    if not messages and not undeliverable:
        return None
    return MeetingMail(messages=messages, undeliverable=undeliverable)
