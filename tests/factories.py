"""Small helpers that create rows for tests, committed, with sensible defaults."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from coordapp.extensions import db
from coordapp.models import (
    Category,
    Contact,
    Meeting,
    MeetingChair,
    MeetingKind,
    MeetingStatus,
    Organisation,
    Role,
    Series,
    User,
)

_seq = itertools.count(1)
PASSWORD = "correct horse battery"


def make_user(
    role: Role = Role.MEMBER,
    email: str | None = None,
    name: str | None = None,
    password: str = PASSWORD,
    active: bool = True,
) -> User:
    n = next(_seq)
    user = User(
        email=(email or f"user{n}@example.org").lower(),
        name=name or f"User {n}",
        role=role,
        active=active,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def make_organisation(
    name: str | None = None,
    acronym: str | None = None,
    category: Category = Category.UN_AGENCY,
    **kwargs,
) -> Organisation:
    n = next(_seq)
    org = Organisation(
        name=name or f"Organisation {n}", acronym=acronym, category=category, **kwargs
    )
    db.session.add(org)
    db.session.commit()
    return org


def make_contact(
    organisation: Organisation | None = None,
    name: str | None = None,
    email: str | None = None,
    **kwargs,
) -> Contact:
    n = next(_seq)
    contact = Contact(
        name=name or f"Contact {n}",
        email=(email or f"contact{n}@example.org").lower(),
        organisation=organisation or make_organisation(),
        **kwargs,
    )
    db.session.add(contact)
    db.session.commit()
    return contact


def make_series(name: str | None = None, **kwargs) -> Series:
    series = Series(name=name or f"Series {next(_seq)}", **kwargs)
    db.session.add(series)
    db.session.commit()
    return series


def make_meeting(
    title: str | None = None,
    series: Series | None = None,
    number: int | None = None,
    starts_at: datetime | None = None,
    hours: int = 3,
    timezone_name: str = "Europe/Minsk",
    status: MeetingStatus = MeetingStatus.SCHEDULED,
    chairs: list[tuple[User, str]] = (),
    **kwargs,
) -> Meeting:
    starts_at = starts_at or datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    meeting = Meeting(
        title=title or f"Meeting {next(_seq)}",
        series=series,
        number=number,
        kind=kwargs.pop("kind", MeetingKind.REGULAR),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours),
        timezone=timezone_name,
        status=status,
        **kwargs,
    )
    for position, (user, label) in enumerate(chairs):
        meeting.chairs.append(MeetingChair(user=user, role_label=label, position=position))
    db.session.add(meeting)
    db.session.commit()
    return meeting
