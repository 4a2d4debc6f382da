"""When a meeting moves or is cancelled, the invitees still in play hear about it and
their calendars follow (same UID, SEQUENCE + 1); stale queued mail is dropped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from coordapp.extensions import db
from coordapp.invitations.notifications import notify_meeting_changed
from coordapp.models import (
    Invitation,
    InvitationStatus,
    MeetingKind,
    MeetingStatus,
    MessageKind,
    MessageStatus,
    OutgoingMessage,
)
from tests.conftest import count_queries
from tests.factories import make_contact, make_meeting, make_series
from tests.outbox import written

STARTS = datetime(2027, 3, 4, 7, 0, tzinfo=UTC)  # 10:00 in Minsk


def edit_form(**overrides) -> dict:
    """The meeting form as the secretariat submits it for the meeting made below."""
    data = {
        "title": "Fourth extended meeting",
        "series_id": "0",
        "number": "",
        "kind": "extended",
        "description": "Migration data.",
        "timezone": "Europe/Minsk",
        "starts_at": "2027-03-04T10:00",
        "ends_at": "2027-03-04T13:00",
        "venue": "UN House, Minsk",
        "online_url": "",
        "rsvp_deadline": "",
        "capacity": "",
        "language": "en",
    }
    data.update(overrides)
    return data


@pytest.fixture
def meeting(app):
    return make_meeting(
        title="Fourth extended meeting",
        starts_at=STARTS,
        description="Migration data.",
        venue="UN House, Minsk",
        kind=MeetingKind.EXTENDED,
    )


@pytest.fixture
def invitations(meeting) -> dict[str, Invitation]:
    """One invitee per answer, plus an accepted one whose invitation was withdrawn."""
    rows = {}
    for status in InvitationStatus:
        rows[status.value] = Invitation(
            meeting=meeting,
            contact=make_contact(name=f"{status.value.title()} Person"),
            status=status,
        )
    rows["withdrawn"] = Invitation(
        meeting=meeting,
        contact=make_contact(name="Withdrawn Person"),
        status=InvitationStatus.ACCEPTED,
        withdrawn_at=datetime(2027, 2, 1, tzinfo=UTC),
    )
    db.session.add_all(rows.values())
    db.session.commit()
    return rows


STILL_IN_PLAY = {"pending", "accepted", "tentative", "waitlisted"}


def outbox(kind: MessageKind | None = None) -> list[OutgoingMessage]:
    query = sa.select(OutgoingMessage).order_by(OutgoingMessage.id)
    if kind is not None:
        query = query.where(OutgoingMessage.kind == kind)
    return [written(m) for m in db.session.scalars(query)]


def recipients(messages, invitations) -> set[str]:
    by_email = {i.contact.email: name for name, i in invitations.items()}
    return {by_email[m.to_email] for m in messages}


def event_of(message: OutgoingMessage):
    calendar = Calendar.from_ical(message.ics_body)
    assert calendar["METHOD"] == message.ics_method
    (event,) = calendar.walk("VEVENT")
    return calendar, event


def queue_reminder(meeting, invitation, status=MessageStatus.QUEUED) -> OutgoingMessage:
    message = OutgoingMessage(
        kind=MessageKind.REMINDER,
        message_id=f"<reminder-{invitation.id}-{status.value}@test>",
        to_email=invitation.contact.email,
        to_name=invitation.contact.name,
        subject="Reminder",
        text_body="Please answer.",
        meeting_id=meeting.id,
        invitation_id=invitation.id,
        status=status,
    )
    db.session.add(message)
    db.session.commit()
    return message


def test_new_time_goes_to_every_invitee_still_in_play(secretariat_client, meeting, invitations):
    response = secretariat_client.post(
        f"/meetings/{meeting.id}/edit",
        data=edit_form(starts_at="2027-03-04T11:00", ends_at="2027-03-04T14:00"),
    )
    assert response.status_code == 302

    updates = outbox(MessageKind.UPDATE)
    assert recipients(updates, invitations) == STILL_IN_PLAY
    db.session.refresh(meeting)
    assert meeting.ics_sequence == 1
    for message in updates:
        assert message.ics_method == "REQUEST"
        calendar, event = event_of(message)
        assert event["UID"] == f"meeting-{meeting.id}@coordapp.localhost"
        assert event["SEQUENCE"] == 1
        assert "DTSTART;TZID=Europe/Minsk:20270304T110000" in message.ics_body
        assert str(event["ATTENDEE"]) == f"mailto:{message.to_email}"
        assert message.invitation_id is not None and message.meeting_id == meeting.id
        # The email says what changed, old and new, on the Minsk clock with the zone named.
        assert "Fourth extended meeting" in message.subject
        assert "Starts: Thu 4 Mar 2027, 11:00 (Europe/Minsk)" in message.text_body
        assert "Starts: Thu 4 Mar 2027, 10:00 (Europe/Minsk)" in message.text_body
        assert message.text_body.index("11:00") < message.text_body.index("Previously")
        assert "/rsvp/" in message.text_body
        assert "11:00 (Europe/Minsk)" in message.html_body


def test_update_calendar_keeps_the_uid_of_the_invitation(app, meeting, invitations):
    from coordapp.ics import meeting_calendar

    with app.test_request_context():
        invitation_event = Calendar.from_ical(
            meeting_calendar(meeting, "REQUEST", attendee=invitations["pending"])
        ).walk("VEVENT")[0]
        meeting.venue = "Ministry of Labour, room 4"
        notify_meeting_changed(meeting, {"venue"}, {"venue": "UN House, Minsk"})
        db.session.commit()

    (update,) = [
        m for m in outbox(MessageKind.UPDATE) if m.invitation_id == invitations["pending"].id
    ]
    _calendar, event = event_of(update)
    assert event["UID"] == invitation_event["UID"]
    assert event["SEQUENCE"] == invitation_event["SEQUENCE"] + 1
    assert event["LOCATION"] == "Ministry of Labour, room 4"
    assert "New venue: Ministry of Labour, room 4" in update.text_body
    assert "Previously: UN House, Minsk" in update.text_body


def test_new_online_link_is_an_update_too(secretariat_client, meeting, invitations):
    secretariat_client.post(
        f"/meetings/{meeting.id}/edit", data=edit_form(online_url="https://meet.example.org/x")
    )
    updates = outbox(MessageKind.UPDATE)
    assert recipients(updates, invitations) == STILL_IN_PLAY
    assert "New online meeting link: https://meet.example.org/x" in updates[0].text_body


def test_changing_only_the_description_sends_nothing(secretariat_client, meeting, invitations):
    response = secretariat_client.post(
        f"/meetings/{meeting.id}/edit", data=edit_form(description="Now with an agenda.")
    )
    assert response.status_code == 302
    db.session.refresh(meeting)
    assert meeting.description == "Now with an agenda."
    assert outbox() == []
    assert meeting.ics_sequence == 0


def test_rescheduling_a_draft_sends_nothing(secretariat_client, meeting, invitations):
    meeting.status = MeetingStatus.DRAFT
    db.session.commit()
    secretariat_client.post(
        f"/meetings/{meeting.id}/edit", data=edit_form(starts_at="2027-03-04T09:00")
    )
    db.session.refresh(meeting)
    assert meeting.starts_at.hour == 6  # 09:00 in Minsk
    assert outbox() == []
    assert meeting.ics_sequence == 0


def test_sequence_climbs_by_one_per_change_and_again_on_cancel(
    secretariat_client, meeting, invitations
):
    # The worker writes each email when it sends it: here, before the next change.
    secretariat_client.post(
        f"/meetings/{meeting.id}/edit", data=edit_form(starts_at="2027-03-04T11:00")
    )
    outbox()
    secretariat_client.post(
        f"/meetings/{meeting.id}/edit",
        data=edit_form(starts_at="2027-03-04T11:00", venue="Ministry of Labour"),
    )
    outbox()
    secretariat_client.post(
        f"/meetings/{meeting.id}/status", data={"status": "cancelled", "reason": "Floods."}
    )
    pending = invitations["pending"]
    mine = [m for m in outbox() if m.invitation_id == pending.id]
    assert [m.kind for m in mine] == [
        MessageKind.UPDATE,
        MessageKind.UPDATE,
        MessageKind.CANCELLATION,
    ]
    events = [event_of(m)[1] for m in mine]
    assert [e["SEQUENCE"] for e in events] == [1, 2, 3]
    assert len({str(e["UID"]) for e in events}) == 1


def test_cancelling_sends_cancel_to_invitees_still_in_play(
    secretariat_client, meeting, invitations
):
    response = secretariat_client.post(
        f"/meetings/{meeting.id}/status",
        data={"status": "cancelled", "reason": "The venue is closed for repairs."},
    )
    assert response.status_code == 302

    cancellations = outbox(MessageKind.CANCELLATION)
    assert recipients(cancellations, invitations) == STILL_IN_PLAY
    for message in cancellations:
        assert message.ics_method == "CANCEL"
        calendar, event = event_of(message)
        assert calendar["METHOD"] == "CANCEL"
        assert event["STATUS"] == "CANCELLED"
        assert event["SEQUENCE"] == 1
        assert event["UID"] == f"meeting-{meeting.id}@coordapp.localhost"
        assert "Reason: The venue is closed for repairs." in message.text_body
        assert "Thu 4 Mar 2027, 10:00 (Europe/Minsk)" in message.text_body
        assert message.subject.startswith("Cancelled: Fourth extended meeting")


def test_cancelling_without_reason_sends_nothing(secretariat_client, meeting, invitations):
    response = secretariat_client.post(
        f"/meetings/{meeting.id}/status", data={"status": "cancelled", "reason": ""}
    )
    assert response.status_code == 400
    assert outbox() == []
    db.session.refresh(meeting)
    assert meeting.ics_sequence == 0


def test_reschedule_makes_queued_reminders_obsolete(secretariat_client, meeting, invitations):
    queued = queue_reminder(meeting, invitations["pending"])
    already_sent = queue_reminder(meeting, invitations["tentative"], MessageStatus.SENT)
    other_meeting = make_meeting(series=make_series())
    other = Invitation(meeting=other_meeting, contact=invitations["pending"].contact)
    db.session.add(other)
    db.session.commit()
    elsewhere = queue_reminder(other_meeting, other)

    secretariat_client.post(
        f"/meetings/{meeting.id}/edit",
        data=edit_form(starts_at="2027-03-05T10:00", ends_at="2027-03-05T13:00"),
    )

    db.session.expire_all()
    assert db.session.get(OutgoingMessage, queued.id).status is MessageStatus.OBSOLETE
    assert db.session.get(OutgoingMessage, already_sent.id).status is MessageStatus.SENT
    assert db.session.get(OutgoingMessage, elsewhere.id).status is MessageStatus.QUEUED
    # The updates just queued are not caught by the clean-up.
    assert all(m.status is MessageStatus.QUEUED for m in outbox(MessageKind.UPDATE))


def test_cancelling_drops_queued_invitations_and_reminders(
    secretariat_client, meeting, invitations
):
    reminder = queue_reminder(meeting, invitations["pending"])
    invitation_mail = OutgoingMessage(
        kind=MessageKind.INVITATION,
        message_id="<invitation-late@test>",
        to_email=invitations["accepted"].contact.email,
        subject="Invitation",
        text_body="You are invited.",
        meeting_id=meeting.id,
        invitation_id=invitations["accepted"].id,
    )
    db.session.add(invitation_mail)
    db.session.commit()

    secretariat_client.post(
        f"/meetings/{meeting.id}/status", data={"status": "cancelled", "reason": "Floods."}
    )

    db.session.expire_all()
    assert db.session.get(OutgoingMessage, reminder.id).status is MessageStatus.OBSOLETE
    assert db.session.get(OutgoingMessage, invitation_mail.id).status is MessageStatus.OBSOLETE
    assert all(m.status is MessageStatus.QUEUED for m in outbox(MessageKind.CANCELLATION))


def test_notifying_loads_invitees_in_a_constant_number_of_queries(app):
    def queries_for(count: int) -> int:
        meeting = make_meeting(series=make_series(), starts_at=STARTS)
        organisation = make_contact().organisation
        for n in range(count):
            db.session.add(
                Invitation(
                    meeting=meeting,
                    contact=make_contact(organisation=organisation, name=f"Person {n}"),
                )
            )
        db.session.commit()
        meeting = db.session.get(type(meeting), meeting.id)
        with app.test_request_context():
            meeting.starts_at += timedelta(days=1)
            meeting.ends_at += timedelta(days=1)
            with count_queries() as queries:
                queued = notify_meeting_changed(meeting, {"starts_at", "ends_at"})
            assert queued == count
            db.session.commit()
        return queries.count

    assert queries_for(3) == queries_for(30)


def test_update_reaches_the_invitee_with_a_calendar_request(
    secretariat_client, smtp_server, meeting, invitations
):
    from coordapp.mail.delivery import deliver_due_messages
    from tests.smtp import body_text, calendar_part

    secretariat_client.post(
        f"/meetings/{meeting.id}/edit", data=edit_form(starts_at="2027-03-04T11:00")
    )
    summary = deliver_due_messages()
    assert summary["sent"] == len(STILL_IN_PLAY)

    (received,) = smtp_server.to(invitations["accepted"].contact.email)
    assert smtp_server.to(invitations["declined"].contact.email) == []
    assert "Fourth extended meeting" in received["Subject"]
    assert "11:00 (Europe/Minsk)" in body_text(received)
    part = calendar_part(received)
    assert part is not None
    assert part.get_content_type() == "text/calendar"
    assert part.get_param("method") == "REQUEST"
    calendar = Calendar.from_ical(part.get_content())
    (event,) = calendar.walk("VEVENT")
    assert calendar["METHOD"] == "REQUEST"
    assert event["SEQUENCE"] == 1
    assert event["UID"] == f"meeting-{meeting.id}@coordapp.localhost"
    assert event["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"


def test_raising_the_capacity_moves_the_waiting_list_up_at_once(secretariat_client, meeting):
    """Nobody waits for a seat that exists: more seats promote people right away (and
    they are told), not at the next answer."""
    from coordapp.invitations.answers import record_answer

    meeting.capacity = 1
    first, waiting = (
        Invitation(meeting=meeting, contact=make_contact(name=name)) for name in ("A", "B")
    )
    db.session.add_all([first, waiting])
    db.session.commit()
    record_answer(first, InvitationStatus.ACCEPTED)
    assert record_answer(waiting, InvitationStatus.ACCEPTED) is InvitationStatus.WAITLISTED
    db.session.commit()

    response = secretariat_client.post(f"/meetings/{meeting.id}/edit", data=edit_form(capacity="2"))

    assert response.status_code == 302
    db.session.refresh(waiting)
    assert waiting.status is InvitationStatus.ACCEPTED and waiting.waitlisted_at is None
    [told] = outbox(MessageKind.WAITLIST)
    assert told.to_email == waiting.contact.email
    assert "moved up from the waiting list" in told.text_body


def test_rescheduling_queues_the_updates_in_one_statement_whatever_the_invitees(
    secretariat_client,
):
    """Issue #23's 10,000-invitee reschedule: the same statements for 5 invitees as for
    50, each run once (no execution per email, which PostgreSQL pays as a round trip)."""

    def reschedule(count: int):
        meeting = make_meeting(
            title="Fourth extended meeting",
            starts_at=STARTS,
            description="Migration data.",
            venue="UN House, Minsk",
            kind=MeetingKind.EXTENDED,
        )
        organisation = make_contact().organisation
        for n in range(count):
            db.session.add(
                Invitation(
                    meeting=meeting,
                    contact=make_contact(organisation=organisation, name=f"Person {n}"),
                )
            )
        db.session.commit()
        with count_queries() as queries:
            response = secretariat_client.post(
                f"/meetings/{meeting.id}/edit",
                data=edit_form(starts_at="2027-03-05T10:00", ends_at="2027-03-05T13:00"),
            )
        assert response.status_code == 302
        updates = sa.select(sa.func.count()).where(
            OutgoingMessage.kind == MessageKind.UPDATE, OutgoingMessage.meeting_id == meeting.id
        )
        assert db.session.scalar(updates) == count
        return queries

    few, many = reschedule(5), reschedule(50)
    assert many.count == few.count
    assert many.executemany == []
