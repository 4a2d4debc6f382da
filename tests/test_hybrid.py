"""Hybrid meetings: the format, in person or online on the RSVP page, seats counted in
person only, the online link only for who accepted, and attendance split by format."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from coordapp.attendance.service import attendance_counts, attendance_summary
from coordapp.extensions import db
from coordapp.ics import meeting_calendar
from coordapp.invitations.answers import ModeMissing, record_answer
from coordapp.links import rsvp_token
from coordapp.models import (
    AttendanceMode,
    Category,
    Invitation,
    InvitationStatus,
    MeetingFormat,
    MessageKind,
    OutgoingMessage,
)
from tests.factories import make_contact, make_meeting, make_organisation
from tests.outbox import written

STARTS = datetime(2030, 3, 7, 7, 0, tzinfo=UTC)
LINK = "https://meet.example.org/cnm4"
ACCEPTED = InvitationStatus.ACCEPTED
WAITLISTED = InvitationStatus.WAITLISTED
ONLINE = AttendanceMode.ONLINE
IN_PERSON = AttendanceMode.IN_PERSON


@pytest.fixture(autouse=True)
def request_context(app):
    with app.test_request_context():
        yield


def hybrid(**kwargs):
    kwargs.setdefault("venue", "UN House, Minsk")
    kwargs.setdefault("online_url", LINK)
    return make_meeting(
        title="Fourth extended meeting",
        starts_at=STARTS,
        rsvp_deadline=STARTS - timedelta(days=7),
        **kwargs,
    )


def invite(meeting, contact=None, **kwargs) -> Invitation:
    invitation = Invitation(meeting=meeting, contact=contact or make_contact(), **kwargs)
    db.session.add(invitation)
    db.session.commit()
    return invitation


def answer(invitation, status, mode=None):
    recorded = record_answer(invitation, status, mode=mode)
    db.session.commit()
    return recorded


def url(invitation, suffix=""):
    return f"/rsvp/{rsvp_token(invitation)}{suffix}"


def emails(kind: MessageKind, invitation) -> list[OutgoingMessage]:
    return [
        written(m)
        for m in db.session.scalars(
            db.select(OutgoingMessage)
            .where(OutgoingMessage.kind == kind, OutgoingMessage.invitation_id == invitation.id)
            .order_by(OutgoingMessage.id)
        )
    ]


# --- the format ---------------------------------------------------------------------------


def test_format_is_derived_from_venue_and_link_unless_set(app):
    assert hybrid().mode is MeetingFormat.HYBRID
    assert hybrid(venue=None).mode is MeetingFormat.ONLINE
    assert hybrid(online_url=None).mode is MeetingFormat.IN_PERSON
    # The secretariat's word wins: a link kept for the record, but the meeting is in person.
    assert hybrid(format=MeetingFormat.IN_PERSON).mode is MeetingFormat.IN_PERSON


# --- seats --------------------------------------------------------------------------------


def test_an_online_acceptance_takes_no_seat_and_never_waits(app):
    meeting = hybrid(capacity=1)
    online = invite(meeting)
    in_person = invite(meeting)
    late = invite(meeting)

    assert answer(online, ACCEPTED, ONLINE) == ACCEPTED
    assert answer(in_person, ACCEPTED, IN_PERSON) == ACCEPTED  # the one seat is still free
    assert answer(late, ACCEPTED, IN_PERSON) == WAITLISTED
    # Online, nobody waits for a seat.
    assert answer(late, ACCEPTED, ONLINE) == ACCEPTED


def test_switching_to_online_frees_the_seat_for_the_waiting_list(app):
    meeting = hybrid(capacity=1)
    first, second = invite(meeting), invite(meeting)
    answer(first, ACCEPTED, IN_PERSON)
    assert answer(second, ACCEPTED, IN_PERSON) == WAITLISTED

    answer(first, ACCEPTED, ONLINE)

    db.session.expire_all()
    assert db.session.get(Invitation, second.id).status == ACCEPTED


def test_an_invitee_of_a_hybrid_meeting_must_say_in_person_or_online(app):
    invitation = invite(hybrid())
    with pytest.raises(ModeMissing):
        record_answer(invitation, ACCEPTED)
    db.session.rollback()
    # A meeting in person only asks nothing.
    plain = invite(hybrid(online_url=None))
    assert answer(plain, ACCEPTED) == ACCEPTED
    assert plain.attendance_mode is None


# --- the RSVP page ------------------------------------------------------------------------


def test_the_rsvp_page_asks_in_person_or_online_only_for_a_hybrid_meeting(client):
    page = client.get(url(invite(hybrid()))).get_data(as_text=True)
    assert 'name="mode"' in page and "How will you take part?" in page
    plain = client.get(url(invite(hybrid(online_url=None)))).get_data(as_text=True)
    assert 'name="mode"' not in plain


def test_accepting_without_a_mode_is_refused_with_a_message(client):
    invitation = invite(hybrid())
    response = client.post(url(invitation), data={"status": "accepted"})
    assert response.status_code == 400
    assert "Choose whether you will attend in person or online." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).status == InvitationStatus.PENDING


def test_the_online_link_appears_only_once_accepted(client):
    invitation = invite(hybrid())
    before = client.get(url(invitation)).get_data(as_text=True)
    assert LINK not in before
    assert "Shown here once you accept." in before

    response = client.post(url(invitation), data={"status": "accepted", "mode": "online"})
    assert response.status_code == 303
    after = client.get(url(invitation)).get_data(as_text=True)
    assert LINK in after
    assert "Taking part:" in after and "Online" in after
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).attendance_mode is ONLINE


def test_the_invitation_email_has_no_online_link_the_confirmation_has(app):
    from coordapp.invitations.notifications import queue_invitation

    invitation = invite(hybrid())
    queue_invitation(invitation)
    db.session.commit()
    (mail,) = emails(MessageKind.INVITATION, invitation)
    assert LINK not in mail.text_body and LINK not in (mail.html_body or "")
    assert LINK not in (mail.ics_body or "")
    assert "the link comes with the confirmation of your acceptance" in mail.text_body

    answer(invitation, ACCEPTED, ONLINE)
    (confirmation,) = emails(MessageKind.CONFIRMATION, invitation)
    assert LINK in confirmation.text_body


def test_declining_gets_a_confirmation_without_the_link(app):
    invitation = invite(hybrid())
    answer(invitation, InvitationStatus.DECLINED)
    (confirmation,) = emails(MessageKind.CONFIRMATION, invitation)
    assert LINK not in confirmation.text_body


def test_the_calendar_of_who_accepted_carries_url_and_conference_beside_location(app):
    invitation = invite(hybrid())
    answer(invitation, ACCEPTED, IN_PERSON)
    event = next(
        c
        for c in Calendar.from_ical(
            meeting_calendar(invitation.meeting, "REQUEST", attendee=invitation)
        ).walk()
        if c.name == "VEVENT"
    )
    assert str(event["LOCATION"]) == "UN House, Minsk"
    assert str(event["URL"]) == LINK
    assert str(event["CONFERENCE"]) == LINK
    assert event["CONFERENCE"].params["VALUE"] == "URI"

    pending = invite(invitation.meeting)
    text = meeting_calendar(pending.meeting, "REQUEST", attendee=pending)
    assert LINK not in text and "CONFERENCE" not in text


# --- attendance on the day ----------------------------------------------------------------


def test_attendance_records_in_person_and_online_and_counts_split(secretariat_client):
    meeting = hybrid()
    local = make_organisation(
        "Grodno Regional Executive Committee", None, Category.LOCAL_GOVERNMENT
    )
    ministry = make_organisation("Ministry of Labour", None, Category.NATIONAL_GOVERNMENT)
    olga = invite(meeting, make_contact(local, "Olga Online"), status=ACCEPTED)
    ivan = invite(meeting, make_contact(ministry, "Ivan Inperson"), status=ACCEPTED)

    page = secretariat_client.get(f"/meetings/{meeting.id}/attendance").get_data(as_text=True)
    assert "Present in person" in page and "Present online" in page
    response = secretariat_client.post(
        f"/meetings/{meeting.id}/attendance",
        data={
            f"attendance-{olga.id}": "present_online",
            f"attendance-{ivan.id}": "present",
        },
    )
    assert response.status_code in (200, 302, 303)
    db.session.expire_all()
    assert db.session.get(Invitation, olga.id).present_mode is ONLINE
    assert db.session.get(Invitation, ivan.id).present_mode is IN_PERSON

    counts = attendance_counts(meeting.id)
    assert counts.totals["present"] == 2
    assert counts.totals["present_online"] == 1
    assert counts.by_category[Category.LOCAL_GOVERNMENT]["present_online"] == 1

    summary = attendance_summary(meeting)
    assert summary["present_online_count"] == 1
    online = [p["name"] for g in summary["present"] for p in g["people"] if p["online"]]
    assert online == ["Olga Online"]
