"""Choosing the date: one slot of the poll becomes the meeting's start and end, the poll
closes, everyone asked is told, and the contacts asked (and any wider list chosen on the
same form) are invited, with the calendar REQUEST the invitation email carries.

    choose_slot(poll, slot_id, *, extra_contacts=(), by, now=None) -> Chosen

Nothing here commits: the caller commits the whole as one transaction (and rolls back on
an error). The emails are outbox rows, written and sent by the worker after commit.

Twice at once (a double click, two secretaries): the poll's status changes with one
conditional UPDATE (… WHERE status = 'open'), which only one transaction can make; the
other finds the poll closed and raises AlreadyChosen, so there is one meeting date and one
set of invitations. The UPDATE also waits for answers being saved (they hold the poll row
FOR SHARE) and they for it; on SQLite the database's write lock serialises the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from coordapp import audit
from coordapp.extensions import db
from coordapp.invitations.invite import InviteResult, invite_contacts
from coordapp.invitations.notifications import notify_meeting_changed
from coordapp.models import (
    Contact,
    Meeting,
    MeetingStatus,
    Poll,
    PollSlot,
    PollStatus,
    User,
    utcnow,
)
from coordapp.models.locking import lock_for_writing
from coordapp.models.poll import people_asked
from coordapp.polls.notifications import drop_unsent_poll_mail, queue_poll_result
from coordapp.polls.service import PollError


class AlreadyChosen(PollError):
    """The date was chosen meanwhile (by this same click a moment ago, or someone else)."""


@dataclass
class Chosen:
    slot: PollSlot
    invited: InviteResult
    told: int  # "the date is chosen" emails queued


def choose_slot(
    poll: Poll,
    slot_id: int,
    *,
    extra_contacts: Iterable[Contact] = (),
    by: User | None,
    now: datetime | None = None,
) -> Chosen:
    """Make slot `slot_id` the meeting's date (see the module's docstring)."""
    now = now or utcnow()
    lock_for_writing(db.session)
    slot_of_poll = sa.exists().where(PollSlot.id == slot_id, PollSlot.poll_id == Poll.id)
    claimed = db.session.execute(
        sa.update(Poll)
        .where(Poll.id == poll.id, Poll.status == PollStatus.OPEN, slot_of_poll)
        .values(status=PollStatus.CLOSED, chosen_slot_id=slot_id, closed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    poll = db.session.scalars(
        sa.select(Poll).where(Poll.id == poll.id).execution_options(populate_existing=True)
    ).one()
    if not claimed:
        if poll.status != PollStatus.OPEN:
            raise AlreadyChosen(_l("The date of this meeting has already been chosen."))
        raise PollError(
            _l("This date is no longer in the poll (it was removed meanwhile). Nothing changed.")
        )
    slot = db.session.get(PollSlot, slot_id)
    # The meeting row is locked too: an edit of the meeting waits for this to finish.
    meeting = db.session.scalars(
        sa.select(Meeting)
        .where(Meeting.id == poll.meeting_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if meeting.status != MeetingStatus.DRAFT:
        raise PollError(
            _l(
                "This meeting is %(status)s: only a draft meeting takes the poll's date.",
                status=meeting.status.label.lower(),
            )
        )

    # The meeting: the slot's start and end (its timezone stays), scheduled.
    fields = ["starts_at", "ends_at", "rsvp_deadline"]
    before = audit.snapshot(meeting, fields)
    meeting.starts_at, meeting.ends_at = slot.starts_at, slot.ends_at
    if meeting.rsvp_deadline is not None and meeting.rsvp_deadline > meeting.starts_at:
        # An answer deadline after the new start makes no sense (and the database refuses it).
        meeting.rsvp_deadline = None
    changes = audit.diff(before, audit.snapshot(meeting, fields))
    moved = {"starts_at", "ends_at"} & set(changes)
    changes.update(meeting.move_to(MeetingStatus.SCHEDULED))
    changes["poll"] = [PollStatus.OPEN.value, PollStatus.CLOSED.value]
    start, end = meeting.local(slot.starts_at), meeting.local(slot.ends_at)
    audit.record(
        "polls.date_chosen",
        poll,
        meeting_id=meeting.id,
        changes=changes,
        note=f"{start:%Y-%m-%d %H:%M}–{end:%H:%M} {meeting.timezone}",
        by=by,
    )
    # Anyone invited to the draft before the poll hears of the new time (calendar update).
    if moved:
        notify_meeting_changed(meeting, moved, {name: before[name] for name in moved})

    respondents = list(db.session.scalars(people_asked(poll.id)))
    # Invitations: every contact asked, whatever they answered (one who said no may send
    # a substitute), the chairs who are in the directory (their calendar needs the event
    # too), and the wider list.
    asked = [r.contact for r in respondents if r.contact is not None]
    asked += [r.user.contact for r in respondents if r.user is not None and r.user.contact]
    invited = invite_contacts(meeting, [*asked, *extra_contacts], by=by)
    # Everyone asked is told the date (and, those just invited, that the invitation
    # follows); poll invitations and reminders not yet sent are dropped (they would ask
    # about a question already settled).
    drop_unsent_poll_mail(poll)
    told = queue_poll_result(poll, invited_contact_ids=invited.invited_contact_ids)
    return Chosen(slot=slot, invited=invited, told=told)
