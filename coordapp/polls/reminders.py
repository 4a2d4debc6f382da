"""Reminding those asked who have not answered a poll: the secretariat's button, and
automatically `reminder_days_before` days before the deadline (once per person).

An automatic reminder goes to a person not reminded since the reminder window opened
(deadline - N days), so neither a second run of the task nor a manual reminder just
before is followed by another one; nobody is reminded after the deadline, once the date
is chosen, or within a day of being asked (the poll's email is news).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import contains_eager, joinedload

from coordapp import audit
from coordapp.extensions import db
from coordapp.jobs import crontab, periodic_task
from coordapp.models import (
    Meeting,
    MeetingStatus,
    Poll,
    PollRespondent,
    PollSlot,
    PollStatus,
    User,
    utcnow,
)
from coordapp.polls.notifications import queue_poll_reminders
from coordapp.polls.service import PollError, answers_closed_reason

FRESHLY_ASKED = timedelta(hours=24)


def _unanswered(poll_ids: list[int]):
    return (
        sa.select(PollRespondent)
        .join(PollRespondent.poll)
        .where(PollRespondent.poll_id.in_(poll_ids), PollRespondent.answered_at.is_(None))
        .options(
            contains_eager(PollRespondent.poll),
            joinedload(PollRespondent.contact),
            joinedload(PollRespondent.user),
        )
        .order_by(PollRespondent.id)
    )


def _mark(respondents: list[PollRespondent], now: datetime) -> None:
    queue_poll_reminders(respondents)
    for respondent in respondents:
        respondent.reminders_sent = (respondent.reminders_sent or 0) + 1
        respondent.last_reminded_at = now


def remind_unanswered_now(poll: Poll, *, by: User | None, now: datetime | None = None) -> int:
    """The secretariat's "remind those who have not answered". Does not commit."""
    now = now or utcnow()
    reason = answers_closed_reason(poll, now)
    if reason is None and not poll.slots:
        reason = str(_l("the poll has no dates yet."))
    if reason:
        raise PollError(_l("No reminders were sent: %(reason)s", reason=reason))
    respondents = list(db.session.scalars(_unanswered([poll.id])).unique())
    if respondents:
        _mark(respondents, now)
        audit.record(
            "polls.remind",
            poll,
            meeting_id=poll.meeting_id,
            changes={"reminders": len(respondents)},
            by=by,
        )
    return len(respondents)


def send_due_poll_reminders(now: datetime | None = None) -> int:
    """Queue the automatic reminders due at `now` and commit; returns how many."""
    now = now or utcnow()
    polls = db.session.scalars(
        sa.select(Poll)
        .join(Poll.meeting)
        .where(
            Poll.status == PollStatus.OPEN,
            Meeting.status == MeetingStatus.DRAFT,  # not once scheduled or cancelled
            sa.exists().where(PollSlot.poll_id == Poll.id),  # nothing to answer yet
            Poll.reminder_days_before.is_not(None),
            Poll.reminder_days_before > 0,
            Poll.deadline > now,
        )
    ).all()
    due = {
        p.id: p.deadline - timedelta(days=p.reminder_days_before)
        for p in polls
        if p.deadline - timedelta(days=p.reminder_days_before) <= now
    }
    if not due:
        return 0
    respondents = [
        r
        for r in db.session.scalars(
            _unanswered(list(due)).where(PollRespondent.asked_at <= now - FRESHLY_ASKED)
        ).unique()
        if r.last_reminded_at is None or r.last_reminded_at < due[r.poll_id]
    ]
    if respondents:
        _mark(respondents, now)
        per_poll: dict[int, int] = {}
        for respondent in respondents:
            per_poll[respondent.poll_id] = per_poll.get(respondent.poll_id, 0) + 1
        by_id = {p.id: p for p in polls}
        for poll_id, count in per_poll.items():
            audit.record(
                "polls.reminders_sent",
                by_id[poll_id],
                meeting_id=by_id[poll_id].meeting_id,
                changes={"reminders": count},
            )
    db.session.commit()
    return len(respondents)


@periodic_task(crontab(minute="*/15"))
def send_due_poll_reminders_job() -> int:
    return send_due_poll_reminders()
