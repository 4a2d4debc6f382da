"""Domain rules for series and meetings: numbering, local times, status changes, audit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from coordapp import audit
from coordapp.errors import DomainError
from coordapp.extensions import db
from coordapp.invitations import answers
from coordapp.invitations.notifications import notify_meeting_cancelled, notify_meeting_changed
from coordapp.models import (
    Contact,
    Meeting,
    MeetingChair,
    MeetingFormat,
    MeetingKind,
    MeetingStatus,
    Organisation,
    Series,
    SeriesChair,
    User,
)
from coordapp.models.locking import lock_row
from coordapp.timefmt import wall_clock_to_utc

# The fields whose before/after values the audit log keeps.
AUDITED_MEETING_FIELDS = [
    "title",
    "number",
    "kind",
    "starts_at",
    "ends_at",
    "timezone",
    "venue",
    "online_url",
    "format",
    "rsvp_deadline",
    "capacity",
    "language",
    "reminder_days",
    "status",
]
AUDITED_DATETIME_FIELDS = {"starts_at", "ends_at", "rsvp_deadline"}


class NonexistentLocalTime(DomainError):
    """The wall-clock time never happens in that zone (skipped by a DST change)."""

    status = 400


class StatusChangeError(DomainError):
    """A status change the rules do not allow."""


class TransitionNotAllowed(StatusChangeError):
    pass


class ReasonRequired(StatusChangeError):
    status = 400


# --- times -----------------------------------------------------------------


def local_to_utc(local: datetime, tz_name: str) -> datetime:
    """A naive wall-clock time in `tz_name`, as an aware UTC datetime.

    Times that fall into a DST gap do not exist; they are refused rather than
    silently shifted. Times that happen twice (clocks going back) take the first.
    """
    in_utc = wall_clock_to_utc(local, ZoneInfo(tz_name))
    if in_utc is None:
        raise NonexistentLocalTime(
            _(
                "This time does not exist in %(zone)s: the clocks skip it when "
                "daylight saving time starts. Choose another time.",
                zone=tz_name,
            )
        )
    return in_utc


def utc_to_local(moment: datetime | None, tz_name: str) -> datetime | None:
    """The naive wall-clock time of `moment` in `tz_name` (for datetime-local inputs)."""
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(tz_name)).replace(tzinfo=None)


# --- series ----------------------------------------------------------------


def next_number_in_series(series: Series | None) -> int | None:
    """The number the next meeting of `series` should carry (1 for the first)."""
    if series is None or series.id is None:
        return None if series is None else 1
    highest = db.session.scalar(
        sa.select(sa.func.max(Meeting.number)).where(Meeting.series_id == series.id)
    )
    return (highest or 0) + 1


def number_taken(series_id: int, number: int, except_meeting_id: int | None = None) -> bool:
    query = sa.select(Meeting.id).where(Meeting.series_id == series_id, Meeting.number == number)
    if except_meeting_id is not None:
        query = query.where(Meeting.id != except_meeting_id)
    return db.session.scalar(query.limit(1)) is not None


def default_timezone_for(series: Series | None) -> str:
    """The zone of the series' most recent meeting, or UTC."""
    if series is None:
        return "UTC"
    zone = db.session.scalar(
        sa.select(Meeting.timezone)
        .where(Meeting.series_id == series.id)
        .order_by(Meeting.starts_at.desc())
        .limit(1)
    )
    return zone or "UTC"


def series_name_taken(name: str, except_series_id: int | None = None) -> bool:
    query = sa.select(Series.id).where(sa.func.lower(Series.name) == name.strip().lower())
    if except_series_id is not None:
        query = query.where(Series.id != except_series_id)
    return db.session.scalar(query.limit(1)) is not None


def _series_snapshot(series: Series) -> dict[str, Any]:
    return {
        "name": series.name,
        "description": series.description,
        "uses_gcm": bool(series.uses_gcm),
        "chairs": [_chair_text(c.user, c.role_label) for c in series.default_chairs],
        "contacts": sorted(c.name for c in series.default_contacts),
        "organisations": sorted(o.name for o in series.default_organisations),
    }


def save_series(
    series: Series | None,
    *,
    name: str,
    description: str | None,
    chairs: list[tuple[User, str]],
    contacts: list[Contact],
    organisations: list[Organisation],
    uses_gcm: bool | None = None,
    by: User | None = None,
) -> Series:
    """Create (when `series` is None) or update a series, with an audit event.
    `uses_gcm`: whether its commitments are tagged with the objectives of the Global
    Compact for Migration besides the SDGs (None: as it is; a new series does not)."""
    creating = series is None
    if series is None:
        series = Series()
        db.session.add(series)
        before: dict[str, Any] = {}
    else:
        _lock_for_edit(series, ["default_chairs", "default_contacts", "default_organisations"])
        before = _series_snapshot(series)
    series.name = name.strip()
    series.description = description or None
    if uses_gcm is not None:
        series.uses_gcm = uses_gcm
    elif creating:
        series.uses_gcm = False
    _replace_chairs(series.default_chairs, chairs, SeriesChair)
    series.default_contacts = list(contacts)
    series.default_organisations = list(organisations)
    after = _series_snapshot(series)
    changes = audit.diff(before, after)
    if creating or changes:
        audit.record(
            "meetings.series_create" if creating else "meetings.series_update",
            series,
            changes=changes,
            by=by,
        )
    return series


# --- meetings --------------------------------------------------------------


@dataclass
class MeetingDetails:
    """What the meeting form collects, with times already in UTC."""

    title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    series: Series | None = None
    number: int | None = None
    kind: MeetingKind = MeetingKind.REGULAR
    description: str | None = None
    venue: str | None = None
    online_url: str | None = None
    # None: derived from the venue and the online link (Meeting.mode).
    format: MeetingFormat | None = None
    rsvp_deadline: datetime | None = None
    capacity: int | None = None
    language: str = "en"
    reminder_days: int = 3
    chairs: list[tuple[User, str]] = field(default_factory=list)


def _chair_text(user: User, role_label: str) -> str:
    return f"{user.name} ({role_label})" if role_label else user.name


def meeting_snapshot(meeting: Meeting) -> dict[str, Any]:
    values = audit.snapshot(meeting, AUDITED_MEETING_FIELDS)
    values["series"] = meeting.series.name if meeting.series else None
    values["chairs"] = [_chair_text(c.user, c.role_label) for c in meeting.chairs]
    return values


def _replace_chairs(current: list, wanted: list[tuple[User, str]], chair_cls: type) -> None:
    """Make `current` hold `wanted` in order, reusing rows of people who stay."""
    by_user = {chair.user_id: chair for chair in current}
    rows = []
    for position, (user, role_label) in enumerate(wanted):
        chair = by_user.pop(user.id, None) or chair_cls(user=user, user_id=user.id)
        chair.position = position
        chair.role_label = role_label
        rows.append(chair)
    current[:] = rows


def _apply(meeting: Meeting, details: MeetingDetails) -> None:
    # Work out the number before touching the meeting, so the query cannot flush it.
    new_series_id = details.series.id if details.series else None
    number = meeting.number if meeting.series_id == new_series_id else None
    if details.series is None:
        number = None
    elif details.number is not None:
        number = details.number
    elif number is None:
        number = next_number_in_series(details.series)
    meeting.title = details.title.strip()
    meeting.series = details.series
    meeting.number = number
    meeting.kind = details.kind
    meeting.description = details.description or None
    meeting.starts_at = details.starts_at
    meeting.ends_at = details.ends_at
    meeting.timezone = details.timezone
    meeting.venue = details.venue or None
    meeting.online_url = details.online_url or None
    meeting.format = details.format
    meeting.rsvp_deadline = details.rsvp_deadline
    meeting.capacity = details.capacity
    meeting.language = details.language
    meeting.reminder_days = details.reminder_days


def create_meeting(details: MeetingDetails, created_by: User | None = None) -> Meeting:
    """A new draft meeting. With a series, a blank number becomes the next one and
    no chairs given means the series' default chairs."""
    meeting = Meeting(
        status=MeetingStatus.DRAFT, created_by_id=created_by.id if created_by else None
    )
    with db.session.no_autoflush:
        _apply(meeting, details)
        chairs = details.chairs
        if not chairs and details.series is not None:
            chairs = [(c.user, c.role_label) for c in details.series.default_chairs]
        _replace_chairs(meeting.chairs, chairs, MeetingChair)
    db.session.add(meeting)
    db.session.flush()
    audit.record(
        "meetings.create",
        meeting,
        meeting_id=meeting.id,
        changes=audit.diff({}, meeting_snapshot(meeting)),
        by=created_by,
    )
    return meeting


def _lock_for_edit(row: Meeting | Series, collections: list[str]) -> None:
    """Two tabs (or two people) saving one meeting or series: each form is applied whole,
    one after the other. The row is locked and read afresh, and so are its `collections`
    (chairs, default lists) and the chairs in them."""
    state = sa.inspect(row)
    loaded = [
        member
        for name in collections
        if name not in state.unloaded
        for member in getattr(row, name)
        if isinstance(member, MeetingChair | SeriesChair)
    ]
    lock_row(db.session, row)
    for member in loaded:
        db.session.expire(member)
    db.session.expire(row, collections)


def update_meeting(
    meeting: Meeting,
    details: MeetingDetails,
    *,
    by: User | None = None,
) -> dict[str, list[Any]]:
    """Apply the form's values; returns (and audits) what changed."""
    _lock_for_edit(meeting, ["chairs"])
    before = meeting_snapshot(meeting)
    with db.session.no_autoflush:
        _apply(meeting, details)
        _replace_chairs(meeting.chairs, details.chairs, MeetingChair)
    changes = audit.diff(before, meeting_snapshot(meeting))
    if changes:
        audit.record("meetings.update", meeting, meeting_id=meeting.id, changes=changes, by=by)
        # Invitees hear about a new time, place or link (and their calendars update).
        previous = {name: old for name, (old, _new) in changes.items()}
        notify_meeting_changed(meeting, set(changes), previous)
    if "capacity" in changes:
        # More seats (or no limit any more): people waiting move up now, not at the
        # next answer. Nobody waits while a meeting has no capacity.
        db.session.flush()
        answers.fill_free_seats(meeting.id, by=by)
    return changes


def change_status(
    meeting: Meeting,
    new_status: MeetingStatus,
    reason: str | None = None,
    *,
    by: User | None = None,
) -> None:
    """Move the meeting along its life cycle; cancelling needs a reason."""
    if not meeting.status.can_become(new_status):
        raise TransitionNotAllowed(
            _(
                "A meeting that is %(current)s cannot become %(new)s.",
                current=meeting.status.label.lower(),
                new=new_status.label.lower(),
            )
        )
    reason = (reason or "").strip() or None
    if new_status is MeetingStatus.CANCELLED and not reason:
        raise ReasonRequired(_("Say why the meeting is cancelled."))
    changes = meeting.move_to(new_status)
    if new_status is MeetingStatus.CANCELLED:
        changes["cancel_reason"] = [meeting.cancel_reason, reason]
        meeting.cancel_reason = reason
        notify_meeting_cancelled(meeting)
    audit.record(
        "meetings.cancel" if new_status is MeetingStatus.CANCELLED else "meetings.status_change",
        meeting,
        meeting_id=meeting.id,
        changes=changes,
        note=reason,
        by=by,
    )


def series_page_options() -> tuple:
    """What a series' pages show with it: its default chairs, contacts and organisations
    (routes: `web.get_or_404(Series, id, *series_page_options())`)."""
    return (
        selectinload(Series.default_chairs).joinedload(SeriesChair.user),
        selectinload(Series.default_contacts).joinedload(Contact.organisation),
        selectinload(Series.default_organisations),
    )
