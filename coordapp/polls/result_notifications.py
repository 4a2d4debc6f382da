"""The email that tells everyone asked which date the poll chose.

    poll_date_chosen   to each person asked (contacts and chairs), once the date is chosen

(The poll pages keep the poll's other emails in polls/notifications.py; this writer joins
them there when both land.)
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from coordapp.extensions import db
from coordapp.mail.compose import Email, render_email
from coordapp.mail.queue import Recipient, queue_many
from coordapp.mail.writers import CannotWrite, writer
from coordapp.models import Meeting, MessageKind, OutgoingMessage, Poll, PollRespondent

DATE_CHOSEN = "poll_date_chosen"


def queue_date_chosen(poll: Poll, respondents: Iterable[PollRespondent]) -> int:
    """One "the date is chosen" email per person asked (one INSERT); returns how many."""
    return queue_many(
        DATE_CHOSEN,
        MessageKind.OTHER,
        (
            Recipient(
                email=r.email,
                name=r.name,
                meeting_id=poll.meeting_id,
                params={"respondent_id": r.id},
            )
            for r in respondents
        ),
    )


@writer(DATE_CHOSEN)
def write_date_chosen(row: OutgoingMessage) -> Email:
    respondent_id = (row.params or {}).get("respondent_id")
    respondent = (
        db.session.scalar(
            sa.select(PollRespondent)
            .where(PollRespondent.id == respondent_id)
            .options(
                joinedload(PollRespondent.poll).joinedload(Poll.meeting).joinedload(Meeting.series),
                joinedload(PollRespondent.poll).joinedload(Poll.chosen_slot),
                joinedload(PollRespondent.contact),
                joinedload(PollRespondent.user),
            )
        )
        if respondent_id is not None
        else None
    )
    if respondent is None or respondent.poll.chosen_slot is None:
        raise CannotWrite("the poll, its chosen date or the person asked no longer exists")
    person = respondent.user if respondent.is_chair else respondent.contact
    poll = respondent.poll
    return render_email(
        DATE_CHOSEN,
        person.language,
        meeting=poll.meeting,
        slot=poll.chosen_slot,
        person_name=respondent.name,
        is_chair=respondent.is_chair,
    )
