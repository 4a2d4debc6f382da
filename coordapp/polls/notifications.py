"""Emails about a scheduling poll. The `queue_…` functions queue one outbox row per
person, in the caller's transaction; the writers below write each email in the worker,
in the person's language (a contact's `language`, a chair's preferred language).

    poll_invitation   the question, the candidate dates and the personal link (once per
                      person, as soon as the poll has a date: `email_the_poll_to_those_waiting`)
    poll_reminder     to those who have not answered (manual or N days before the deadline)
    poll_result       the date chosen, to everyone asked
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from coordapp.extensions import db
from coordapp.links import poll_url
from coordapp.mail.compose import Email, render_email
from coordapp.mail.queue import Recipient, queue_many
from coordapp.mail.writers import CannotWrite, Writer
from coordapp.models import (
    Meeting,
    MessageKind,
    MessageStatus,
    OutgoingMessage,
    Poll,
    PollRespondent,
    PollSlot,
    utcnow,
)
from coordapp.models.poll import people_asked


def _to(respondent: PollRespondent, **params: Any) -> Recipient:
    return Recipient(
        email=respondent.email,
        name=respondent.name,
        meeting_id=respondent.poll.meeting_id,
        params={"respondent_id": respondent.id, **params},
    )


def queue_poll_invitations(respondents: Iterable[PollRespondent]) -> int:
    """The poll's email with the personal link, for each of `respondents` (one INSERT)."""
    return queue_many(POLL_INVITATION, (_to(r) for r in respondents))


def email_the_poll_to_those_waiting(poll: Poll, *, now: datetime | None = None) -> int:
    """The poll's email for everyone asked who has not had it, if the poll has a date
    (an email listing no date would ask nothing): call after asking people or adding a
    date, with the poll row locked. Each person gets it once, whatever dates come and go.
    Returns how many were queued."""
    has_date = sa.exists().where(PollSlot.poll_id == poll.id)
    waiting = list(
        db.session.scalars(
            people_asked(poll.id).where(PollRespondent.emailed_at.is_(None), has_date)
        )
    )
    for respondent in waiting:
        respondent.emailed_at = now or utcnow()
    return queue_poll_invitations(waiting)


def queue_poll_reminders(respondents: Iterable[PollRespondent]) -> int:
    return queue_many(POLL_REMINDER, (_to(r) for r in respondents))


def queue_poll_result(poll: Poll, *, invited_contact_ids: Iterable[int] = ()) -> int:
    """Tell everyone asked which date was chosen (call once the poll's `chosen_slot_id` is
    set, in the same transaction). The email announces an invitation only to those whose
    directory entry is among `invited_contact_ids` (invited just now); it thanks only
    those who answered. Returns how many emails were queued."""
    if poll.chosen_slot_id is None:
        raise ValueError("no date has been chosen for this poll")
    invited = set(invited_contact_ids)
    return queue_many(
        POLL_RESULT,
        (
            _to(
                r,
                slot_id=poll.chosen_slot_id,
                invitation_follows=_contact_id(r) in invited,
            )
            for r in db.session.scalars(people_asked(poll.id))
        ),
    )


def _contact_id(respondent: PollRespondent) -> int | None:
    """The directory entry an invitation would go to: the contact asked, or the chair's."""
    if respondent.contact_id is not None:
        return respondent.contact_id
    return respondent.user.contact_id if respondent.user is not None else None


def drop_unsent_poll_mail(poll: Poll) -> int:
    """Once the date is chosen: poll invitations and reminders still queued become
    obsolete (not failed: nobody needs them any more). Returns how many."""
    result = db.session.execute(
        sa.update(OutgoingMessage)
        .where(
            OutgoingMessage.meeting_id == poll.meeting_id,
            OutgoingMessage.writer.in_([POLL_INVITATION.name, POLL_REMINDER.name]),
            OutgoingMessage.status == MessageStatus.QUEUED,
        )
        .values(status=MessageStatus.OBSOLETE)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount or 0


# --- the writers (run in the worker) -----------------------------------------------------


def _respondent_of(row: OutgoingMessage) -> PollRespondent:
    respondent_id = (row.params or {}).get("respondent_id")
    respondent = (
        db.session.scalar(
            sa.select(PollRespondent)
            .where(PollRespondent.id == respondent_id)
            .options(
                joinedload(PollRespondent.contact),
                joinedload(PollRespondent.user),
                joinedload(PollRespondent.poll).joinedload(Poll.meeting).joinedload(Meeting.series),
                joinedload(PollRespondent.poll).selectinload(Poll.slots),
            )
        )
        if respondent_id is not None
        else None
    )
    if respondent is None:
        raise CannotWrite("the person asked in this poll no longer exists")
    return respondent


def _language(respondent: PollRespondent) -> str | None:
    return respondent.user.language if respondent.is_chair else respondent.contact.language


def _poll_email(template: str, respondent: PollRespondent, **context: Any) -> Email:
    poll = respondent.poll
    return render_email(
        template,
        _language(respondent),
        poll=poll,
        meeting=poll.meeting,
        slots=poll.slots,
        respondent=respondent,
        person_name=respondent.name,
        link=poll_url(respondent),
        **context,
    )


def write_poll_invitation(row: OutgoingMessage) -> Email:
    return _poll_email("poll_invitation", _respondent_of(row))


def write_poll_reminder(row: OutgoingMessage) -> Email:
    respondent = _respondent_of(row)
    if respondent.poll.chosen_slot_id is not None:
        raise CannotWrite("the date of this poll has been chosen: no reminder")
    return _poll_email("poll_reminder", respondent)


def write_poll_result(row: OutgoingMessage) -> Email:
    respondent = _respondent_of(row)
    slot_id = (row.params or {}).get("slot_id")
    chosen = next((s for s in respondent.poll.slots if s.id == slot_id), None)
    if chosen is None:
        raise CannotWrite("the chosen date of this poll no longer exists")
    return _poll_email(
        "poll_result",
        respondent,
        chosen=chosen,
        answered=respondent.answered_at is not None,
        # Rows queued before this was recorded said so to everyone.
        invitation_follows=(row.params or {}).get("invitation_follows", True),
    )


POLL_INVITATION = Writer("poll_invitation", write_poll_invitation, MessageKind.OTHER)
POLL_REMINDER = Writer("poll_reminder", write_poll_reminder, MessageKind.REMINDER)
POLL_RESULT = Writer("poll_result", write_poll_result, MessageKind.OTHER)

WRITERS = [POLL_INVITATION, POLL_REMINDER, POLL_RESULT]
