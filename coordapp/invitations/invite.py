"""Creating invitations: one per new active contact, with the invitation email queued.

Used by the secretariat's invite form and by an invitee naming a substitute.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

import sqlalchemy as sa

from coordapp import audit
from coordapp.database import rows_from_json, same_for_every_row
from coordapp.extensions import db
from coordapp.invitations.notifications import queue_invitations
from coordapp.models import Invitation, InvitationStatus, Meeting, User, utcnow
from coordapp.models.invitation import new_link_ids


class Invitee(Protocol):
    """What inviting reads of a contact: a Contact, or a row of these columns."""

    id: int
    name: str
    email: str
    active: bool


@dataclass
class InviteResult:
    # (invitation id, contact id) of each invitation created, in the order of the contacts.
    created: list[tuple[int, int]] = field(default_factory=list)
    already_invited: list[Invitee] = field(default_factory=list)
    inactive_skipped: list[Invitee] = field(default_factory=list)
    _invited: list[Invitation] | None = field(default=None, repr=False)

    @property
    def invited_count(self) -> int:
        return len(self.created)

    @property
    def invited_contact_ids(self) -> list[int]:
        return [contact_id for _, contact_id in self.created]

    @property
    def invited(self) -> list[Invitation]:
        """The new invitations as objects, loaded on first use (one query): inviting
        10,000 contacts does not build 10,000 objects nobody reads."""
        if self._invited is None:
            ids = [invitation_id for invitation_id, _ in self.created]
            loaded = (
                {
                    i.id: i
                    for i in db.session.scalars(sa.select(Invitation).where(Invitation.id.in_(ids)))
                }
                if ids
                else {}
            )
            self._invited = [loaded[i] for i in ids]
        return self._invited


def invite_contacts(
    meeting: Meeting, contacts: Iterable[Invitee], *, by: User | None, send: bool = True
) -> InviteResult:
    """Create one invitation per new active contact and queue their emails.

    Contacts already invited are left alone, inactive ones skipped; both are reported.
    Only rows are written here: the worker sends the emails after commit. A fixed number
    of statements whatever the number of contacts (the rows go in multi-row INSERTs).
    """
    result = InviteResult()
    unique = {contact.id: contact for contact in contacts}
    db.session.flush()  # the rows the invitations point to must exist first
    existing = (
        set(
            db.session.scalars(
                # All of the meeting's invitees (not `IN (10,000 ids)`): one bounded statement.
                db.select(Invitation.contact_id).where(Invitation.meeting_id == meeting.id)
            )
        )
        if unique
        else set()
    )
    new_contacts = []
    for contact in unique.values():
        if contact.id in existing:
            result.already_invited.append(contact)
        elif not contact.active:
            result.inactive_skipped.append(contact)
        else:
            new_contacts.append(contact)
    if not new_contacts:
        return result
    table = Invitation.__table__
    now = utcnow()
    by_id = by.id if by else None
    same_for_all = {
        "meeting_id": meeting.id,
        "invited_by_id": by_id,
        "invited_at": now,
        "status": InvitationStatus.PENDING,
        "reminders_sent": 0,
        "walk_in": False,
    }
    # One INSERT … SELECT whose rows travel as one JSON parameter; only the new ids come
    # back (no ORM objects for 10,000 invitations).
    varying = rows_from_json(
        [
            {"contact_id": c.id, "link_id": link_id}
            for c, link_id in zip(new_contacts, new_link_ids(len(new_contacts)), strict=True)
        ],
        {"contact_id": table.c.contact_id.type, "link_id": table.c.link_id.type},
    )
    select = varying.add_columns(*same_for_every_row(table, same_for_all))
    created = db.session.execute(
        sa.insert(table)
        .from_select(["contact_id", "link_id", *same_for_all], select)
        .returning(table.c.id, table.c.contact_id)
    ).all()
    invitation_ids = {contact_id: invitation_id for invitation_id, contact_id in created}
    result.created = [(invitation_ids[c.id], c.id) for c in new_contacts]
    if send:
        # Rows only: the worker writes each email just before sending it.
        queue_invitations(
            meeting.id, [(invitation_ids[c.id], c.email, c.name) for c in new_contacts]
        )
    audit.record(
        "invitations.create",
        meeting,
        meeting_id=meeting.id,
        changes={"invited": result.invited_count},
        note=", ".join(c.email for c in new_contacts[:50]),
        user_id=by_id,
    )
    return result
