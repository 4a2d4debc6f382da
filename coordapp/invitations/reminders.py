"""Reminders: to pending invitees some days before the RSVP deadline, and to those who
accepted the day before the meeting.

Each reminder is keyed to the deadline or start time it was sent for
(`reminded_for_deadline`, `reminded_for_start`), so a rescheduled meeting gets fresh
reminders for its new time and none for a stale one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from coordapp import audit
from coordapp.errors import DomainError
from coordapp.extensions import db
from coordapp.invitations.notifications import (
    DAY_BEFORE_REMINDER,
    PENDING_REMINDER,
    queue_reminder,
)
from coordapp.jobs import crontab, periodic_task
from coordapp.models import (
    Contact,
    Invitation,
    InvitationStatus,
    Meeting,
    MeetingChair,
    MeetingStatus,
    User,
    utcnow,
)

DAY_BEFORE = timedelta(hours=24)
# Someone invited less than this long ago is not reminded yet: the invitation is news.
FRESH_INVITATION = timedelta(hours=24)

PENDING = PENDING_REMINDER
DAY_BEFORE_KIND = DAY_BEFORE_REMINDER


class ReminderNotPossible(DomainError):
    """The meeting's state does not allow reminding now (the message says why)."""


def _queue_reminder(invitation: Invitation, which: str, now: datetime) -> None:
    queue_reminder(invitation, which)
    invitation.reminders_sent = (invitation.reminders_sent or 0) + 1
    invitation.last_reminded_at = now


def _pending_due(meeting: Meeting, now: datetime) -> bool:
    deadline = meeting.rsvp_deadline
    return (
        deadline is not None
        and meeting.reminder_days > 0
        and now < deadline <= now + timedelta(days=meeting.reminder_days)
    )


def _start_due(meeting: Meeting, now: datetime) -> bool:
    return now < meeting.starts_at <= now + DAY_BEFORE


def send_due_reminders(now: datetime | None = None) -> int:
    """Queue the reminders that are due at `now`; returns how many. Constant queries:
    one for the meetings, one for their invitations with contacts."""
    now = now or utcnow()
    meetings = db.session.scalars(
        sa.select(Meeting)
        .where(
            Meeting.status == MeetingStatus.SCHEDULED,
            Meeting.starts_at > now,
            sa.or_(
                Meeting.starts_at <= now + DAY_BEFORE,
                Meeting.rsvp_deadline > now,
            ),
        )
        .options(
            joinedload(Meeting.series),
            selectinload(Meeting.chairs).joinedload(MeetingChair.user),
        )
    ).all()
    pending_ids = [m.id for m in meetings if _pending_due(m, now)]
    start_ids = [m.id for m in meetings if _start_due(m, now)]
    if not pending_ids and not start_ids:
        return 0
    conditions = []
    if pending_ids:
        conditions.append(
            Invitation.meeting_id.in_(pending_ids)
            & (Invitation.status == InvitationStatus.PENDING)
            & (Invitation.invited_at <= now - FRESH_INVITATION)
        )
    if start_ids:
        conditions.append(
            Invitation.meeting_id.in_(start_ids) & (Invitation.status == InvitationStatus.ACCEPTED)
        )
    invitations = db.session.scalars(
        sa.select(Invitation)
        .join(Invitation.contact)
        .where(Invitation.withdrawn_at.is_(None), sa.or_(*conditions))
        .options(contains_eager(Invitation.contact).joinedload(Contact.organisation))
        .order_by(Invitation.id)
    ).all()
    sent_per_meeting: dict[int, int] = {}
    with db.session.no_autoflush:
        for invitation in invitations:
            meeting = invitation.meeting  # from the identity map: loaded above
            if invitation.status is InvitationStatus.PENDING:
                if invitation.reminded_for_deadline == meeting.rsvp_deadline:
                    continue
                _queue_reminder(invitation, PENDING, now)
                invitation.reminded_for_deadline = meeting.rsvp_deadline
            else:
                if invitation.reminded_for_start == meeting.starts_at:
                    continue
                _queue_reminder(invitation, DAY_BEFORE_KIND, now)
                invitation.reminded_for_start = meeting.starts_at
            sent_per_meeting[meeting.id] = sent_per_meeting.get(meeting.id, 0) + 1
    by_id = {m.id: m for m in meetings}
    for meeting_id, count in sent_per_meeting.items():
        audit.record(
            "invitations.reminders_sent",
            by_id[meeting_id],
            meeting_id=meeting_id,
            changes={"reminders": count},
        )
    db.session.commit()
    return sum(sent_per_meeting.values())


@periodic_task(crontab(minute="*/15"))
def send_due_reminders_job() -> int:
    return send_due_reminders()


def remind_pending_now(meeting: Meeting, by: User | None) -> int:
    """The secretariat's "remind now": one reminder to every pending invitee.

    Does not commit. The automatic reminder before the deadline still goes out later.
    """
    now = utcnow()
    if meeting.status not in (MeetingStatus.DRAFT, MeetingStatus.SCHEDULED):
        raise ReminderNotPossible(
            _l(
                "This meeting is %(status)s: no reminders can be sent.",
                status=meeting.status.label.lower(),
            )
        )
    if meeting.rsvp_deadline is not None and meeting.rsvp_deadline <= now:
        raise ReminderNotPossible(_l("The reply deadline has passed: no reminders were sent."))
    invitations = db.session.scalars(
        sa.select(Invitation)
        .join(Invitation.contact)
        .where(
            Invitation.meeting_id == meeting.id,
            Invitation.status == InvitationStatus.PENDING,
            Invitation.withdrawn_at.is_(None),
        )
        .options(contains_eager(Invitation.contact).joinedload(Contact.organisation))
        .order_by(Invitation.id)
    ).all()
    with db.session.no_autoflush:
        for invitation in invitations:
            _queue_reminder(invitation, PENDING, now)
    if invitations:
        audit.record(
            "invitations.remind_now",
            meeting,
            meeting_id=meeting.id,
            changes={"reminders": len(invitations)},
            user_id=by.id if by else None,
        )
    return len(invitations)
