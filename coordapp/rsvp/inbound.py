"""Answers from calendar programs (iTIP, RFC 5546): Accept / Decline / Maybe pressed in
Outlook, Gmail, Apple Calendar or Thunderbird arrives as a REPLY at the invitation's
ORGANIZER address, and is recorded through the same service as the RSVP page
(coordapp/invitations/answers.py): capacity, waiting list, deadline, substitutes.

    handle_calendar(context) -> Outcome | None   # an inbound handler (coordapp/feature.py)

Which invitation: the one whose sub-address the reply was sent to (its token is checked,
coordapp/mail/addresses.py). Only where sub-addresses are off (INBOUND_SUBADDRESS=off)
is a reply matched by the calendar UID and an ATTENDEE equal to the From address.
Anything else is held for the secretariat, never acted on.
"""

from __future__ import annotations

import sqlalchemy as sa

from coordapp.errors import DomainError
from coordapp.extensions import db
from coordapp.ics import meeting_uid
from coordapp.inbound.handling import Context, Outcome
from coordapp.inbound.itip import Itip, read_itip
from coordapp.invitations import answers
from coordapp.invitations.notifications import queue_answer_not_recorded, queue_invitation
from coordapp.mail.addresses import uses_subaddresses
from coordapp.models import (
    Contact,
    InboundKind,
    Invitation,
    InvitationStatus,
    Meeting,
    MeetingStatus,
)

PARTSTATS = {
    "ACCEPTED": InvitationStatus.ACCEPTED,
    "DECLINED": InvitationStatus.DECLINED,
    "TENTATIVE": InvitationStatus.TENTATIVE,
}
KINDS = {"REPLY": InboundKind.REPLY, "COUNTER": InboundKind.COUNTER, "REFRESH": InboundKind.REFRESH}


def _held(itip: Itip, reason: str, invitation: Invitation | None = None) -> Outcome:
    return Outcome(KINDS[itip.method], needs_attention=True, reason=reason, invitation=invitation)


def _meeting_id_of_uid(uid: str) -> int | None:
    local = uid.partition("@")[0]
    if not local.startswith("meeting-"):
        return None
    try:
        return int(local[len("meeting-") :])
    except ValueError:
        return None


def _by_uid_and_sender(itip: Itip, sender: str | None) -> Invitation | None:
    """Without sub-addresses: the invitation of the meeting the UID names, for the
    contact whose address is both the From and an ATTENDEE of the reply."""
    meeting_id = _meeting_id_of_uid(itip.uid)
    if meeting_id is None or not sender or itip.attendee(sender) is None:
        return None
    return db.session.scalar(
        sa.select(Invitation)
        .join(Contact, Contact.id == Invitation.contact_id)
        .where(Invitation.meeting_id == meeting_id, Contact.email == sender.lower())
    )


def _closed_reason(invitation: Invitation) -> str:
    meeting = invitation.meeting
    if invitation.is_withdrawn:
        return "withdrawn"
    if meeting.status == MeetingStatus.CANCELLED:
        return "cancelled"
    if meeting.status not in answers.OPEN_MEETING:
        return "over"
    if invitation.status == InvitationStatus.DELEGATED:
        return "delegated"
    return "deadline"


def handle_calendar(context: Context) -> Outcome | None:
    mail = context.mail
    itip = None
    for text in mail.calendars:
        try:
            itip = read_itip(text)
        except ValueError as error:
            return Outcome(InboundKind.UNREADABLE, needs_attention=True, reason=str(error))
        if itip is not None:
            break
    if itip is None:
        return None

    invitation = context.invitation
    if invitation is None and not uses_subaddresses():
        invitation = _by_uid_and_sender(itip, mail.from_address)
    if invitation is None:
        return _held(itip, "calendar reply that matches no invitation")
    meeting: Meeting = invitation.meeting
    if itip.uid != meeting_uid(meeting):
        return _held(itip, "calendar reply names another meeting", invitation)
    contact_email = invitation.contact.email
    # Only the invitee's own ATTENDEE line counts: a reply naming someone else (another
    # invitee, an alias) is held for the secretariat.
    attendee = itip.attendee(contact_email)
    if itip.method == "REFRESH":
        queue_invitation(invitation)
        return Outcome(InboundKind.REFRESH, invitation=invitation, reason="invitation sent again")
    if attendee is None:
        return _held(itip, "calendar reply names another attendee", invitation)
    if itip.method == "COUNTER":
        return Outcome(
            InboundKind.COUNTER,
            invitation=invitation,
            proposed_start=itip.proposed_start,
            proposed_end=itip.proposed_end,
            reason=itip.comment,
        )
    return _record_reply(context, invitation, itip, attendee)


def _is_stale(invitation: Invitation, itip: Itip) -> bool:
    """Older than the answer already recorded: sent before it, or for an earlier
    version of the meeting once an answer is recorded."""
    if invitation.responded_at is None:
        return False
    if itip.dtstamp is not None and itip.dtstamp < invitation.responded_at:
        return True
    return itip.sequence < (invitation.meeting.ics_sequence or 0)


def _record_reply(context: Context, invitation: Invitation, itip: Itip, attendee) -> Outcome:
    if _is_stale(invitation, itip):
        return Outcome(
            InboundKind.REPLY, invitation=invitation, reason="older than the recorded answer"
        )
    automatic = context.is_automatic
    if answers.answers_closed_reason(invitation) is not None:
        if not automatic:
            queue_answer_not_recorded(invitation, _closed_reason(invitation))
        return Outcome(
            InboundKind.REPLY,
            invitation=invitation,
            reason=f"not recorded: {_closed_reason(invitation)}",
        )
    try:
        if attendee.partstat == "DELEGATED":
            if not attendee.delegated_to:
                return _held(itip, "delegated without naming to whom", invitation)
            email = attendee.delegated_to[0]
            delegate = itip.attendee(email)
            name = (delegate.name if delegate else None) or email.partition("@")[0]
            answers.delegate_to_substitute(
                invitation, name=name, email=email, position=None, source="calendar"
            )
            return Outcome(InboundKind.REPLY, invitation=invitation, reason=f"delegated to {email}")
        status = PARTSTATS.get(attendee.partstat)
        if status is None:
            return _held(itip, f"calendar answer {attendee.partstat[:40]}", invitation)
        recorded = answers.record_answer(
            invitation,
            status,
            comment=itip.comment if itip.comment is not None else None,
            source="calendar",
            confirm=not automatic,
        )
    except DomainError as error:
        return _held(itip, str(error), invitation)
    return Outcome(InboundKind.REPLY, invitation=invitation, reason=recorded.value)
