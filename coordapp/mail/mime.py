"""Turning an outbox row into the MIME message that goes over the wire.

Structure (the calendar parts only when the row carries iCalendar text):

    multipart/mixed
      multipart/alternative
        text/plain; charset=utf-8
        text/html; charset=utf-8
        text/calendar; charset=utf-8; method=REQUEST   (iMIP, RFC 6047)
      application/ics; name=invite.ics                 (attachment, for clients without iMIP)

Everything is 7-bit clean (quoted-printable / base64, RFC 2047 headers), so the message
passes any relay, with or without 8BITMIME.
"""

from __future__ import annotations

import email.policy
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from flask import current_app

from coordapp.models import OutgoingMessage, utcnow

# SMTP line endings; bodies transfer-encoded rather than sent as raw 8-bit.
POLICY = email.policy.SMTP.clone(cte_type="7bit")


def _one_line(value: str | None) -> str:
    """Header text on one line: a stray newline must never start a new header."""
    return " ".join((value or "").split())


def recipient(msg: OutgoingMessage) -> Address:
    return Address(display_name=_one_line(msg.to_name), addr_spec=msg.to_email.strip())


def build_message(msg: OutgoingMessage, *, date: datetime | None = None) -> EmailMessage:
    """The email for outbox row `msg`. Raises ValueError if it cannot be built (e.g. a
    malformed address): retrying would not help."""
    message = EmailMessage(policy=POLICY)
    try:
        message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
        message["To"] = recipient(msg)
        message["Subject"] = _one_line(msg.subject)
    except (IndexError, TypeError, ValueError) as error:  # headerregistry's parse errors
        raise ValueError(f"cannot build the message headers: {error}") from error
    message["Date"] = format_datetime(date or utcnow())
    # Fixed when queued: a retry carries the same id, so clients can drop a duplicate.
    message["Message-ID"] = msg.message_id
    message["Auto-Submitted"] = "auto-generated"

    message.set_content(msg.text_body, charset="utf-8")
    if msg.html_body:
        message.add_alternative(msg.html_body, subtype="html", charset="utf-8")
    if msg.ics_body:
        method = (msg.ics_method or "PUBLISH").upper()
        message.add_alternative(msg.ics_body, subtype="calendar", charset="utf-8")
        calendar = message.get_payload()[-1] if message.is_multipart() else message
        # Stored as written (set_raw): the email package would quote method="REQUEST",
        # which some calendar clients do not recognise.
        del calendar["Content-Type"]
        calendar.set_raw("Content-Type", f"text/calendar; charset=utf-8; method={method}")
        message.add_attachment(
            msg.ics_body.encode("utf-8"),
            maintype="application",
            subtype="ics",
            filename="invite.ics",
            params={"name": "invite.ics"},
        )
    for part in message.walk():
        if part is not message:
            del part["MIME-Version"]  # belongs on the top level only
    return message


def envelope_sender() -> str:
    """The bare address of MAIL_DEFAULT_SENDER, for SMTP's MAIL FROM."""
    return parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]
