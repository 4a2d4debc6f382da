"""Reading the app's mailbox on a real IMAP server (Dovecot on loopback): calendar replies
from each client family, bounces, auto-replies, forged and stale replies; each message
processed once and moved to `Processed` or `Needs attention`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from coordapp.extensions import db
from coordapp.ics import meeting_uid
from coordapp.inbound import mailbox
from coordapp.inbound.service import process_message
from coordapp.mail import addresses
from coordapp.models import (
    AuditEvent,
    Contact,
    InboundKind,
    InboundMessage,
    Invitation,
    InvitationStatus,
    MessageStatus,
    OutgoingMessage,
)
from tests import inbound_mail as shaped
from tests.factories import make_contact, make_meeting
from tests.imap import DovecotServer

INBOUND = "meetings@network.example.org"


@pytest.fixture(scope="module")
def dovecot():
    server = DovecotServer().start()
    yield server
    server.stop()


@pytest.fixture
def imap(app, dovecot):
    """An empty mailbox of its own, and the app reading it."""
    box = dovecot.for_user(f"m{uuid.uuid4().hex[:10]}")
    app.config.update(INBOUND_IMAP_URL=box.url, INBOUND_ADDRESS=INBOUND)
    return box


@pytest.fixture
def invitation(app):
    meeting = make_meeting(title="Fourth extended meeting")
    ana = make_contact(email="ana@example.org", name="Ana Alves")
    invitation = Invitation(meeting=meeting, contact=ana)
    db.session.add(invitation)
    db.session.commit()
    return invitation


def _reply(invitation, partstat="ACCEPTED", **kwargs) -> str:
    kwargs.setdefault("attendee", invitation.contact.email)
    return shaped.reply_ics(
        uid=meeting_uid(invitation.meeting),
        organizer=addresses.invitation_address(invitation.id),
        partstat=partstat,
        **kwargs,
    )


def _fetch() -> mailbox.FetchSummary:
    summary = mailbox.fetch()
    db.session.expire_all()
    return summary


def _rows() -> list[InboundMessage]:
    return list(db.session.scalars(sa.select(InboundMessage).order_by(InboundMessage.id)))


def test_outlook_accept_is_recorded_confirmed_as_auto_reply_and_moved(imap, invitation):
    to = addresses.invitation_address(invitation.id)
    imap.append(shaped.outlook("Ana Alves <ana@example.org>", to, _reply(invitation)))

    summary = _fetch()

    assert (summary.processed, summary.needs_attention) == (1, 0)
    assert invitation.status == InvitationStatus.ACCEPTED
    [row] = _rows()
    assert row.kind == InboundKind.REPLY and row.invitation_id == invitation.id
    assert imap.count("INBOX") == 0 and imap.count("Processed") == 1
    assert {"Processed", "Needs attention"} <= set(imap.folders())
    confirmation = db.session.scalar(
        sa.select(OutgoingMessage).where(OutgoingMessage.writer == "confirmation")
    )
    assert confirmation.params["auto_replied"] is True
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "invitations.answer")
    )
    assert event.note == "answered from their calendar"


def test_gmail_decline_with_a_comment_records_both(imap, invitation):
    to = addresses.invitation_address(invitation.id)
    ics = _reply(invitation, "DECLINED", comment="On mission that week, sorry")
    imap.append(shaped.gmail("ana@example.org", to, ics))

    _fetch()

    assert invitation.status == InvitationStatus.DECLINED
    assert invitation.comment == "On mission that week, sorry"


def test_apple_tentative_and_thunderbird_accept(imap, invitation):
    to = addresses.invitation_address(invitation.id)
    ics = _reply(invitation, "TENTATIVE", prodid="-//Apple Inc.//macOS 14.0//EN")
    imap.append(shaped.apple("ana@example.org", to, ics))
    _fetch()
    assert invitation.status == InvitationStatus.TENTATIVE

    later = datetime.now(UTC) + timedelta(minutes=5)
    ics = _reply(invitation, "ACCEPTED", dtstamp=later, prodid="-//Mozilla.org//Lightning//EN")
    imap.append(shaped.thunderbird("ana@example.org", to, ics))
    _fetch()
    assert invitation.status == InvitationStatus.ACCEPTED


def test_a_delegated_reply_hands_the_invitation_to_the_colleague(imap, invitation):
    to = addresses.invitation_address(invitation.id)
    ics = _reply(invitation, "DELEGATED", delegated_to=("bo@example.org", "Bo Berg"))
    imap.append(shaped.outlook("ana@example.org", to, ics))

    _fetch()

    assert invitation.status == InvitationStatus.DELEGATED
    substitute = invitation.substitute
    assert substitute.contact.email == "bo@example.org"
    assert substitute.contact.name == "Bo Berg"
    assert substitute.contact.organisation_id == invitation.contact.organisation_id


def test_a_forged_reply_with_the_right_uid_but_wrong_token_and_sender_changes_nothing(
    imap, invitation
):
    genuine = addresses.invitation_address(invitation.id)
    local, _, domain = genuine.partition("@")
    forged = f"{local[:-4]}aaaa@{domain}"
    ics = _reply(invitation, "DECLINED")
    imap.append(shaped.outlook("mallory@example.net", forged, ics))
    imap.append(shaped.outlook("mallory@example.net", INBOUND, ics))

    summary = _fetch()

    assert summary.needs_attention == 2
    assert invitation.status == InvitationStatus.PENDING
    assert all(row.reason == "calendar reply that matches no invitation" for row in _rows())
    assert imap.count("Needs attention") == 2


def test_a_reply_naming_another_attendee_is_held(imap, invitation):
    to = addresses.invitation_address(invitation.id)
    imap.append(
        shaped.outlook("ana@example.org", to, _reply(invitation, attendee="zed@example.org"))
    )
    _fetch()
    assert invitation.status == InvitationStatus.PENDING
    [row] = _rows()
    assert row.folder == "Needs attention" and "another attendee" in row.reason


def test_a_reply_older_than_the_recorded_answer_changes_nothing(imap, invitation):
    from coordapp.invitations.answers import record_answer

    record_answer(invitation, InvitationStatus.ACCEPTED)
    db.session.commit()
    to = addresses.invitation_address(invitation.id)
    old = datetime.now(UTC) - timedelta(days=1)
    imap.append(shaped.outlook("ana@example.org", to, _reply(invitation, "DECLINED", dtstamp=old)))

    _fetch()

    assert invitation.status == InvitationStatus.ACCEPTED
    assert _rows()[0].reason == "older than the recorded answer"


def test_a_reply_after_the_deadline_is_not_recorded_and_the_invitee_is_told(imap, invitation):
    invitation.meeting.rsvp_deadline = datetime.now(UTC) - timedelta(hours=1)
    db.session.commit()
    to = addresses.invitation_address(invitation.id)
    imap.append(shaped.outlook("ana@example.org", to, _reply(invitation)))

    _fetch()

    assert invitation.status == InvitationStatus.PENDING
    told = db.session.scalar(
        sa.select(OutgoingMessage).where(OutgoingMessage.writer == "answer_not_recorded")
    )
    assert told.params["reason"] == "deadline" and told.to_email == "ana@example.org"


def test_without_sub_addresses_a_reply_is_matched_by_uid_and_sender(app, imap, invitation):
    app.config["INBOUND_SUBADDRESS"] = False
    imap.append(shaped.outlook("ana@example.org", INBOUND, _reply(invitation, "TENTATIVE")))
    imap.append(shaped.outlook("mallory@example.net", INBOUND, _reply(invitation, "DECLINED")))

    summary = _fetch()

    assert invitation.status == InvitationStatus.TENTATIVE
    assert summary.needs_attention == 1


def test_a_permanent_bounce_flags_the_message_and_the_contact(imap, invitation, smtp_server):
    from coordapp.invitations.notifications import queue_invitation
    from coordapp.mail.delivery import deliver_due_messages

    row = queue_invitation(invitation)
    db.session.commit()
    row_id = row.id
    deliver_due_messages()
    [(mail_from, _rcpts)] = smtp_server.handler.envelopes
    imap.append(shaped.dsn(mail_from, "ana@example.org"))

    summary = _fetch()

    assert summary.kinds == {"bounce": 1}
    row = db.session.get(OutgoingMessage, row_id)
    assert row.status == MessageStatus.SENT and row.bounced_at is not None
    assert "User unknown" in row.bounce_reason
    contact = db.session.get(Contact, invitation.contact_id)
    assert contact.undeliverable_since is not None
    assert invitation.status == InvitationStatus.PENDING


def test_a_delay_notice_flags_nothing(imap, invitation):
    from coordapp.invitations.notifications import queue_invitation

    row = queue_invitation(invitation)
    db.session.commit()
    bounce_to = addresses.bounce_address(row.id)
    imap.append(shaped.dsn(bounce_to, "ana@example.org", action="delayed", status="4.4.1"))

    summary = _fetch()

    assert summary.kinds == {"delay": 1}
    assert db.session.get(Contact, invitation.contact_id).undeliverable_since is None


def test_an_auto_reply_is_a_note_never_an_answer(imap, invitation):
    to = addresses.invitation_address(invitation.id)
    imap.append(shaped.auto_reply("ana@example.org", to))
    imap.append(
        shaped.plain(
            "ana@example.org",
            to,
            "Я в отпуске до 10 марта.",
            subject="=?utf-8?b?0JDQstGC0L7QvNCw0YLQuNGH0LXRgdC60LjQuSDQvtGC0LLQtdGC?=",
        )
    )

    summary = _fetch()

    assert summary.kinds == {"auto_reply": 2}
    assert invitation.status == InvitationStatus.PENDING
    assert "out of the office" in _rows()[0].text
    assert not db.session.scalar(sa.select(sa.func.count(OutgoingMessage.id)))


def test_a_person_s_reply_is_kept_for_the_inbox_and_unmatched_mail_held(imap, invitation):
    to = addresses.invitation_address(invitation.id)
    imap.append(shaped.plain("ana@example.org", to, "I will attend with a colleague."))
    imap.append(shaped.plain("someone@example.net", INBOUND, "Who are you?"))

    _fetch()

    matched, unmatched = _rows()
    assert matched.kind == InboundKind.PLAIN and matched.invitation_id == invitation.id
    assert matched.text == "I will attend with a colleague."
    assert matched.folder == "Processed" and matched.handled_at is None
    assert unmatched.invitation_id is None and unmatched.folder == "Needs attention"


def test_counter_is_kept_for_the_secretariat_and_refresh_sends_the_invitation_again(
    imap, invitation
):
    to = addresses.invitation_address(invitation.id)
    start = invitation.meeting.starts_at + timedelta(days=1)
    counter = _reply(invitation, "TENTATIVE", method="COUNTER", proposed=(start, start))
    imap.append(shaped.outlook("ana@example.org", to, counter))
    refresh = _reply(invitation, "NEEDS-ACTION", method="REFRESH")
    imap.append(shaped.thunderbird("ana@example.org", to, refresh))

    _fetch()

    counter_row, refresh_row = _rows()
    assert counter_row.kind == InboundKind.COUNTER and counter_row.proposed_start == start
    assert refresh_row.kind == InboundKind.REFRESH
    assert invitation.status == InvitationStatus.PENDING
    assert db.session.scalar(
        sa.select(sa.func.count(OutgoingMessage.id)).where(OutgoingMessage.writer == "invitation")
    )


def test_a_message_seen_again_does_nothing_and_is_only_moved(app, imap, invitation):
    """A worker killed after recording a message but before moving it: the next run
    (once the grace for the worker that recorded it is over) moves it and records nothing
    again."""
    to = addresses.invitation_address(invitation.id)
    imap.append(shaped.outlook("ana@example.org", to, _reply(invitation)))
    connection = imap.connect()
    connection.select("INBOX")
    uidvalidity = int(connection.response("UIDVALIDITY")[1][0])
    _typ, data = connection.uid("FETCH", "1", "(BODY.PEEK[])")
    connection.logout()
    assert process_message("INBOX", uidvalidity, 1, data[0][1]) is not None
    assert process_message("INBOX", uidvalidity, 1, data[0][1]) is None

    summary = _fetch()  # within the grace: the recording worker may still move it
    assert (summary.processed, summary.skipped) == (0, 1)
    assert imap.count("INBOX") == 1 and imap.count("Processed") == 0

    app.config["INBOUND_MOVE_GRACE_SECONDS"] = 0
    summary = _fetch()

    assert (summary.processed, summary.skipped) == (0, 1)
    assert imap.count("INBOX") == 0 and imap.count("Processed") == 1
    assert (
        db.session.scalar(
            sa.select(sa.func.count(OutgoingMessage.id)).where(
                OutgoingMessage.writer == "confirmation"
            )
        )
        == 1
    )


def test_a_message_over_the_size_cap_goes_unread_to_needs_attention(app, imap, invitation):
    app.config["INBOUND_MAX_BYTES"] = 2000
    to = addresses.invitation_address(invitation.id)
    imap.append(shaped.plain("ana@example.org", to, "x" * 5000))

    summary = _fetch()

    assert summary.too_large == 1
    [row] = _rows()
    assert row.kind == InboundKind.UNREADABLE and "too large" in row.reason
    assert imap.count("Needs attention") == 1


def test_flask_inbound_fetch_prints_what_it_did(app, imap, invitation):
    to = addresses.invitation_address(invitation.id)
    imap.append(shaped.outlook("ana@example.org", to, _reply(invitation)))

    result = app.test_cli_runner().invoke(args=["inbound", "fetch"])

    assert result.exit_code == 0, result.output
    assert "processed=1" in result.output and "reply=1" in result.output


def test_flask_inbound_fetch_without_settings_says_so(app):
    result = app.test_cli_runner().invoke(args=["inbound", "fetch"])
    assert result.exit_code != 0
    assert "INBOUND_IMAP_URL" in result.output


def test_a_reply_for_a_cancelled_meeting_is_not_recorded_and_the_invitee_is_told(imap, invitation):
    from coordapp.models import MeetingStatus

    invitation.meeting.status = MeetingStatus.CANCELLED
    db.session.commit()
    to = addresses.invitation_address(invitation.id)
    imap.append(shaped.gmail("ana@example.org", to, _reply(invitation)))

    _fetch()

    assert invitation.status == InvitationStatus.PENDING
    told = db.session.scalar(
        sa.select(OutgoingMessage).where(OutgoingMessage.writer == "answer_not_recorded")
    )
    assert told.params["reason"] == "cancelled"


def test_an_automatic_calendar_reply_is_recorded_but_never_answered(imap, invitation):
    to = addresses.invitation_address(invitation.id)
    raw = shaped.outlook("ana@example.org", to, _reply(invitation, "TENTATIVE"))
    raw = raw.replace(
        b"MIME-Version: 1.0\r\n", b"MIME-Version: 1.0\r\nAuto-Submitted: auto-generated\r\n", 1
    )
    imap.append(raw)

    _fetch()

    assert invitation.status == InvitationStatus.TENTATIVE
    assert not db.session.scalar(sa.select(sa.func.count(OutgoingMessage.id)))


def test_the_confirmation_of_a_calendar_answer_says_auto_replied(imap, invitation, smtp_server):
    from coordapp.mail.delivery import deliver_due_messages

    to = addresses.invitation_address(invitation.id)
    imap.append(shaped.outlook("ana@example.org", to, _reply(invitation)))
    _fetch()

    deliver_due_messages()

    [confirmation] = smtp_server.to("ana@example.org")
    assert confirmation["Auto-Submitted"] == "auto-replied"
