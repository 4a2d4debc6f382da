"""A scheduling poll of any size, written in a few INSERTs: `people` contacts asked over
several organisations and categories, `chairs` chairs, `slots` dates, everyone answered.
Used by the results tests (query counts) and bench/poll_grid.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from coordapp.extensions import db
from coordapp.models import (
    Category,
    Contact,
    Meeting,
    MeetingChair,
    MeetingStatus,
    Organisation,
    Poll,
    PollAnswer,
    PollChoice,
    PollKeyOrganisation,
    PollRespondent,
    PollSlot,
    Role,
    User,
)

CHOICES = (PollChoice.YES, PollChoice.IF_NEED_BE, PollChoice.NO)
CATEGORIES = (
    Category.UN_AGENCY,
    Category.NATIONAL_GOVERNMENT,
    Category.LOCAL_GOVERNMENT,
    Category.CIVIL_SOCIETY,
)


def build_poll(people: int, slots: int = 10, *, chairs: int = 2, tag: str = "") -> Poll:
    """The poll (committed), on a draft meeting in Europe/Minsk."""
    start = datetime.now(UTC).replace(microsecond=0, second=0, minute=0) + timedelta(days=40)
    meeting = Meeting(
        title=f"Bulk poll {tag}{people}",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        timezone="Europe/Minsk",
        status=MeetingStatus.DRAFT,
    )
    db.session.add(meeting)
    chair_users = []
    for n in range(chairs):
        user = User(
            email=f"bulk-chair{n}-{tag}{people}@example.org",
            name=f"Chair {n}",
            role=Role.MEMBER,
        )
        user.set_password("correct horse battery")
        chair_users.append(user)
        meeting.chairs.append(MeetingChair(user=user, position=n, role_label="Co-chair"))
    organisations = [
        Organisation(name=f"Bulk org {tag}{people}-{n}", category=CATEGORIES[n % len(CATEGORIES)])
        for n in range(10)
    ]
    db.session.add_all(organisations)
    poll = Poll(meeting=meeting, deadline=start - timedelta(days=10))
    db.session.add(poll)
    slot_rows = [
        PollSlot(
            poll=poll,
            starts_at=start + timedelta(days=d),
            ends_at=start + timedelta(days=d, hours=2),
        )
        for d in range(slots)
    ]
    db.session.add_all(slot_rows)
    db.session.flush()
    poll.key_organisations.append(PollKeyOrganisation(organisation_id=organisations[0].id))
    contact_ids = list(
        db.session.scalars(
            db.insert(Contact).returning(Contact.id),
            [
                {
                    "name": f"Person {n:04d}",
                    "email": f"bulk{n:04d}-{tag}{people}@example.org",
                    "organisation_id": organisations[n % len(organisations)].id,
                    "language": "en",
                }
                for n in range(people)
            ],
        )
    )
    now = datetime.now(UTC)
    respondent_ids = list(
        db.session.scalars(
            db.insert(PollRespondent).returning(PollRespondent.id),
            [
                {
                    "poll_id": poll.id,
                    "contact_id": cid,
                    "asked_at": now,
                    "answered_at": now,
                    "reminders_sent": 0,
                    "comment": f"Comment {n}",
                }
                for n, cid in enumerate(contact_ids)
            ]
            + [
                {
                    "poll_id": poll.id,
                    "user_id": u.id,
                    "asked_at": now,
                    "answered_at": now,
                    "reminders_sent": 0,
                }
                for u in chair_users
            ],
        )
    )
    db.session.execute(
        db.insert(PollAnswer),
        [
            {
                "respondent_id": rid,
                "slot_id": slot.id,
                "choice": CHOICES[(n + s) % 3],
                "updated_at": now,
            }
            for n, rid in enumerate(respondent_ids)
            for s, slot in enumerate(slot_rows)
        ],
    )
    db.session.commit()
    return poll
