"""Who hears what about an invitation, and the emails they get.

The `queue_…` / `notify_…` functions decide the recipients and queue one outbox row
each, in the caller's transaction (nothing is committed or rendered here). The
writers below turn a row into its email in the worker, just before sending, in the
invitee's language, with a calendar part where the meeting belongs in their calendar.

    invitation         REQUEST   the invitation itself (also on resend)
    confirmation       REQUEST   for a yes / maybe; what was recorded
    waitlist_promoted  REQUEST   a seat freed up: moved up from the waiting list
    update             REQUEST   time, place or link changed (same UID, SEQUENCE + 1)
    cancellation       CANCEL    the meeting is cancelled
    reminder           —         before the RSVP deadline, or the day before
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from coordapp.extensions import db
from coordapp.ics import meeting_calendar
from coordapp.invitations.summary import answer_summary
from coordapp.links import rsvp_url
from coordapp.mail.compose import Email, render_email
from coordapp.mail.queue import Recipient, queue, queue_many, queue_select
from coordapp.mail.writers import CannotWrite, Writer
from coordapp.models import (
    Contact,
    Invitation,
    InvitationStatus,
    Meeting,
    MeetingChair,
    MeetingStatus,
    MessageKind,
    MessageStatus,
    OutgoingMessage,
)

# A change to any of these moves the event in the invitees' calendars.
CALENDAR_FIELDS = frozenset({"starts_at", "ends_at", "timezone", "venue", "online_url"})
TIME_FIELDS = frozenset({"starts_at", "ends_at", "timezone"})
PLACE_FIELDS = frozenset({"venue", "online_url"})

# Answers that put the meeting in the invitee's calendar.
CALENDAR_ANSWERS = (InvitationStatus.ACCEPTED, InvitationStatus.TENTATIVE)

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

PENDING_REMINDER = "pending"
DAY_BEFORE_REMINDER = "day_before"


def _to(invitation: Invitation, **params: Any) -> Recipient:
    contact = invitation.contact
    return Recipient(
        email=contact.email,
        name=contact.name,
        meeting_id=invitation.meeting_id,
        invitation_id=invitation.id,
        params=params,
    )


# --- who gets what -----------------------------------------------------------------------


def queue_invitations(meeting_id: int, invitees: Iterable[tuple[int, str, str | None]]) -> int:
    """The invitation email for each new (invitation id, email, name) of a meeting (one
    INSERT; no invitation objects needed)."""
    return queue_many(
        INVITATION,
        (
            Recipient(email=email, name=name, meeting_id=meeting_id, invitation_id=invitation_id)
            for invitation_id, email, name in invitees
        ),
    )


def queue_invitation(invitation: Invitation) -> OutgoingMessage:
    """The invitation email again (same personal link)."""
    return queue(INVITATION, _to(invitation))


def queue_confirmation(invitation: Invitation, *, auto_replied: bool = False) -> None:
    """What was recorded, with the calendar for a yes or maybe. The answer is kept on
    the row: a later change of mind gets its own confirmation. One INSERT without the
    unit of work (queue_many): every invitee answers, most within hours. `auto_replied`:
    it answers an email (a calendar reply), so it says `Auto-Submitted: auto-replied`."""
    facts = {"status": invitation.status.value}
    if auto_replied:
        facts["auto_replied"] = True
    queue_many(CONFIRMATION, [_to(invitation, **facts)])


def queue_waitlist_promotion(invitation: Invitation) -> OutgoingMessage:
    return queue(WAITLIST_PROMOTED, _to(invitation))


# Why an answer sent by email was not recorded (coordapp/rsvp/inbound.py).
NOT_RECORDED_REASONS = {
    "withdrawn": _l("This invitation was withdrawn."),
    "cancelled": _l("This meeting is cancelled."),
    "over": _l("This meeting has taken place."),
    "deadline": _l("The deadline for answers has passed."),
    "delegated": _l("This invitation was handed on to a substitute."),
}


def queue_answer_not_recorded(invitation: Invitation, reason: str) -> OutgoingMessage:
    """A short explanation to an invitee whose calendar answer came too late (or for a
    cancelled meeting): `reason` is a key of NOT_RECORDED_REASONS."""
    return queue(ANSWER_NOT_RECORDED, _to(invitation, reason=reason, auto_replied=True))


def queue_reminder(invitation: Invitation, which: str) -> OutgoingMessage:
    """`which`: PENDING_REMINDER (no answer yet) or DAY_BEFORE_REMINDER."""
    return queue(REMINDER, _to(invitation, which=which))


@dataclass(frozen=True)
class PreviousSchedule:
    """Time and place of a meeting before an edit, for the "was … now …" lines."""

    starts_at: datetime
    ends_at: datetime
    timezone: str
    venue: str | None
    online_url: str | None

    def as_params(self) -> dict[str, Any]:
        return {
            "starts_at": self.starts_at.isoformat(),
            "ends_at": self.ends_at.isoformat(),
            "timezone": self.timezone,
            "venue": self.venue,
            "online_url": self.online_url,
        }

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> PreviousSchedule:
        return cls(
            starts_at=datetime.fromisoformat(params["starts_at"]),
            ends_at=datetime.fromisoformat(params["ends_at"]),
            timezone=params["timezone"],
            venue=params.get("venue"),
            online_url=params.get("online_url"),
        )


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


def invitees_to_notify(meeting: Meeting) -> sa.Select:
    """Invitees still in play (not declined, delegated or withdrawn), as the recipients
    `queue_select` takes: the emails are queued by one INSERT … SELECT (a reschedule of
    10,000 invitees reads none of them into Python)."""
    return (
        sa.select(
            Contact.email.label("to_email"),
            Contact.name.label("to_name"),
            Invitation.meeting_id.label("meeting_id"),
            Invitation.id.label("invitation_id"),
        )
        .join(Invitation.contact)
        .where(
            Invitation.meeting_id == meeting.id,
            Invitation.status.in_(STILL_INVOLVED),
            Invitation.withdrawn_at.is_(None),
        )
        .order_by(Contact.name, Invitation.id)
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
) -> int:
    """After an edit: if time, place or link changed, queue for every invitee still in
    play an update with a calendar REQUEST (same UID, SEQUENCE + 1) and drop queued
    reminders, which speak of the old time. `previous` (old value per changed field)
    lets the email say what it was; without it the email gives the new details only.
    Returns how many updates were queued."""
    changed = set(changed_fields) & CALENDAR_FIELDS
    if not changed or meeting.status in (MeetingStatus.DRAFT, MeetingStatus.CANCELLED):
        return 0
    meeting.ics_sequence = (meeting.ics_sequence or 0) + 1
    make_queued_messages_obsolete(meeting, [MessageKind.REMINDER])
    params: dict[str, Any] = {
        "time_changed": bool(changed & TIME_FIELDS),
        "venue_changed": "venue" in changed,
        "link_changed": "online_url" in changed,
    }
    if previous is not None:
        params["before"] = previous_schedule(meeting, previous).as_params()
    return queue_select(UPDATE, invitees_to_notify(meeting), params)


def notify_meeting_cancelled(meeting: Meeting) -> int:
    """After cancelling: queue for every invitee still in play a cancellation with a
    calendar CANCEL (SEQUENCE + 1) and the reason; drop queued mail about the meeting."""
    meeting.ics_sequence = (meeting.ics_sequence or 0) + 1
    make_queued_messages_obsolete(meeting, OBSOLETE_ON_CANCEL)
    return queue_select(CANCELLATION, invitees_to_notify(meeting))


# --- the writers (run in the worker) -----------------------------------------------------


def _load_invitations(rows: list[OutgoingMessage]) -> list[Invitation]:
    """What the writers below read for a batch of rows (the worker calls this before
    writing them, in the same transaction): their invitations with the contacts,
    meetings, series and chairs, in two queries."""
    ids = sorted({row.invitation_id for row in rows if row.invitation_id is not None})
    if not ids:
        return []
    return list(
        db.session.scalars(
            sa.select(Invitation)
            .where(Invitation.id.in_(ids))
            .options(
                joinedload(Invitation.contact),
                joinedload(Invitation.meeting).joinedload(Meeting.series),
                joinedload(Invitation.meeting)
                .selectinload(Meeting.chairs)
                .joinedload(MeetingChair.user),
            )
        ).unique()
    )


def _invitation_of(row: OutgoingMessage) -> Invitation:
    """The row's invitation with its contact, meeting and series: from the session when
    `_load_invitations` loaded it, else in one query."""
    invitation = (
        db.session.get(
            Invitation,
            row.invitation_id,
            options=[
                joinedload(Invitation.contact),
                joinedload(Invitation.meeting).joinedload(Meeting.series),
            ],
        )
        if row.invitation_id is not None
        else None
    )
    if invitation is None:
        raise CannotWrite("the invitation of this message no longer exists")
    return invitation


def _invitee_email(
    template: str, invitation: Invitation, *, calendar: str | None = None, **context: Any
) -> Email:
    meeting, contact = invitation.meeting, invitation.contact
    return render_email(
        template,
        contact.language,
        calendar=(
            (calendar, meeting_calendar(meeting, calendar, attendee=invitation))
            if calendar
            else None
        ),
        meeting=meeting,
        contact=contact,
        invitation=invitation,
        link=rsvp_url(invitation),
        # Only who accepted sees the online link (an open door in every invitation).
        online_url=invitation.visible_online_url,
        **context,
    )


def write_invitation(row: OutgoingMessage) -> Email:
    return _invitee_email("invitation", _invitation_of(row), calendar="REQUEST")


def write_confirmation(row: OutgoingMessage) -> Email:
    invitation = _invitation_of(row)
    params = row.params or {}
    status = InvitationStatus(params["status"]) if "status" in params else invitation.status
    return _invitee_email(
        "confirmation",
        invitation,
        calendar="REQUEST" if status in CALENDAR_ANSWERS else None,
        # Called by the template, so that it speaks the recipient's language.
        answer_summary=partial(answer_summary, status=status),
    )


def write_answer_not_recorded(row: OutgoingMessage) -> Email:
    reason = NOT_RECORDED_REASONS.get((row.params or {}).get("reason", ""))
    return _invitee_email("answer_not_recorded", _invitation_of(row), reason=reason)


def write_waitlist_promoted(row: OutgoingMessage) -> Email:
    return _invitee_email("waitlist_promoted", _invitation_of(row), calendar="REQUEST")


def write_update(row: OutgoingMessage) -> Email:
    params = row.params or {}
    before = params.get("before")
    invitation = _invitation_of(row)
    return _invitee_email(
        "update",
        invitation,
        calendar="REQUEST",
        before=PreviousSchedule.from_params(before) if before else None,
        time_changed=params.get("time_changed", False),
        venue_changed=params.get("venue_changed", False),
        # The link itself only for who accepted: the others hear of it when they do.
        link_changed=params.get("link_changed", False)
        and invitation.status == InvitationStatus.ACCEPTED,
    )


def write_cancellation(row: OutgoingMessage) -> Email:
    invitation = _invitation_of(row)
    return _invitee_email(
        "cancellation", invitation, calendar="CANCEL", reason=invitation.meeting.cancel_reason
    )


def write_reminder(row: OutgoingMessage) -> Email:
    which = (row.params or {}).get("which", PENDING_REMINDER)
    return _invitee_email("reminder", _invitation_of(row), which=which)


def _mark_invitation_sent(row: OutgoingMessage, at: datetime) -> sa.Executable | None:
    """The invitation's first email went out: the list shows when."""
    if row.invitation_id is None:
        return None
    return (
        sa.update(Invitation)
        .where(Invitation.id == row.invitation_id, Invitation.sent_at.is_(None))
        .values(sent_at=at)
        .execution_options(synchronize_session=False)
    )


INVITATION = Writer(
    "invitation",
    write_invitation,
    MessageKind.INVITATION,
    on_sent=_mark_invitation_sent,
    prefetch=_load_invitations,
)
CONFIRMATION = Writer(
    "confirmation", write_confirmation, MessageKind.CONFIRMATION, prefetch=_load_invitations
)
WAITLIST_PROMOTED = Writer(
    "waitlist_promoted", write_waitlist_promoted, MessageKind.WAITLIST, prefetch=_load_invitations
)
UPDATE = Writer("update", write_update, MessageKind.UPDATE, prefetch=_load_invitations)
CANCELLATION = Writer(
    "cancellation", write_cancellation, MessageKind.CANCELLATION, prefetch=_load_invitations
)
REMINDER = Writer("reminder", write_reminder, MessageKind.REMINDER, prefetch=_load_invitations)

ANSWER_NOT_RECORDED = Writer(
    "answer_not_recorded",
    write_answer_not_recorded,
    MessageKind.CONFIRMATION,
    prefetch=_load_invitations,
)

WRITERS = [
    INVITATION,
    CONFIRMATION,
    WAITLIST_PROMOTED,
    UPDATE,
    CANCELLATION,
    REMINDER,
    ANSWER_NOT_RECORDED,
]
