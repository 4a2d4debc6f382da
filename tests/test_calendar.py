"""Calendar files: the invitation's iCalendar, the meeting download and the series feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import render_template_string
from icalendar import Calendar

from coordapp import web
from coordapp.calendar.routes import series_feed_url
from coordapp.extensions import db
from coordapp.ics import meeting_calendar, series_feed
from coordapp.models import Invitation, InvitationStatus, MeetingStatus
from tests.conftest import count_queries
from tests.factories import make_contact, make_meeting, make_series

STARTS = datetime(2027, 3, 4, 7, 0, tzinfo=UTC)  # 10:00 in Minsk


@pytest.fixture
def request_ctx(app):
    with app.test_request_context():
        yield


def parse(text: str) -> Calendar:
    return Calendar.from_ical(text)


def only_event(calendar: Calendar):
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return events[0]


def invite(meeting, status=InvitationStatus.PENDING, **contact_fields) -> Invitation:
    invitation = Invitation(meeting=meeting, contact=make_contact(**contact_fields), status=status)
    db.session.add(invitation)
    db.session.commit()
    return invitation


def minsk_meeting(
    title="Fourth extended meeting",
    number=4,
    series=None,
    venue="UN House, Minsk",
    online_url="https://meet.example.org/cnm4",
    **kwargs,
):
    return make_meeting(
        title=title,
        series=series or make_series(name="Country Network on Migration"),
        number=number,
        starts_at=STARTS,
        venue=venue,
        online_url=online_url,
        description="Migration data and the new national policy.",
        **kwargs,
    )


def test_invitation_calendar_carries_what_calendar_programs_need(app, request_ctx):
    meeting = minsk_meeting()
    invitation = invite(
        meeting, InvitationStatus.ACCEPTED, name="Olga Petrova", email="olga@example.org"
    )

    text = meeting_calendar(meeting, "REQUEST", attendee=invitation)
    calendar = parse(text)
    event = only_event(calendar)

    assert calendar["METHOD"] == "REQUEST"
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"]
    assert event["UID"] == f"meeting-{meeting.id}@coordapp.localhost"
    assert event["SEQUENCE"] == 0
    assert event["SUMMARY"] == "Country Network on Migration — Fourth extended meeting"
    assert event["STATUS"] == "CONFIRMED"

    # DTSTAMP in UTC; start and end on the Minsk wall clock, with the zone described.
    assert "\nDTSTAMP:" in text and text.split("\nDTSTAMP:")[1].split("\r")[0].endswith("Z")
    assert event.decoded("DTSTAMP").utcoffset() == timedelta(0)
    assert event["DTSTART"].params["TZID"] == "Europe/Minsk"
    assert "DTSTART;TZID=Europe/Minsk:20270304T100000" in text
    assert "DTEND;TZID=Europe/Minsk:20270304T130000" in text
    assert event.decoded("DTSTART") == STARTS
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Minsk"]

    organizer = event["ORGANIZER"]
    assert str(organizer) == "mailto:secretariat@coordapp.localhost"
    assert organizer.params["CN"] == "Secretariat"

    attendee = event["ATTENDEE"]
    assert str(attendee) == "mailto:olga@example.org"
    assert attendee.params["CN"] == "Olga Petrova"
    assert attendee.params["RSVP"] == "TRUE"
    assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
    assert attendee.params["PARTSTAT"] == "ACCEPTED"

    assert event["LOCATION"] == "UN House, Minsk"
    assert event["URL"] == "https://meet.example.org/cnm4"
    description = str(event["DESCRIPTION"])
    assert "Migration data and the new national policy." in description
    assert "https://meet.example.org/cnm4" in description
    assert "/rsvp/" in description  # the invitee's personal link


@pytest.mark.parametrize(
    ("status", "partstat"),
    [
        (InvitationStatus.PENDING, "NEEDS-ACTION"),
        (InvitationStatus.ACCEPTED, "ACCEPTED"),
        (InvitationStatus.TENTATIVE, "TENTATIVE"),
        (InvitationStatus.DECLINED, "DECLINED"),
        (InvitationStatus.DELEGATED, "DELEGATED"),
        (InvitationStatus.WAITLISTED, "TENTATIVE"),
    ],
)
def test_attendee_partstat_follows_the_answer(app, request_ctx, status, partstat):
    meeting = minsk_meeting()
    invitation = invite(meeting, status)
    event = only_event(parse(meeting_calendar(meeting, "REQUEST", attendee=invitation)))
    assert event["ATTENDEE"].params["PARTSTAT"] == partstat


def test_online_only_meeting_is_located_at_its_link_for_who_accepted(app, request_ctx):
    meeting = minsk_meeting(venue=None, online_url="https://meet.example.org/online")
    invitation = invite(meeting, InvitationStatus.ACCEPTED)
    event = only_event(parse(meeting_calendar(meeting, "REQUEST", attendee=invitation)))
    assert event["LOCATION"] == "https://meet.example.org/online"
    assert event["URL"] == "https://meet.example.org/online"
    assert str(event["CONFERENCE"]) == "https://meet.example.org/online"
    # A feed (and a pending invitee) gets no online link: it is an open door.
    feed = only_event(parse(meeting_calendar(meeting, "PUBLISH")))
    assert "https://meet.example.org/online" not in str(feed.to_ical())


def test_without_online_link_the_url_is_the_personal_link(app, request_ctx):
    meeting = minsk_meeting(online_url=None)
    invitation = invite(meeting)
    event = only_event(parse(meeting_calendar(meeting, "REQUEST", attendee=invitation)))
    assert event["LOCATION"] == "UN House, Minsk"
    assert "/rsvp/" in str(event["URL"])
    # Without an invitee there is no personal link to give.
    assert "URL" not in only_event(parse(meeting_calendar(meeting, "PUBLISH")))


def test_draft_meeting_is_tentative(app, request_ctx):
    meeting = minsk_meeting(status=MeetingStatus.DRAFT)
    assert only_event(parse(meeting_calendar(meeting, "PUBLISH")))["STATUS"] == "TENTATIVE"


def test_cancel_calendar_keeps_the_uid_and_says_cancelled(app, request_ctx):
    meeting = minsk_meeting()
    invitation = invite(meeting)
    request = only_event(parse(meeting_calendar(meeting, "REQUEST", attendee=invitation)))
    meeting.ics_sequence = 3
    calendar = parse(meeting_calendar(meeting, "CANCEL", attendee=invitation))
    cancel = only_event(calendar)
    assert calendar["METHOD"] == "CANCEL"
    assert cancel["STATUS"] == "CANCELLED"
    assert cancel["UID"] == request["UID"]
    assert cancel["SEQUENCE"] == 3
    assert str(cancel["ATTENDEE"]) == str(request["ATTENDEE"])


def test_unknown_method_is_refused(app, request_ctx):
    with pytest.raises(ValueError):
        meeting_calendar(minsk_meeting(), "REPLY")


# --- the meeting download ------------------------------------------------------------


def test_member_downloads_the_meeting_calendar(member_client):
    meeting = minsk_meeting()
    response = member_client.get(f"/meetings/{meeting.id}/calendar.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert "fourth-extended-meeting.ics" in disposition
    calendar = parse(response.get_data(as_text=True))
    assert calendar["METHOD"] == "PUBLISH"
    assert only_event(calendar)["UID"] == f"meeting-{meeting.id}@coordapp.localhost"


def test_anonymous_visitor_must_log_in_for_the_meeting_calendar(client):
    meeting = minsk_meeting()
    response = client.get(f"/meetings/{meeting.id}/calendar.ics")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_calendar_of_a_missing_meeting_is_404(member_client):
    assert member_client.get("/meetings/999999/calendar.ics").status_code == 404


# --- the series feed -----------------------------------------------------------------


def test_series_feed_lists_the_series_meetings(app, request_ctx):
    series = make_series(name="Country Network on Migration")
    third = minsk_meeting(series=series, title="Third meeting", number=3)
    held = make_meeting(
        title="Second meeting",
        series=series,
        number=2,
        status=MeetingStatus.HELD,
        starts_at=STARTS - timedelta(days=90),
        timezone_name="Europe/Berlin",
    )
    cancelled = make_meeting(
        title="Extraordinary meeting",
        series=series,
        number=5,
        status=MeetingStatus.CANCELLED,
        starts_at=STARTS + timedelta(days=10),
    )
    make_meeting(title="Still a draft", series=series, number=6, status=MeetingStatus.DRAFT)
    make_meeting(title="Another body's meeting", series=make_series())
    db.session.commit()

    calendar = parse(series_feed(series))

    assert calendar["METHOD"] == "PUBLISH"
    assert calendar["X-WR-CALNAME"] == "Country Network on Migration"
    events = {str(e["SUMMARY"]).split(" — ")[1]: e for e in calendar.walk("VEVENT")}
    assert set(events) == {"Second meeting", "Third meeting", "Extraordinary meeting"}
    assert events["Extraordinary meeting"]["STATUS"] == "CANCELLED"
    assert events["Second meeting"]["STATUS"] == "CONFIRMED"
    assert events["Third meeting"]["UID"] == f"meeting-{third.id}@coordapp.localhost"
    assert events["Second meeting"]["UID"] == f"meeting-{held.id}@coordapp.localhost"
    assert events["Extraordinary meeting"]["UID"] == f"meeting-{cancelled.id}@coordapp.localhost"
    # One VTIMEZONE per zone in use, however many meetings share it.
    zones = sorted(str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE"))
    assert zones == ["Europe/Berlin", "Europe/Minsk"]


def test_series_feed_is_served_at_its_secret_link(app, client):
    series = make_series(name="Country Network on Migration")
    minsk_meeting(series=series)
    with app.test_request_context():
        url = series_feed_url(series)
    path = url.removeprefix(app.config["BASE_URL"])
    assert path.startswith("/feeds/series/") and path.endswith(".ics")

    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert "Fourth extended meeting" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # bad MAC
        lambda token: "0" * 32 + token[32:],  # another series' id with this MAC
        lambda token: "x",
    ],
)
def test_tampered_feed_link_is_404(app, client, tamper):
    series = make_series()
    minsk_meeting(series=series)
    with app.test_request_context():
        token = series_feed_url(series).rsplit("/", 1)[1].removesuffix(".ics")
    response = client.get(f"/feeds/series/{tamper(token)}.ics")
    assert response.status_code == 404
    assert "calendar feed does not exist" in response.get_data(as_text=True)


def test_guessing_feed_links_is_throttled_but_the_real_feed_still_opens(app, client):
    """A feed link is as secret as an RSVP link: wrong ones are counted per address."""
    series = make_series()
    minsk_meeting(series=series)
    with app.test_request_context():
        path = series_feed_url(series).removeprefix(app.config["BASE_URL"])
    guesser = {"REMOTE_ADDR": "203.0.113.9"}
    for n in range(web.BAD_LINK_LIMIT):
        bad = f"/feeds/series/{'a' * 32}.wrongwrongwrongwrongwrong{n}.ics"
        assert client.get(bad, environ_base=guesser).status_code == 404, n

    response = client.get(
        f"/feeds/series/{'b' * 32}.wrongwrongwrongwrong.ics", environ_base=guesser
    )
    assert response.status_code == 429
    assert "Too many wrong links" in response.get_data(as_text=True)
    # The same address guessing RSVP links now waits too: one budget for every kind of link.
    assert client.get("/rsvp/x", environ_base=guesser).status_code == 429
    # The subscribed calendar keeps working, from there and from anywhere else.
    assert client.get(path, environ_base=guesser).status_code == 200
    other = {"REMOTE_ADDR": "198.51.100.2"}
    assert client.get(f"/feeds/series/{'b' * 32}.wrong.ics", environ_base=other).status_code == 404


def test_a_series_feed_token_does_not_open_an_rsvp_page(app, client):
    """Tokens are bound to their purpose: the feed's MAC is not a valid RSVP link."""
    series = make_series()
    with app.test_request_context():
        token = series_feed_url(series).rsplit("/", 1)[1].removesuffix(".ics")
    from coordapp.links import link_id_from_token

    assert link_id_from_token(token, "series-feed") == series.feed_link_id
    assert link_id_from_token(token, "rsvp") is None


def test_series_feed_query_count_does_not_grow_with_meetings(app, client):
    def feed_queries(count: int) -> int:
        series = make_series()
        for number in range(1, count + 1):
            make_meeting(series=series, number=number, starts_at=STARTS + timedelta(days=number))
        with app.test_request_context():
            path = series_feed_url(series).removeprefix(app.config["BASE_URL"])
        db.session.expire_all()
        with count_queries() as queries:
            assert client.get(path).status_code == 200
        return queries.count

    assert feed_queries(3) == feed_queries(40)


def test_feed_link_block_for_the_series_page(app):
    series = make_series(name="Country Network on Migration")
    with app.test_request_context():
        html = render_template_string(
            '{% include "calendar/_series_feed_link.html" %}', series=series
        )
        url = series_feed_url(series)
    assert "Subscribe (calendar feed)" in html
    assert url in html
