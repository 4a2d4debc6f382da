"""Creating invitations: one per new active contact, with the invitation email queued.

Used by the secretariat's invite form and by an invitee naming a substitute.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa

from coordapp import audit
from coordapp.extensions import db
from coordapp.invitations.notifications import queue_invitations
from coordapp.models import Contact, Invitation, InvitationStatus, Meeting, User, utcnow


@dataclass
class InviteResult:
    invited: list[Invitation] = field(default_factory=list)
    already_invited: list[Contact] = field(default_factory=list)
    inactive_skipped: list[Contact] = field(default_factory=list)


def invite_contacts(
    meeting: Meeting, contacts: Iterable[Contact], *, by: User | None, send: bool = True
) -> InviteResult:
    """Create one invitation per new active contact and queue their emails.

    Contacts already invited are left alone, inactive ones skipped; both are reported.
    Only rows are written here: the worker sends the emails after commit.
    """
    result = InviteResult()
    unique = {contact.id: contact for contact in contacts}
    existing = (
        set(
            db.session.scalars(
                db.select(Invitation.contact_id).where(
                    Invitation.meeting_id == meeting.id,
                    Invitation.contact_id.in_(list(unique)),
                )
            )
        )
        if unique
        else set()
    )
    now = utcnow()
    new_contacts = []
    for contact in unique.values():
        if contact.id in existing:
            result.already_invited.append(contact)
        elif not contact.active:
            result.inactive_skipped.append(contact)
        else:
            new_contacts.append(contact)
    if new_contacts:
        # One multi-row INSERT (the ORM would write self-referencing rows one by one).
        db.session.flush()
        created = list(
            db.session.scalars(
                sa.insert(Invitation).returning(Invitation),
                [
                    {
                        "meeting_id": meeting.id,
                        "contact_id": contact.id,
                        "invited_by_id": by.id if by else None,
                        "invited_at": now,
                        "status": InvitationStatus.PENDING,
                        "reminders_sent": 0,
                    }
                    for contact in new_contacts
                ],
            )
        )
        order = {contact.id: n for n, contact in enumerate(new_contacts)}
        result.invited = sorted(created, key=lambda i: order[i.contact_id])
        if send:
            # Rows only: the worker writes each email just before sending it.
            queue_invitations(result.invited)
        audit.record(
            "invitations.create",
            meeting,
            meeting_id=meeting.id,
            changes={"invited": len(result.invited)},
            note=", ".join(i.contact.email for i in result.invited[:50]),
            user_id=by.id if by else None,
        )
    return result
