"""iCalendar (RFC 5545/5546) for meetings: invitations, updates, cancellations, feeds.

    meeting_calendar(meeting, method, attendee=None) -> str
        method: "REQUEST", "CANCEL" or "PUBLISH"; attendee: an Invitation or None.
    series_feed(series) -> str

A meeting keeps one UID for life; calendar programs match updates and cancellations
to the event they already hold by UID and take the one with the highest SEQUENCE
(`Meeting.ics_sequence`, bumped by coordapp/invitations/notifications.py).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from email.utils import parseaddr
from functools import lru_cache
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event, Timezone, vCalAddress, vText, vUri

from coordapp.extensions import db
from coordapp.links import rsvp_url
from coordapp.mail.addresses import invitation_address
from coordapp.models import Invitation, InvitationStatus, Meeting, MeetingStatus, Series

METHODS = {"REQUEST", "CANCEL", "PUBLISH"}
PRODID = "-//coordapp//Meetings//EN"

PARTSTAT = {
    InvitationStatus.PENDING: "NEEDS-ACTION",
    InvitationStatus.ACCEPTED: "ACCEPTED",
    InvitationStatus.TENTATIVE: "TENTATIVE",
    InvitationStatus.DECLINED: "DECLINED",
    InvitationStatus.DELEGATED: "DELEGATED",
    # Wants to come but has no seat yet: not a firm yes.
    InvitationStatus.WAITLISTED: "TENTATIVE",
}


def secretariat_address() -> tuple[str, str]:
    """(name, email) of the secretariat, from MAIL_DEFAULT_SENDER."""
    name, address = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])
    return name or current_app.config.get("NETWORK_NAME", ""), address


def meeting_uid(meeting: Meeting) -> str:
    domain = secretariat_address()[1].rpartition("@")[2] or "coordapp"
    return f"meeting-{meeting.id}@{domain}"


def event_status(meeting: Meeting, method: str) -> str:
    if method == "CANCEL" or meeting.status is MeetingStatus.CANCELLED:
        return "CANCELLED"
    if meeting.status is MeetingStatus.DRAFT:
        return "TENTATIVE"
    return "CONFIRMED"


def summary(meeting: Meeting) -> str:
    if meeting.series is not None:
        return f"{meeting.series.name} — {meeting.title}"
    return meeting.title


def _description(meeting: Meeting, rsvp_link: str | None, online_url: str | None) -> str:
    parts = []
    if meeting.description:
        parts.append(meeting.description.strip())
    if online_url:
        parts.append(_("Online meeting link: %(url)s", url=online_url))
    if rsvp_link:
        parts.append(_("Your invitation and answer: %(url)s", url=rsvp_link))
    if meeting.status is MeetingStatus.CANCELLED and meeting.cancel_reason:
        parts.append(_("Cancelled: %(reason)s", reason=meeting.cancel_reason))
    return "\n\n".join(parts)


def _attendee(invitation: Invitation) -> vCalAddress:
    contact = invitation.contact
    address = vCalAddress(f"mailto:{contact.email}")
    address.params["CN"] = vText(contact.name)
    address.params["CUTYPE"] = vText("INDIVIDUAL")
    address.params["ROLE"] = vText("REQ-PARTICIPANT")
    address.params["PARTSTAT"] = vText(PARTSTAT[invitation.status])
    address.params["RSVP"] = vText("TRUE")
    return address


def _organizer(attendee: Invitation | None = None) -> vCalAddress:
    """The secretariat; for an invitee, at the invitation's own address of the mailbox
    the app reads (INBOUND_ADDRESS), so their calendar's reply reaches the app."""
    name, email = secretariat_address()
    if attendee is not None:
        email = invitation_address(attendee.id) or email
    organizer = vCalAddress(f"mailto:{email}")
    if name:
        organizer.params["CN"] = vText(name)
    return organizer


def _event(meeting: Meeting, method: str, attendee: Invitation | None, stamp: datetime) -> Event:
    rsvp_link = rsvp_url(attendee) if attendee is not None else None
    # The online link only for an attendee who accepted (never in a feed or a bare
    # invitation): URL and, per RFC 7986, CONFERENCE, beside the venue's LOCATION.
    online_url = attendee.visible_online_url if attendee is not None else None
    zone = ZoneInfo(meeting.timezone)
    event = Event()
    event.add("uid", meeting_uid(meeting))
    event.add("sequence", meeting.ics_sequence or 0)
    event.add("dtstamp", stamp)
    event.add("dtstart", meeting.starts_at.astimezone(zone))
    event.add("dtend", meeting.ends_at.astimezone(zone))
    event.add("summary", summary(meeting))
    description = _description(meeting, rsvp_link, online_url)
    if description:
        event.add("description", description)
    location = meeting.venue or online_url
    if location:
        event.add("location", location)
    url = online_url or rsvp_link
    if url:
        event.add("url", url)
    if online_url:
        event.add(
            "conference",
            vUri(online_url),
            parameters={"VALUE": "URI", "FEATURE": "AUDIO,VIDEO", "LABEL": _("Online meeting")},
        )
    event.add("status", event_status(meeting, method))
    event.add("transp", "OPAQUE")
    if meeting.updated_at is not None:
        event.add("last-modified", meeting.updated_at.astimezone(UTC))
    event.add("organizer", _organizer(attendee))
    if attendee is not None:
        event.add("attendee", _attendee(attendee))
    return event


def _calendar(method: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    return calendar


def _timezones(meetings: list[Meeting]) -> str:
    """One VTIMEZONE per zone used, covering the meetings' years and one either side
    (not 1970-2038: files stay small), as iCalendar text."""
    if not meetings:
        return ""
    first_year = min(m.starts_at for m in meetings).year - 1
    last_year = max(m.ends_at for m in meetings).year + 1
    return "".join(
        _vtimezone(tzid, first_year, last_year)
        for tzid in sorted({m.timezone for m in meetings})
        if tzid != "UTC"
    )


@lru_cache(maxsize=256)
def _vtimezone(tzid: str, first_year: int, last_year: int) -> str:
    """Building a VTIMEZONE walks the zone's transitions (~0.1 s), and even parsing and
    writing the built one again is most of an invitation's calendar file's cost; inviting
    1,000 people needs the same one 1,000 times, so its text is made once per zone and
    year range."""
    zone = Timezone.from_tzid(
        tzid, first_date=date(first_year, 1, 1), last_date=date(last_year, 12, 31)
    )
    return Timezone.from_ical(zone.to_ical()).to_ical().decode("utf-8")


_END = "END:VCALENDAR\r\n"


def _text(calendar: Calendar, meetings: list[Meeting]) -> str:
    """The calendar's text with the meetings' VTIMEZONEs as its last components."""
    text = calendar.to_ical().decode("utf-8")
    if not text.endswith(_END):
        raise ValueError("unexpected end of an iCalendar object")
    return text[: -len(_END)] + _timezones(meetings) + _END


def _attendee_language(attendee: Invitation | None) -> str:
    languages = current_app.config["LANGUAGES"]
    preferred = attendee.contact.language if attendee is not None else None
    return preferred if preferred in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


def meeting_calendar(meeting: Meeting, method: str, attendee: Invitation | None = None) -> str:
    """The meeting as an iCalendar object for `method`; with `attendee`, addressed to
    that invitee (their ATTENDEE line and personal link, in their language)."""
    if method not in METHODS:
        raise ValueError(f"unknown iCalendar method {method!r}")
    calendar = _calendar(method)
    with force_locale(_attendee_language(attendee)):
        calendar.add_component(_event(meeting, method, attendee, datetime.now(UTC)))
    return _text(calendar, [meeting])


def series_meetings(series: Series) -> list[Meeting]:
    """The meetings a subscriber sees: all but drafts, oldest first (one query)."""
    return list(
        db.session.scalars(
            sa.select(Meeting)
            .where(Meeting.series_id == series.id, Meeting.status != MeetingStatus.DRAFT)
            .order_by(Meeting.starts_at, Meeting.id)
        )
    )


def series_feed(series: Series) -> str:
    """A subscription feed of the series' meetings (cancelled ones as CANCELLED)."""
    calendar = _calendar("PUBLISH")
    calendar.add("x-wr-calname", series.name)
    if series.description:
        calendar.add("x-wr-caldesc", series.description)
    calendar.add("refresh-interval", timedelta(hours=6), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT6H")
    meetings = series_meetings(series)
    stamp = datetime.now(UTC)
    for meeting in meetings:
        calendar.add_component(_event(meeting, "PUBLISH", None, stamp))
    return _text(calendar, meetings)


def ics_filename(title: str, default: str = "meeting") -> str:
    """A safe download name from a title: "4th extended meeting" -> "4th-extended-meeting.ics"."""
    cleaned = "".join(ch if ch.isalnum() else "-" for ch in title.lower())
    slug = "-".join(part for part in cleaned.split("-") if part)[:80]
    return f"{slug or default}.ics"
