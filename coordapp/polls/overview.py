"""What the poll pages show, read in a fixed number of queries (no query per person or
slot): the counts per slot, the others' answers, the people asked, the meeting page's box.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from coordapp.extensions import db
from coordapp.models import (
    Meeting,
    Poll,
    PollAnswer,
    PollChoice,
    PollKeyOrganisation,
    PollRespondent,
)
from coordapp.models.poll import people_asked


def poll_of(meeting: Meeting) -> Poll | None:
    """The meeting's poll with its slots and key organisations, or None."""
    return db.session.scalar(
        sa.select(Poll)
        .where(Poll.meeting_id == meeting.id)
        .options(
            selectinload(Poll.slots),
            selectinload(Poll.key_organisations).joinedload(PollKeyOrganisation.organisation),
        )
    )


def answer_counts(poll: Poll) -> dict[int, dict[PollChoice, int]]:
    """{slot id: {choice: how many}} (every slot and choice present, 0 where none)."""
    counts: dict[int, dict[PollChoice, int]] = {
        slot.id: dict.fromkeys(PollChoice, 0) for slot in poll.slots
    }
    rows = db.session.execute(
        sa.select(PollAnswer.slot_id, PollAnswer.choice, sa.func.count())
        .join(PollRespondent, PollAnswer.respondent_id == PollRespondent.id)
        .where(PollRespondent.poll_id == poll.id)
        .group_by(PollAnswer.slot_id, PollAnswer.choice)
    )
    for slot_id, choice, n in rows:
        if slot_id in counts:
            counts[slot_id][choice] = n
    return counts


def slot_answer_count(slot) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(PollAnswer).where(PollAnswer.slot_id == slot.id)
    )


def respondents(poll: Poll) -> list[PollRespondent]:
    """Everyone asked (chairs first, then by name) with contact, organisation and user."""
    people = db.session.scalars(people_asked(poll.id)).all()
    return sorted(people, key=lambda r: (not r.is_chair, r.name.lower(), r.id))


def answers_by_respondent(poll: Poll) -> dict[int, dict[int, PollChoice]]:
    """{respondent id: {slot id: choice}} for the whole poll, one query."""
    grid: dict[int, dict[int, PollChoice]] = defaultdict(dict)
    rows = db.session.execute(
        sa.select(PollAnswer.respondent_id, PollAnswer.slot_id, PollAnswer.choice)
        .join(PollRespondent, PollAnswer.respondent_id == PollRespondent.id)
        .where(PollRespondent.poll_id == poll.id)
    )
    for respondent_id, slot_id, choice in rows:
        grid[respondent_id][slot_id] = choice
    return grid


@dataclass(frozen=True)
class MeetingPollBox:
    """The meeting page's poll section."""

    poll: Poll | None
    asked: int = 0
    answered: int = 0


def meeting_box(meeting: Meeting) -> MeetingPollBox:
    poll = db.session.scalar(sa.select(Poll).where(Poll.meeting_id == meeting.id))
    if poll is None:
        return MeetingPollBox(None)
    asked, answered = db.session.execute(
        sa.select(sa.func.count(), sa.func.count(PollRespondent.answered_at)).where(
            PollRespondent.poll_id == poll.id
        )
    ).one()
    return MeetingPollBox(poll, asked, answered)


def meeting_section(meeting: Meeting, viewer) -> MeetingPollBox | None:
    """The meeting page's poll box, for the secretariat (the page's section loader)."""
    return meeting_box(meeting) if viewer.is_secretariat else None
