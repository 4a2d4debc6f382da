"""What the benchmarks share: an organisation of many contacts, written in one INSERT."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from coordapp.extensions import db
from coordapp.models import (
    Category,
    Contact,
    Meeting,
    MeetingStatus,
    Organisation,
    Role,
    User,
)


def add_invitees(count: int) -> Organisation:
    """ "District administrations" (local government) with `count` contacts
    invitee0000@example.org…, in the current transaction."""
    organisation = Organisation(
        name="District administrations", acronym="DA", category=Category.LOCAL_GOVERNMENT
    )
    db.session.add(organisation)
    db.session.flush()
    db.session.execute(
        db.insert(Contact),
        [
            {
                "name": f"Invitee {n:04d}",
                "email": f"invitee{n:04d}@example.org",
                "organisation_id": organisation.id,
                "language": "en",
            }
            for n in range(count)
        ],
    )
    return organisation


def add_secretariat() -> User:
    """The benches' secretariat account (bench@example.org / bench-password)."""
    user = User(email="bench@example.org", name="Bench Secretariat", role=Role.SECRETARIAT)
    user.set_password("bench-password")
    db.session.add(user)
    return user


def add_meeting(title: str) -> Meeting:
    """A scheduled meeting in Minsk 30 days from now, RSVP deadline 5 days before."""
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    meeting = Meeting(
        title=title,
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        timezone="Europe/Minsk",
        venue="UN House",
        status=MeetingStatus.SCHEDULED,
        rsvp_deadline=start - timedelta(days=5),
    )
    db.session.add(meeting)
    return meeting
