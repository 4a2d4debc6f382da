"""Reminders: pending invitees before the RSVP deadline, accepted ones the day before,
fresh ones after a reschedule, and the secretariat's "remind now" button."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from coordapp.extensions import db
from coordapp.invitations import service
from coordapp.invitations.reminders import send_due_reminders
from coordapp.models import (
    AuditEvent,
    Contact,
    Invitation,
    InvitationStatus,
    MeetingStatus,
    MessageKind,
    OutgoingMessage,
)
from tests.conftest import count_queries
from tests.factories import make_contact, make_meeting, make_organisation
from tests.outbox import written

NOW = datetime(2031, 3, 3, 8, 0, tzinfo=UTC)


def _meeting(**kwargs):
    kwargs.setdefault("starts_at", NOW + timedelta(days=10))
    kwargs.setdefault("rsvp_deadline", NOW + timedelta(days=5))
    kwargs.setdefault("title", "Fourth extended meeting")
    return make_meeting(**kwargs)


def _invite(
    meeting, *contacts, status=InvitationStatus.PENDING, invited_at=NOW - timedelta(days=20)
):
    service.invite_contacts(meeting, contacts, by=None)
    invitations = list(
        db.session.scalars(
            sa.select(Invitation).where(
                Invitation.meeting_id == meeting.id,
                Invitation.contact_id.in_([c.id for c in contacts]),
            )
        )
    )
    for invitation in invitations:
        invitation.status = status
        invitation.invited_at = invited_at
    db.session.commit()
    return invitations


def _reminders_to(email: str) -> list[OutgoingMessage]:
    return [
        written(m)
        for m in db.session.scalars(
            sa.select(OutgoingMessage)
            .where(OutgoingMessage.kind == MessageKind.REMINDER, OutgoingMessage.to_email == email)
            .order_by(OutgoingMessage.id)
        )
    ]


def test_pending_invitees_get_one_reminder_n_days_before_the_deadline(app):
    meeting = _meeting(reminder_days=3)
    anna = make_contact(email="anna@example.org", name="Anna")
    [invitation] = _invite(meeting, anna)

    # Four days before the deadline: too early.
    assert send_due_reminders(now=meeting.rsvp_deadline - timedelta(days=4)) == 0
    assert _reminders_to("anna@example.org") == []

    # Three days before: due, once.
    at = meeting.rsvp_deadline - timedelta(days=3) + timedelta(minutes=5)
    assert send_due_reminders(now=at) == 1
    assert send_due_reminders(now=at + timedelta(minutes=15)) == 0
    assert send_due_reminders(now=at + timedelta(days=2)) == 0

    [reminder] = _reminders_to("anna@example.org")
    assert "please answer" in reminder.subject.lower()
    assert "Please answer by" in reminder.text_body and "(Europe/Minsk)" in reminder.text_body
    assert service.rsvp_url(invitation) in reminder.text_body
    assert reminder.invitation_id == invitation.id
    db.session.expire_all()
    invitation = db.session.get(Invitation, invitation.id)
    assert invitation.reminders_sent == 1
    assert invitation.reminded_for_deadline == meeting.rsvp_deadline
    assert invitation.last_reminded_at == at


def test_who_answered_was_withdrawn_or_just_invited_gets_no_deadline_reminder(app):
    meeting = _meeting(reminder_days=3)
    declined = make_contact(email="declined@example.org")
    withdrawn = make_contact(email="withdrawn@example.org")
    fresh = make_contact(email="fresh@example.org")
    _invite(meeting, declined, status=InvitationStatus.DECLINED)
    [gone] = _invite(meeting, withdrawn)
    gone.withdrawn_at = NOW
    [new] = _invite(meeting, fresh)
    at = meeting.rsvp_deadline - timedelta(days=2)
    new.invited_at = at - timedelta(hours=2)  # invited two hours ago: the invitation is news
    db.session.commit()

    assert send_due_reminders(now=at) == 0


def test_no_reminders_for_a_draft_or_cancelled_meeting_or_with_zero_days(app):
    for kwargs in (
        {"status": MeetingStatus.DRAFT},
        {"status": MeetingStatus.CANCELLED},
        {"reminder_days": 0},
    ):
        meeting = _meeting(**kwargs)
        _invite(meeting, make_contact())
    assert send_due_reminders(now=NOW + timedelta(days=4)) == 0


def test_accepted_invitees_get_a_day_before_reminder_once(app):
    meeting = _meeting(venue="UN House, Minsk")
    ada = make_contact(email="ada@example.org")
    pending = make_contact(email="pending@example.org")
    [invitation] = _invite(meeting, ada, status=InvitationStatus.ACCEPTED)
    _invite(meeting, pending)

    assert send_due_reminders(now=meeting.starts_at - timedelta(hours=30)) == 0
    at = meeting.starts_at - timedelta(hours=23)
    assert send_due_reminders(now=at) == 1
    assert send_due_reminders(now=at + timedelta(hours=1)) == 0

    [reminder] = _reminders_to("ada@example.org")
    assert "tomorrow" in reminder.text_body
    assert "UN House, Minsk" in reminder.text_body
    assert _reminders_to("pending@example.org") == []  # the deadline has passed
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).reminded_for_start == meeting.starts_at


def test_a_new_deadline_brings_a_new_reminder_and_none_for_the_old_one(app):
    meeting = _meeting(reminder_days=3)
    _invite(meeting, make_contact(email="anna@example.org"))
    first_deadline = meeting.rsvp_deadline
    assert send_due_reminders(now=first_deadline - timedelta(days=2)) == 1
    [first_reminder] = _reminders_to("anna@example.org")  # written as the worker sends it
    db.session.commit()

    # The meeting moves a week later, with a new deadline.
    meeting.starts_at += timedelta(days=7)
    meeting.ends_at += timedelta(days=7)
    meeting.rsvp_deadline = first_deadline + timedelta(days=7)
    db.session.commit()

    assert send_due_reminders(now=first_deadline - timedelta(days=1)) == 0  # not yet due
    assert send_due_reminders(now=meeting.rsvp_deadline - timedelta(days=2)) == 1
    assert send_due_reminders(now=meeting.rsvp_deadline - timedelta(days=1)) == 0
    reminders = _reminders_to("anna@example.org")
    assert len(reminders) == 2
    assert reminders[-1].text_body != reminders[0].text_body  # speaks of the new deadline


def test_a_rescheduled_start_brings_a_new_day_before_reminder(app):
    meeting = _meeting()
    _invite(meeting, make_contact(email="ada@example.org"), status=InvitationStatus.ACCEPTED)
    assert send_due_reminders(now=meeting.starts_at - timedelta(hours=20)) == 1

    meeting.starts_at += timedelta(days=2)
    meeting.ends_at += timedelta(days=2)
    db.session.commit()

    assert send_due_reminders(now=meeting.starts_at - timedelta(hours=20)) == 1
    assert len(_reminders_to("ada@example.org")) == 2


def _many_pending(meeting, count: int) -> None:
    org = make_organisation()
    db.session.execute(
        sa.insert(Contact),
        [
            {
                "name": f"P{meeting.id}-{n}",
                "email": f"p{meeting.id}-{n}@example.org",
                "organisation_id": org.id,
            }
            for n in range(count)
        ],
    )
    ids = db.session.scalars(sa.select(Contact.id).where(Contact.organisation_id == org.id)).all()
    db.session.execute(
        sa.insert(Invitation),
        [
            {
                "meeting_id": meeting.id,
                "contact_id": contact_id,
                "invited_at": NOW - timedelta(days=20),
            }
            for contact_id in ids
        ],
    )
    db.session.commit()


def test_a_reminder_run_reads_a_constant_number_of_times(app):
    few, many = (
        _meeting(),
        _meeting(starts_at=NOW + timedelta(days=40), rsvp_deadline=NOW + timedelta(days=35)),
    )
    _many_pending(few, 5)
    _many_pending(many, 100)

    def reads(counter):
        return [s for s in counter.statements if s.lstrip().upper().startswith("SELECT")]

    few_deadline, many_deadline = few.rsvp_deadline, many.rsvp_deadline  # read before counting
    with count_queries() as for_few:
        assert send_due_reminders(now=few_deadline - timedelta(days=1)) == 5
    with count_queries() as for_many:
        assert send_due_reminders(now=many_deadline - timedelta(days=1)) == 100
    assert len(reads(for_many)) == len(reads(for_few))


def test_remind_now_button_reminds_every_pending_invitee(secretariat_client):
    meeting = _meeting(
        rsvp_deadline=datetime.now(UTC) + timedelta(days=10),
        starts_at=datetime.now(UTC) + timedelta(days=12),
    )
    _invite(meeting, make_contact(email="p1@example.org"), make_contact(email="p2@example.org"))
    _invite(meeting, make_contact(email="yes@example.org"), status=InvitationStatus.ACCEPTED)

    page = secretariat_client.get(f"/meetings/{meeting.id}/invitations").get_data(as_text=True)
    assert "Send a reminder now to all 2 invitees who have not answered" in page
    response = secretariat_client.post(f"/meetings/{meeting.id}/invitations/remind")

    assert response.status_code == 302
    assert len(_reminders_to("p1@example.org")) == 1
    assert len(_reminders_to("p2@example.org")) == 1
    assert _reminders_to("yes@example.org") == []
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "invitations.remind_now")
    )
    assert event.user_id == secretariat_client.user.id and event.meeting_id == meeting.id
    follow = secretariat_client.get(f"/meetings/{meeting.id}/invitations").get_data(as_text=True)
    assert "Reminders were queued for 2 invitees" in follow


def test_remind_now_is_refused_after_the_deadline_or_for_a_cancelled_meeting(secretariat_client):
    past = _meeting(
        rsvp_deadline=datetime.now(UTC) - timedelta(hours=1),
        starts_at=datetime.now(UTC) + timedelta(days=1),
    )
    cancelled = _meeting(
        status=MeetingStatus.CANCELLED,
        rsvp_deadline=datetime.now(UTC) + timedelta(days=3),
        starts_at=datetime.now(UTC) + timedelta(days=5),
    )
    for meeting in (past, cancelled):
        _invite(meeting, make_contact())

    response = secretariat_client.post(f"/meetings/{past.id}/invitations/remind")
    assert response.status_code == 409
    assert "The reply deadline has passed" in response.get_data(as_text=True)
    response = secretariat_client.post(f"/meetings/{cancelled.id}/invitations/remind")
    assert response.status_code == 409
    assert (
        db.session.scalars(
            sa.select(OutgoingMessage).where(OutgoingMessage.kind == MessageKind.REMINDER)
        ).all()
        == []
    )


def test_the_worker_job_runs_the_reminders(app):
    from coordapp.invitations.reminders import send_due_reminders_job

    meeting = _meeting(
        starts_at=datetime.now(UTC) + timedelta(days=3),
        rsvp_deadline=datetime.now(UTC) + timedelta(days=1),
    )
    _invite(
        meeting,
        make_contact(email="anna@example.org"),
        invited_at=datetime.now(UTC) - timedelta(days=5),
    )
    send_due_reminders_job()
    assert len(_reminders_to("anna@example.org")) == 1
