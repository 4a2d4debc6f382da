"""Where answers and bounces come back to: every email about an invitation names the
invitation's own sub-address of INBOUND_ADDRESS as Reply-To and as its .ics ORGANIZER,
and is sent with its own sub-address as envelope sender (VERP)."""

from __future__ import annotations

import icalendar
import pytest

from coordapp.extensions import db
from coordapp.invitations.notifications import queue_invitation
from coordapp.mail import addresses
from coordapp.mail.delivery import deliver_due_messages
from coordapp.models import Invitation
from tests.factories import make_contact, make_meeting
from tests.smtp import calendar_part

INBOUND = "meetings@network.example.org"


@pytest.fixture
def inbound(app):
    app.config.update(INBOUND_ADDRESS=INBOUND, INBOUND_IMAP_URL="imap://u:p@127.0.0.1:1/INBOX")
    return app


def _invite(email="ana@example.org"):
    meeting = make_meeting(title="Fourth extended meeting")
    invitation = Invitation(meeting=meeting, contact=make_contact(email=email, name="Ana Alves"))
    db.session.add(invitation)
    db.session.commit()
    row = queue_invitation(invitation)
    db.session.commit()
    return invitation, row


def _organizer(received) -> icalendar.vCalAddress:
    calendar = icalendar.Calendar.from_ical(calendar_part(received).get_content())
    [event] = calendar.walk("VEVENT")
    return event["ORGANIZER"]


def test_invitation_names_its_sub_address_as_reply_to_organizer_and_mail_from(inbound, smtp_server):
    invitation, row = _invite()

    assert deliver_due_messages()["sent"] == 1

    [received] = smtp_server.to("ana@example.org")
    [(mail_from, _rcpts)] = smtp_server.handler.envelopes
    reply_to = received["Reply-To"].addresses[0].addr_spec
    organizer = _organizer(received)
    assert reply_to.startswith("meetings+i") and reply_to.endswith("@network.example.org")
    assert str(organizer) == f"mailto:{reply_to}"
    assert organizer.params["CN"] == "Secretariat"
    assert addresses.parse(reply_to) == addresses.SubAddress("i", invitation.id)
    # The envelope sender names the message (and so its recipient); From does not change.
    assert addresses.parse(mail_from) == addresses.SubAddress("m", row.id)
    assert received["From"].addresses[0].addr_spec == "secretariat@coordapp.localhost"
    assert len(reply_to.partition("@")[0]) <= 64 and len(mail_from.partition("@")[0]) <= 64


def test_a_lowercased_or_uppercased_sub_address_still_matches(inbound):
    address = addresses.invitation_address(41)
    assert addresses.parse(address.upper()) == addresses.SubAddress("i", 41)
    assert addresses.parse(address.lower()) == addresses.SubAddress("i", 41)


def test_a_forged_or_altered_token_matches_nothing(inbound):
    genuine = addresses.invitation_address(41)
    local, _, domain = genuine.partition("@")
    other_id = local.replace("+i15-", "+i16-")  # 41 is "15" in base 36
    assert other_id != local
    assert addresses.parse(f"{other_id}@{domain}") is None
    assert addresses.parse(f"{local}@elsewhere.example.org") is None
    assert addresses.parse(f"{local[:-1]}a@{domain}") is None
    assert addresses.parse("meetings+i15-aaaaaaaaaaaaaaaaaaaaaaaa@network.example.org") is None
    assert addresses.parse("meetings@network.example.org") is None


def test_the_delimiter_is_configurable(inbound):
    inbound.config["INBOUND_DELIMITER"] = "-"
    address = addresses.invitation_address(7)
    assert address.startswith("meetings-i7-")
    assert addresses.parse(address) == addresses.SubAddress("i", 7)


def test_without_sub_addressing_replies_go_to_the_plain_inbound_address(inbound, smtp_server):
    inbound.config["INBOUND_SUBADDRESS"] = False
    _invite()
    deliver_due_messages()
    [received] = smtp_server.messages
    [(mail_from, _rcpts)] = smtp_server.handler.envelopes
    assert received["Reply-To"].addresses[0].addr_spec == INBOUND
    assert str(_organizer(received)) == f"mailto:{INBOUND}"
    assert mail_from == INBOUND


def test_without_inbound_settings_mail_is_as_before(app, smtp_server):
    _invite()
    deliver_due_messages()
    [received] = smtp_server.messages
    [(mail_from, _rcpts)] = smtp_server.handler.envelopes
    assert received["Reply-To"] is None
    assert str(_organizer(received)) == "mailto:secretariat@coordapp.localhost"
    assert mail_from == "secretariat@coordapp.localhost"
