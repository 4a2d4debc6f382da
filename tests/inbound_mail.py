"""Emails shaped as mail clients and servers really send them, for the inbound tests.

Written from RFC 5546 (iTIP), RFC 6047 (iMIP), RFC 3464 (DSN), RFC 3834 (auto-replies)
and the clients' documented formats:

- Outlook: multipart/alternative: text/plain, text/html, then text/calendar;
  method=REPLY in base64 (Outlook's "Accepted: …" replies carry no attachment);
- Gmail (Google Calendar): multipart/mixed: multipart/alternative (text/plain,
  text/html, text/calendar; method=REPLY) and the same as an application/ics
  attachment "invite.ics";
- Apple Calendar: only an .ics attachment (text/calendar; method=REPLY, name=iCal-….ics);
- Thunderbird (Lightning): multipart/mixed: text/plain, text/calendar; method=REPLY
  inline, and an application/ics attachment "invite.ics".
"""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime
from email.utils import format_datetime


def _stamp(moment: datetime | None) -> str:
    return (moment or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def reply_ics(
    *,
    uid: str,
    organizer: str,
    attendee: str,
    partstat: str = "ACCEPTED",
    name: str = "Ana Alves",
    sequence: int = 0,
    dtstamp: datetime | None = None,
    comment: str | None = None,
    delegated_to: tuple[str, str] | None = None,
    method: str = "REPLY",
    proposed: tuple[datetime, datetime] | None = None,
    prodid: str = "-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN",
    extra_attendees: int = 0,
) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        f"PRODID:{prodid}",
        "VERSION:2.0",
        f"METHOD:{method}",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"SEQUENCE:{sequence}",
        f"DTSTAMP:{_stamp(dtstamp)}",
        f"ORGANIZER;CN=Secretariat:mailto:{organizer}",
    ]
    params = f"PARTSTAT={partstat};CN={name}"
    if delegated_to:
        params += f';DELEGATED-TO="mailto:{delegated_to[0]}"'
    lines.append(f"ATTENDEE;{params}:mailto:{attendee}")
    if delegated_to:
        lines.append(
            f'ATTENDEE;PARTSTAT=NEEDS-ACTION;CN={delegated_to[1]};DELEGATED-FROM="mailto:'
            f'{attendee}":mailto:{delegated_to[0]}'
        )
    for n in range(extra_attendees):
        lines.append(f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:person{n}@example.org")
    if comment:
        lines.append("COMMENT:" + comment.replace(",", "\\,").replace(";", "\\;"))
    if proposed:
        lines.append(f"DTSTART:{_stamp(proposed[0])}")
        lines.append(f"DTEND:{_stamp(proposed[1])}")
    lines += ["END:VEVENT", "END:VCALENDAR", ""]
    return "\r\n".join(lines)


def _b64(text: str) -> str:
    return base64.encodebytes(text.encode("utf-8")).decode("ascii")


def _headers(sender: str, to: str, subject: str, extra: dict[str, str] | None = None) -> str:
    lines = [
        f"From: {sender}",
        f"To: {to}",
        f"Subject: {subject}",
        f"Date: {format_datetime(datetime.now(UTC))}",
        f"Message-ID: <{uuid.uuid4().hex}@client.example.org>",
        "MIME-Version: 1.0",
    ]
    for key, value in (extra or {}).items():
        lines.append(f"{key}: {value}")
    return "\r\n".join(lines) + "\r\n"


def outlook(sender: str, to: str, ics: str, subject: str = "Accepted: Fourth extended meeting"):
    boundary = "_000_outlook_alt_"
    body = (
        _headers(sender, to, subject, {"Thread-Topic": subject})
        + f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'
        + f'--{boundary}\r\nContent-Type: text/plain; charset="us-ascii"\r\n\r\n\r\n'
        + f'--{boundary}\r\nContent-Type: text/html; charset="us-ascii"\r\n\r\n'
        "<html><body></body></html>\r\n"
        + f'--{boundary}\r\nContent-Type: text/calendar; charset="utf-8"; method=REPLY\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n" + _b64(ics) + f"--{boundary}--\r\n"
    )
    return body.encode()


def gmail(sender: str, to: str, ics: str, subject: str = "Declined: Fourth extended meeting"):
    mixed, alt = "000000000000mixed", "000000000000alt"
    body = (
        _headers(sender, to, subject)
        + f'Content-Type: multipart/mixed; boundary="{mixed}"\r\n\r\n'
        + f"--{mixed}\r\n"
        + f'Content-Type: multipart/alternative; boundary="{alt}"\r\n\r\n'
        + f'--{alt}\r\nContent-Type: text/plain; charset="UTF-8"\r\n\r\n'
        "Ana Alves has declined this invitation.\r\n\r\n"
        + f'--{alt}\r\nContent-Type: text/html; charset="UTF-8"\r\n\r\n'
        "<p>Ana Alves has declined this invitation.</p>\r\n\r\n"
        + f'--{alt}\r\nContent-Type: text/calendar; charset="UTF-8"; method=REPLY\r\n'
        "Content-Transfer-Encoding: 7bit\r\n\r\n"
        + ics
        + f"\r\n--{alt}--\r\n"
        + f'--{mixed}\r\nContent-Type: application/ics; name="invite.ics"\r\n'
        'Content-Disposition: attachment; filename="invite.ics"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n" + _b64(ics) + f"--{mixed}--\r\n"
    )
    return body.encode()


def apple(sender: str, to: str, ics: str, subject: str = "Invitation: Fourth extended meeting"):
    boundary = "Apple-Mail=_1"
    body = (
        _headers(sender, to, subject)
        + f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
        + f"--{boundary}\r\n"
        'Content-Type: text/calendar; charset=utf-8; method=REPLY; name="iCal-20270304.ics"\r\n'
        'Content-Disposition: attachment; filename="iCal-20270304.ics"\r\n'
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n" + ics + f"\r\n--{boundary}--\r\n"
    )
    return body.encode()


def thunderbird(sender: str, to: str, ics: str, subject: str = "Accepted: Fourth extended"):
    boundary = "------------tb"
    body = (
        _headers(sender, to, subject, {"User-Agent": "Mozilla Thunderbird"})
        + f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
        + f"--{boundary}\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n"
        "Ana Alves has accepted your event invitation.\r\n"
        + f"--{boundary}\r\nContent-Type: text/calendar; charset=UTF-8; method=REPLY\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n" + ics + f"\r\n--{boundary}\r\n"
        'Content-Type: application/ics; name="invite.ics"\r\n'
        'Content-Disposition: attachment; filename="invite.ics"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n" + _b64(ics) + f"--{boundary}--\r\n"
    )
    return body.encode()


def dsn(
    to: str,
    failed: str,
    *,
    action: str = "failed",
    status: str = "5.1.1",
    diagnostic: str = "smtp; 550 5.1.1 <{failed}>: Recipient address rejected: User unknown",
    original_message_id: str | None = None,
) -> bytes:
    """An RFC 3464 delivery status notification, as Postfix writes one."""
    boundary = "dsn-boundary"
    original = (
        f"Message-ID: {original_message_id}\r\n" if original_message_id else ""
    ) + "Subject: Invitation\r\n"
    body = (
        _headers("MAILER-DAEMON@mx.example.org (Mail Delivery System)", to, "Undelivered Mail")
        + "Auto-Submitted: auto-replied\r\n"
        + f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"'
        "\r\n\r\n" + f"--{boundary}\r\nContent-Type: text/plain\r\n\r\n"
        "I'm sorry to have to inform you that your message could not be delivered.\r\n\r\n"
        + f"--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.org\r\n\r\n"
        f"Final-Recipient: rfc822; {failed}\r\n"
        f"Action: {action}\r\n"
        f"Status: {status}\r\n"
        f"Diagnostic-Code: {diagnostic.format(failed=failed)}\r\n\r\n"
        + f"--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        + original
        + f"\r\n--{boundary}--\r\n"
    )
    return body.encode()


def auto_reply(sender: str, to: str, *, subject: str = "Automatic reply: Invitation", **headers):
    extra = {"Auto-Submitted": "auto-replied", **headers}
    body = (
        _headers(sender, to, subject, extra) + "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "I am out of the office until 10 March with limited access to email.\r\n"
        "For urgent matters please contact my colleague.\r\n"
    )
    return body.encode()


def plain(sender: str, to: str, text: str, *, subject: str = "Re: Invitation", **headers):
    body = (
        _headers(sender, to, subject, headers)
        + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + _b64(text)
    )
    return body.encode()
