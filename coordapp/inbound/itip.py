"""iTIP (RFC 5546) messages from calendar programs: what a REPLY, COUNTER or REFRESH
says, read from an iCalendar text that may be anything.

    read_itip(text) -> Itip        # raises ValueError for what cannot be read safely
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from icalendar import Calendar

from coordapp.inbound.parse import MAX_ATTENDEES

METHODS = {"REPLY", "COUNTER", "REFRESH"}
_ATTENDEE_LINES = re.compile(r"^ATTENDEE[;:]", re.M | re.I)


@dataclass
class Attendee:
    address: str  # lower case, without mailto:
    partstat: str  # ACCEPTED, DECLINED, TENTATIVE, DELEGATED, NEEDS-ACTION…
    name: str | None = None
    delegated_to: list[str] = field(default_factory=list)


@dataclass
class Itip:
    method: str
    uid: str
    sequence: int = 0
    dtstamp: datetime | None = None
    comment: str | None = None
    attendees: list[Attendee] = field(default_factory=list)
    proposed_start: datetime | None = None
    proposed_end: datetime | None = None

    def attendee(self, address: str | None) -> Attendee | None:
        for attendee in self.attendees:
            if address and attendee.address == address.lower():
                return attendee
        return None


def _address(value) -> str:
    text = str(value).strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    return text.strip().lower()


def _when(value) -> datetime | None:
    if value is None:
        return None
    moment = getattr(value, "dt", value)
    if isinstance(moment, datetime):
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if isinstance(moment, date):
        return datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    return None


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        value = " ".join(str(v) for v in value)
    text = str(value).strip()
    return text[:2000] or None


def read_itip(text: str) -> Itip | None:
    """The iTIP message in `text`, or None if it is no REPLY / COUNTER / REFRESH (e.g. the
    REQUEST of a forwarded invitation). ValueError: unreadable or too large."""
    if len(_ATTENDEE_LINES.findall(text)) > MAX_ATTENDEES:
        raise ValueError(f"calendar names more than {MAX_ATTENDEES} attendees")
    try:
        calendar = Calendar.from_ical(text)
    except Exception as error:  # noqa: BLE001  (icalendar raises many kinds)
        raise ValueError(f"calendar does not parse: {str(error)[:200]}") from error
    method = str(calendar.get("METHOD", "")).strip().upper()
    if method not in METHODS:
        return None
    events = [c for c in calendar.walk() if c.name in ("VEVENT",)]
    if not events:
        raise ValueError("calendar reply without an event")
    event = events[0]
    uid = _text(event.get("UID"))
    if not uid:
        raise ValueError("calendar reply without a UID")
    try:
        sequence = int(str(event.get("SEQUENCE", 0)).strip() or 0)
    except ValueError:
        sequence = 0
    attendees_value = event.get("ATTENDEE")
    if attendees_value is None:
        attendees_value = []
    elif not isinstance(attendees_value, list):
        attendees_value = [attendees_value]
    attendees = []
    for value in attendees_value:
        params = getattr(value, "params", {})
        delegated = params.get("DELEGATED-TO") or []
        if isinstance(delegated, str):
            delegated = [delegated]
        attendees.append(
            Attendee(
                address=_address(value),
                partstat=str(params.get("PARTSTAT", "NEEDS-ACTION")).upper(),
                name=_text(params.get("CN")),
                delegated_to=[_address(d) for d in delegated],
            )
        )
    try:
        start, end = _when(event.get("DTSTART")), _when(event.get("DTEND"))
        stamp = _when(event.get("DTSTAMP"))
    except Exception as error:  # noqa: BLE001
        raise ValueError(f"calendar times do not parse: {str(error)[:200]}") from error
    return Itip(
        method=method,
        uid=uid,
        sequence=sequence,
        dtstamp=stamp,
        comment=_text(event.get("COMMENT")),
        attendees=attendees,
        proposed_start=start if method == "COUNTER" else None,
        proposed_end=end if method == "COUNTER" else None,
    )
