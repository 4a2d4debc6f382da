"""Journey: invitations go out over loopback SMTP; one invitee presses Accept in Outlook
(the test reads the .ics she received and builds Outlook's REPLY to the ORGANIZER it
names), another's address bounces, a third is out of office, a fourth writes back in
plain words. Within one poll of the worker, the invitation list, the RSVP page, the
contact and the Inbox show it; the plain reply is recorded in one click."""

from __future__ import annotations

import uuid

import icalendar
import pytest
import sqlalchemy as sa

from coordapp.extensions import db
from coordapp.inbound.tasks import poll_inbound_mailbox
from coordapp.mail.delivery import deliver_due_messages
from coordapp.models import Contact, InboundMessage, Invitation, InvitationStatus
from tests import inbound_mail as shaped
from tests.factories import make_contact, make_meeting, make_organisation
from tests.imap import DovecotServer
from tests.smtp import body_text, calendar_part

INBOUND = "meetings@network.example.org"


@pytest.fixture
def dovecot():
    server = DovecotServer().start()
    yield server
    server.stop()


def test_answers_bounces_and_replies_by_email_reach_the_right_invitations(
    app, secretariat_client, smtp_server, dovecot
):
    box = dovecot.for_user(f"j{uuid.uuid4().hex[:8]}")
    app.config.update(INBOUND_IMAP_URL=box.url, INBOUND_ADDRESS=INBOUND)
    meeting = make_meeting(title="Fourth extended meeting")
    iom = make_organisation(name="International Organization for Migration")
    people = {
        name: make_contact(iom, email=f"{name}@example.org", name=name.title())
        for name in ("alena", "pavel", "ivan", "olga")
    }
    ids = [c.id for c in people.values()]

    # --- the secretariat invites them; the outbox goes out over SMTP -------------------
    response = secretariat_client.post(
        f"/meetings/{meeting.id}/invitations/new", data={"contact_ids": ids}
    )
    assert response.status_code in (302, 303), response.text
    assert deliver_due_messages()["sent"] == 4

    # --- Alena presses Accept in Outlook: a REPLY to the ORGANIZER her .ics names ------
    [invitation_mail] = smtp_server.to("alena@example.org")
    calendar = icalendar.Calendar.from_ical(calendar_part(invitation_mail).get_content())
    [event] = calendar.walk("VEVENT")
    organizer = str(event["ORGANIZER"]).removeprefix("mailto:")
    assert organizer == invitation_mail["Reply-To"].addresses[0].addr_spec
    reply = shaped.reply_ics(
        uid=str(event["UID"]),
        organizer=organizer,
        attendee="alena@example.org",
        partstat="ACCEPTED",
        sequence=int(event.get("SEQUENCE", 0)),
    )
    box.append(shaped.outlook("Alena <alena@example.org>", organizer, reply))

    # --- Pavel's address bounces: the DSN goes to his message's envelope sender --------
    envelopes = dict((rcpts[0], mail_from) for mail_from, rcpts in smtp_server.handler.envelopes)
    box.append(shaped.dsn(envelopes["pavel@example.org"], "pavel@example.org"))
    # --- Ivan is out of office; Olga writes back in plain words ------------------------
    [ivan_mail] = smtp_server.to("ivan@example.org")
    box.append(shaped.auto_reply("ivan@example.org", ivan_mail["Reply-To"].addresses[0].addr_spec))
    [olga_mail] = smtp_server.to("olga@example.org")
    box.append(
        shaped.plain(
            "olga@example.org",
            olga_mail["Reply-To"].addresses[0].addr_spec,
            "Thank you, I will come with my deputy.",
            **{"In-Reply-To": olga_mail["Message-ID"]},
        )
    )

    # --- one poll of the worker ----------------------------------------------------------
    result = poll_inbound_mailbox.call_local()
    assert "processed=4" in result, result
    db.session.expire_all()

    invitations = secretariat_client.get(f"/meetings/{meeting.id}/invitations").text
    assert 'data-status="accepted"' in invitations
    alena = db.session.scalar(
        sa.select(Invitation).where(Invitation.contact_id == people["alena"].id)
    )
    assert alena.status == InvitationStatus.ACCEPTED
    links = [w for w in body_text(invitation_mail).split() if "/rsvp/" in w]
    rsvp_page = app.test_client().get(links[0].split("127.0.0.1:5000", 1)[-1]).text
    assert "You accepted: you will attend." in rsvp_page

    assert "undeliverable since" in invitations  # Pavel, on the invitation list
    assert db.session.get(Contact, people["pavel"].id).undeliverable_since is not None
    assert db.session.get(Contact, people["ivan"].id).undeliverable_since is None
    statuses = {
        i.contact_id: i.status
        for i in db.session.scalars(
            sa.select(Invitation).where(Invitation.meeting_id == meeting.id)
        )
    }
    assert statuses[people["ivan"].id] == InvitationStatus.PENDING  # a note, not an answer
    meeting_page = secretariat_client.get(f"/meetings/{meeting.id}").text
    assert "out of the office" in meeting_page

    # --- the secretariat records Olga's answer in one click -----------------------------
    inbox = secretariat_client.get("/inbox").text
    assert "I will come with my deputy" in inbox
    olga_message = db.session.scalar(
        sa.select(InboundMessage).where(InboundMessage.from_address == "olga@example.org")
    )
    secretariat_client.post(f"/inbox/{olga_message.id}/answer", data={"status": "accepted"})
    db.session.expire_all()
    assert (
        statuses
        and db.session.scalar(
            sa.select(Invitation.status).where(Invitation.contact_id == people["olga"].id)
        )
        == InvitationStatus.ACCEPTED
    )
    assert box.count("INBOX") == 0
