"""Every email is queued as a row that names its writer, and written by the worker
just before sending: no email is rendered inside a web request, however many people
a change concerns."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import template_rendered

from coordapp.extensions import db
from coordapp.mail import writers
from coordapp.mail.delivery import deliver_due_messages
from coordapp.mail.queue import Recipient, queue
from coordapp.models import (
    Invitation,
    InvitationStatus,
    MeetingStatus,
    MessageKind,
    MessageStatus,
    OutgoingMessage,
)
from tests.factories import make_contact, make_meeting
from tests.test_commitments import add_commitment
from tests.test_meeting_updates import edit_form

STARTS = datetime(2027, 3, 4, 7, 0, tzinfo=UTC)


@contextlib.contextmanager
def rendered_templates(app):
    names: list[str] = []

    def record(sender, template, context, **extra):
        names.append(template.name)

    template_rendered.connect(record, app)
    try:
        yield names
    finally:
        template_rendered.disconnect(record, app)


def _meeting_with_invitees(count: int, **kwargs):
    meeting = make_meeting(
        title="Fourth extended meeting", starts_at=STARTS, venue="UN House, Minsk", **kwargs
    )
    organisation = make_contact().organisation
    for n in range(count):
        db.session.add(
            Invitation(
                meeting=meeting,
                contact=make_contact(organisation=organisation, name=f"Person {n:02}"),
                status=InvitationStatus.PENDING,
            )
        )
    db.session.commit()
    return meeting


def test_moving_a_meeting_renders_no_email_in_the_request(app, secretariat_client):
    meeting = _meeting_with_invitees(12)
    with rendered_templates(app) as names:
        response = secretariat_client.post(
            f"/meetings/{meeting.id}/edit",
            data=edit_form(starts_at="2027-03-04T11:00", venue="Ministry of Labour"),
        )
    assert response.status_code == 302
    assert not [name for name in names if name.startswith("mail/")]

    queued = list(db.session.scalars(sa.select(OutgoingMessage)))
    assert len(queued) == 12
    assert {m.writer for m in queued} == {"update"}
    assert all(m.text_body is None and m.subject is None for m in queued)
    assert queued[0].params["before"]["venue"] == "UN House, Minsk"


def test_answering_through_the_personal_link_renders_no_email_in_the_request(app, client):
    from coordapp.links import rsvp_token

    meeting = _meeting_with_invitees(1, rsvp_deadline=datetime(2027, 3, 1, tzinfo=UTC))
    invitation = db.session.scalars(sa.select(Invitation)).one()
    with rendered_templates(app) as names:
        response = client.post(f"/rsvp/{rsvp_token(invitation)}", data={"status": "accepted"})
    assert response.status_code in (200, 302, 303)
    assert not [name for name in names if name.startswith("mail/")]
    [confirmation] = db.session.scalars(
        sa.select(OutgoingMessage).where(OutgoingMessage.kind == MessageKind.CONFIRMATION)
    )
    assert confirmation.writer == "confirmation" and confirmation.params == {"status": "accepted"}
    assert meeting.id == confirmation.meeting_id


def test_the_worker_writes_each_update_with_the_new_details_and_stores_the_text(
    app, secretariat_client
):
    meeting = _meeting_with_invitees(3)
    secretariat_client.post(
        f"/meetings/{meeting.id}/edit", data=edit_form(venue="Ministry of Labour, room 4")
    )

    summary = deliver_due_messages()

    assert summary["sent"] == 3
    db.session.expire_all()
    for message in db.session.scalars(sa.select(OutgoingMessage)):
        assert message.status is MessageStatus.SENT
        assert "New venue: Ministry of Labour, room 4" in message.text_body
        assert "Previously: UN House, Minsk" in message.text_body
        assert "SEQUENCE:1" in message.ics_body
        assert message.to_name in message.text_body  # "Dear Person 01,"


def test_a_change_of_mind_is_confirmed_as_it_was_answered(app):
    """Confirmations are written later, but each speaks of the answer it confirms."""
    from coordapp.invitations.answers import record_answer

    meeting = _meeting_with_invitees(1, rsvp_deadline=datetime(2027, 3, 1, tzinfo=UTC))
    invitation = db.session.scalars(sa.select(Invitation)).one()
    record_answer(invitation, InvitationStatus.ACCEPTED)
    record_answer(invitation, InvitationStatus.DECLINED)
    db.session.commit()

    deliver_due_messages()

    first, second = db.session.scalars(
        sa.select(OutgoingMessage)
        .where(OutgoingMessage.meeting_id == meeting.id)
        .order_by(OutgoingMessage.id)
    )
    assert "You accepted" in first.text_body and first.ics_method == "REQUEST"
    assert "You declined" in second.text_body and second.ics_method is None


def test_a_message_whose_subject_is_gone_fails_with_the_reason(app):
    """A status request whose commitment was deleted before the worker wrote it."""
    from coordapp.commitments.notifications import queue_status_request_email

    contact = make_contact(name="Olga Responsible")
    commitment = add_commitment(
        make_meeting(status=MeetingStatus.HELD),
        [contact.organisation],
        description="Publish a migration data dashboard",
        responsible=contact,
    )
    message = queue_status_request_email(commitment)
    db.session.commit()
    db.session.delete(commitment)
    db.session.commit()

    summary = deliver_due_messages()

    assert summary["failed"] == 1
    db.session.expire_all()
    message = db.session.get(OutgoingMessage, message.id)
    assert message.status is MessageStatus.FAILED
    assert "no longer exists" in message.last_error


def test_every_feature_installs_its_writers(app):
    assert {
        "invitation",
        "confirmation",
        "waitlist_promoted",
        "update",
        "cancellation",
        "reminder",
        "minutes_submitted",
        "minutes_returned",
        "minutes_approved",
        "status_request",
    } <= set(writers.installed())


def test_queueing_under_a_writer_no_feature_lists_is_refused(app):
    """The worker finds a row's writer by name: a writer left out of its feature's record
    would leave the email unwritable, so it cannot be queued at all."""
    stray = writers.Writer("no_such_writer", lambda row: None, MessageKind.OTHER)
    with pytest.raises(ValueError, match="no email writer"):
        queue(stray, Recipient(email="a@example.org"))
