"""Telling invitees that a meeting moved or was cancelled, with a calendar update.

Both functions work in the caller's transaction (nothing is committed here): the
emails go to the outbox with the change that causes them (see coordapp/mail/queue.py).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from coordapp.calendar.ics import meeting_calendar
from coordapp.extensions import db
from coordapp.invitations.service import rsvp_url
from coordapp.mail.compose import render_email
from coordapp.mail.queue import queue_email
from coordapp.models import (
    Contact,
    Invitation,
    InvitationStatus,
    Meeting,
    MeetingStatus,
    MessageKind,
    MessageStatus,
    OutgoingMessage,
)

# A change to any of these moves the event in the invitees' calendars.
CALENDAR_FIELDS = frozenset({"starts_at", "ends_at", "timezone", "venue", "online_url"})
TIME_FIELDS = frozenset({"starts_at", "ends_at", "timezone"})
PLACE_FIELDS = frozenset({"venue", "online_url"})

# Invitees who still expect to hear about the meeting. Declined and delegated ones
# have handed it on; withdrawn invitations are filtered separately.
STILL_INVOLVED = (
    InvitationStatus.PENDING,
    InvitationStatus.ACCEPTED,
    InvitationStatus.TENTATIVE,
    InvitationStatus.WAITLISTED,
)

# Queued mail that makes no sense once the meeting is cancelled.
OBSOLETE_ON_CANCEL = (
    MessageKind.INVITATION,
    MessageKind.REMINDER,
    MessageKind.UPDATE,
    MessageKind.CONFIRMATION,
    MessageKind.WAITLIST,
)


@dataclass(frozen=True)
class PreviousSchedule:
    """Time and place of a meeting before an edit, for the "was … now …" lines."""

    starts_at: datetime
    ends_at: datetime
    timezone: str
    venue: str | None
    online_url: str | None


def _as_datetime(value: Any) -> Any:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def previous_schedule(meeting: Meeting, previous: Mapping[str, Any]) -> PreviousSchedule:
    """The schedule before an edit: `previous` holds the old value of each changed
    field (datetimes as aware datetimes or ISO strings, as in the audit diff)."""

    def old(name: str) -> Any:
        return previous[name] if name in previous else getattr(meeting, name)

    return PreviousSchedule(
        starts_at=_as_datetime(old("starts_at")),
        ends_at=_as_datetime(old("ends_at")),
        timezone=old("timezone"),
        venue=old("venue"),
        online_url=old("online_url"),
    )


def invitees_to_notify(meeting: Meeting) -> list[Invitation]:
    """Invitations still in play (not declined, delegated or withdrawn), with their
    contacts, in one query."""
    return list(
        db.session.scalars(
            sa.select(Invitation)
            .join(Invitation.contact)
            .options(contains_eager(Invitation.contact))
            .where(
                Invitation.meeting_id == meeting.id,
                Invitation.status.in_(STILL_INVOLVED),
                Invitation.withdrawn_at.is_(None),
            )
            .order_by(Contact.name, Invitation.id)
        )
    )


def make_queued_messages_obsolete(meeting: Meeting, kinds: Iterable[MessageKind]) -> int:
    """Drop still-queued messages of `kinds` for `meeting`; returns how many."""
    result = db.session.execute(
        sa.update(OutgoingMessage)
        .where(
            OutgoingMessage.meeting_id == meeting.id,
            OutgoingMessage.kind.in_(list(kinds)),
            OutgoingMessage.status == MessageStatus.QUEUED,
        )
        .values(status=MessageStatus.OBSOLETE)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount or 0


def notify_meeting_changed(
    meeting: Meeting,
    changed_fields: Collection[str],
    previous: Mapping[str, Any] | None = None,
) -> list[OutgoingMessage]:
    """After an edit: if time, place or link changed, send every invitee still in play
    an update with a calendar REQUEST (same UID, SEQUENCE + 1) and drop queued
    reminders, which speak of the old time. `previous` (old value per changed field)
    lets the email say what it was; without it the email gives the new details only.
    """
    changed = set(changed_fields) & CALENDAR_FIELDS
    if not changed or meeting.status in (MeetingStatus.DRAFT, MeetingStatus.CANCELLED):
        return []
    meeting.ics_sequence = (meeting.ics_sequence or 0) + 1
    make_queued_messages_obsolete(meeting, [MessageKind.REMINDER])
    before = previous_schedule(meeting, previous) if previous is not None else None
    messages = []
    for invitation in invitees_to_notify(meeting):
        contact = invitation.contact
        link = rsvp_url(invitation)
        subject, text, html = render_email(
            "update",
            contact.language,
            meeting=meeting,
            contact=contact,
            invitation=invitation,
            link=link,
            before=before,
            time_changed=bool(changed & TIME_FIELDS),
            venue_changed="venue" in changed,
            link_changed="online_url" in changed,
        )
        messages.append(
            queue_email(
                kind=MessageKind.UPDATE,
                to_email=contact.email,
                to_name=contact.name,
                subject=subject,
                text_body=text,
                html_body=html,
                ics=("REQUEST", meeting_calendar(meeting, "REQUEST", attendee=invitation)),
                meeting=meeting,
                invitation=invitation,
            )
        )
    return messages


def notify_meeting_cancelled(meeting: Meeting) -> list[OutgoingMessage]:
    """After cancelling: send every invitee still in play a cancellation with a
    calendar CANCEL (SEQUENCE + 1) and the reason; drop queued mail about the meeting."""
    meeting.ics_sequence = (meeting.ics_sequence or 0) + 1
    make_queued_messages_obsolete(meeting, OBSOLETE_ON_CANCEL)
    messages = []
    for invitation in invitees_to_notify(meeting):
        contact = invitation.contact
        subject, text, html = render_email(
            "cancellation",
            contact.language,
            meeting=meeting,
            contact=contact,
            invitation=invitation,
            reason=meeting.cancel_reason,
        )
        messages.append(
            queue_email(
                kind=MessageKind.CANCELLATION,
                to_email=contact.email,
                to_name=contact.name,
                subject=subject,
                text_body=text,
                html_body=html,
                ics=("CANCEL", meeting_calendar(meeting, "CANCEL", attendee=invitation)),
                meeting=meeting,
                invitation=invitation,
            )
        )
    return messages
