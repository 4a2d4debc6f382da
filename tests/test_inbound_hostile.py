"""Mail is hostile input: malformed MIME, absurd nesting, calendars that do not parse or
name 10,000 attendees, headers in windows-1251 / koi8-r or RFC 2047 words in any charset,
a reply for another meeting. Each is recorded with a reason (no 500, no exception out
of the batch), changes nobody's answer, and the batch goes on."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from coordapp.extensions import db
from coordapp.ics import meeting_uid
from coordapp.inbound import mailbox
from coordapp.inbound.parse import read
from coordapp.inbound.service import process_message
from coordapp.mail import addresses
from coordapp.models import InboundKind, InboundMessage, Invitation, InvitationStatus
from tests import inbound_mail as shaped
from tests.factories import make_contact, make_meeting
from tests.imap import DovecotServer

INBOUND = "meetings@network.example.org"
_uids = iter(range(1, 100_000))


@pytest.fixture
def inbound(app):
    app.config.update(INBOUND_ADDRESS=INBOUND, INBOUND_IMAP_URL="imap://u:p@127.0.0.1:1/INBOX")
    return app


@pytest.fixture
def invitation(inbound):
    meeting = make_meeting(title="Fourth extended meeting")
    invitation = Invitation(meeting=meeting, contact=make_contact(email="ana@example.org"))
    db.session.add(invitation)
    db.session.commit()
    return invitation


def _process(raw: bytes) -> InboundMessage:
    row = process_message("INBOX", 1, next(_uids), raw)
    assert row is not None
    return row


def _reply(invitation, **kwargs) -> str:
    return shaped.reply_ics(
        uid=kwargs.pop("uid", meeting_uid(invitation.meeting)),
        organizer=addresses.invitation_address(invitation.id),
        attendee="ana@example.org",
        **kwargs,
    )


def _nested(depth: int) -> bytes:
    head = "From: x@example.org\r\nTo: meetings@network.example.org\r\nSubject: deep\r\n"
    head += "MIME-Version: 1.0\r\n"
    parts, tail = [], []
    for level in range(depth):
        parts.append(f'Content-Type: multipart/mixed; boundary="b{level}"\r\n\r\n--b{level}\r\n')
        tail.append(f"\r\n--b{level}--\r\n")
    body = "".join(parts) + "Content-Type: text/plain\r\n\r\ndeep\r\n" + "".join(reversed(tail))
    return (head + body).encode()


def test_a_thousand_level_nested_multipart_is_held_with_a_reason(invitation):
    row = _process(_nested(1000))
    assert row.folder == "Needs attention" and row.kind == InboundKind.UNREADABLE
    assert row.reason


def test_malformed_mime_and_junk_do_not_raise(invitation):
    to = addresses.invitation_address(invitation.id)
    broken = (
        f"From: ana@example.org\r\nTo: {to}\r\nSubject: broken\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="never-closed"\r\n\r\n'
        "--never-closed\r\nContent-Type: text/calendar; method=REPLY\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!\r\n"
    ).encode()
    for raw in (broken, b"\x00\xff\xfe garbage", b"", b"Subject: =?utf-8?q?=ZZ?=\r\n\r\n"):
        row = _process(raw)
        assert row.kind in (InboundKind.UNREADABLE, InboundKind.PLAIN, InboundKind.AUTO_REPLY)
    db.session.expire_all()
    assert invitation.status == InvitationStatus.PENDING


def test_a_calendar_that_does_not_parse_is_held(invitation):
    to = addresses.invitation_address(invitation.id)
    junk = "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nDTSTART:yesterday\r\n"
    row = _process(shaped.outlook("ana@example.org", to, junk))
    assert row.folder == "Needs attention" and "calendar" in row.reason
    assert invitation.status == InvitationStatus.PENDING


def test_a_calendar_naming_ten_thousand_attendees_is_held(invitation):
    to = addresses.invitation_address(invitation.id)
    ics = _reply(invitation, extra_attendees=10_000)
    row = _process(shaped.gmail("ana@example.org", to, ics))
    assert row.folder == "Needs attention" and "attendees" in row.reason
    db.session.expire_all()
    assert invitation.status == InvitationStatus.PENDING


def test_a_reply_with_a_valid_token_but_another_meeting_s_uid_is_held(invitation):
    other = make_meeting(title="Another meeting")
    to = addresses.invitation_address(invitation.id)
    row = _process(
        shaped.outlook("ana@example.org", to, _reply(invitation, uid=meeting_uid(other)))
    )
    assert row.folder == "Needs attention" and "another meeting" in row.reason
    assert invitation.status == InvitationStatus.PENDING


@pytest.mark.parametrize("charset", ["windows-1251", "koi8-r"])
def test_raw_8bit_cyrillic_headers_are_read(invitation, charset):
    to = addresses.invitation_address(invitation.id)
    subject = "Ответ на приглашение: буду с коллегой"
    raw = (
        f"From: {'Министерство труда'} <mintrud@gov.example.by>\r\nTo: {to}\r\n"
        f"Subject: {subject}\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        "Приеду с коллегой из управления.\r\n"
    ).encode(charset)
    row = _process(raw)
    assert row.subject == subject
    assert row.from_name == "Министерство труда"
    assert row.text == "Приеду с коллегой из управления."
    assert row.kind == InboundKind.PLAIN and row.invitation_id == invitation.id


@pytest.mark.parametrize(
    "encoded,expected",
    [
        ("=?koi8-r?B?8NLJx8zB28XOycU=?=", "Приглашение"),
        ("=?windows-1251?Q?=CF=F0=E8=E3=EB=E0=F8=E5=ED=E8=E5?=", "Приглашение"),
        ("=?utf-8?B?0JDSntGC0LDQvNCw0YLRi9GH0L3RiyDQsNC00LrQsNC3?=", None),
        ("=?x-unknown?Q?abc?=", None),
        ("=?gb2312?B?xOO6ww==?=", "你好"),
    ],
)
def test_rfc2047_words_in_any_charset_are_decoded_or_kept(encoded, expected):
    mail = read(f"From: a@example.org\r\nSubject: {encoded}\r\n\r\nhi\r\n".encode())
    assert mail.problem is None
    if expected:
        assert mail.subject == expected
    else:
        assert mail.subject  # something readable, never an exception


@pytest.mark.commits
def test_a_batch_of_hostile_mail_does_not_stop_a_good_reply_behind_it(app):
    server = DovecotServer().start()
    try:
        box = server.for_user(f"h{uuid.uuid4().hex[:8]}")
        app.config.update(INBOUND_IMAP_URL=box.url, INBOUND_ADDRESS=INBOUND, INBOUND_BATCH=3)
        meeting = make_meeting(title="Fourth extended meeting")
        invitation = Invitation(meeting=meeting, contact=make_contact(email="ana@example.org"))
        db.session.add(invitation)
        db.session.commit()
        to = addresses.invitation_address(invitation.id)
        for raw in (
            _nested(1000),
            b"\x00\xff junk",
            shaped.outlook("ana@example.org", to, "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\n"),
            shaped.gmail("ana@example.org", to, _reply(invitation, extra_attendees=10_000)),
            shaped.outlook("ana@example.org", to, _reply(invitation, partstat="ACCEPTED")),
        ):
            box.append(raw)

        summary = mailbox.fetch()

        assert summary.processed == 5 and summary.needs_attention >= 3
        db.session.expire_all()
        assert db.session.get(Invitation, invitation.id).status == InvitationStatus.ACCEPTED
        assert box.count("INBOX") == 0
        assert db.session.scalar(sa.select(sa.func.count(InboundMessage.id))) == 5
    finally:
        server.stop()


@pytest.mark.commits
def test_two_workers_reading_at_once_process_each_message_exactly_once(app):
    import threading

    from coordapp.models import OutgoingMessage

    server = DovecotServer().start()
    try:
        box = server.for_user(f"w{uuid.uuid4().hex[:8]}")
        app.config.update(INBOUND_IMAP_URL=box.url, INBOUND_ADDRESS=INBOUND, INBOUND_BATCH=4)
        meeting = make_meeting(title="Fourth extended meeting")
        invitations = [
            Invitation(meeting=meeting, contact=make_contact(email=f"p{n}@example.org"))
            for n in range(24)
        ]
        db.session.add_all(invitations)
        db.session.commit()
        connection = box.connect()
        for invitation in invitations:
            to = addresses.invitation_address(invitation.id)
            ics = shaped.reply_ics(
                uid=meeting_uid(meeting),
                organizer=to,
                attendee=invitation.contact.email,
                partstat="ACCEPTED",
            )
            connection.append(
                "INBOX", None, None, shaped.thunderbird(invitation.contact.email, to, ics)
            )
        connection.logout()
        db.session.remove()

        errors = []

        def work():
            try:
                with app.app_context():
                    while mailbox.fetch().seen:
                        pass
                    db.session.remove()
            except Exception as error:  # noqa: BLE001
                errors.append(error)

        threads = [threading.Thread(target=work) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

        assert not errors, errors
        assert db.session.scalar(sa.select(sa.func.count(InboundMessage.id))) == 24
        confirmations = db.session.scalars(
            sa.select(OutgoingMessage.invitation_id).where(OutgoingMessage.writer == "confirmation")
        ).all()
        assert sorted(confirmations) == sorted(i.id for i in invitations)
        assert box.count("INBOX") == 0 and box.count("Processed") == 24
    finally:
        server.stop()
