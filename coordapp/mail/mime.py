"""Turning an outbox row into the MIME message that goes over the wire.

Structure (the calendar parts only when the row carries iCalendar text):

    multipart/mixed
      multipart/alternative
        text/plain; charset=utf-8
        text/html; charset=utf-8
        text/calendar; charset=utf-8; method=REQUEST   (iMIP, RFC 6047)
      application/ics; name=invite.ics                 (attachment, for clients without iMIP)
      application/pdf; name=…                          (a stored document the row names)

Everything is 7-bit clean (quoted-printable / base64, RFC 2047 headers), so the message
passes any relay, with or without 8BITMIME.

Built with the email package's compat32 classes and written once to bytes: the
structured-header API (EmailMessage) costs about seven times as much per message, which
is most of the worker's time when a thousand invitations go out.
"""

from __future__ import annotations

import email.base64mime
import email.policy
import email.quoprimime
import uuid
from datetime import datetime
from email.generator import BytesGenerator
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.utils import format_datetime, formataddr, parseaddr
from io import BytesIO

import sqlalchemy as sa
from flask import current_app

from coordapp.extensions import db
from coordapp.mail import addresses
from coordapp.models import DocumentStatus, OutgoingMessage, StoredDocument, utcnow


class _SMTPPolicy(email.policy.Compat32):
    """compat32 with SMTP line endings, writing a header that needs neither folding nor
    encoding (plain ASCII on one short line: all but an email's subject and addresses)
    as it is. compat32 sends every header through email.header.Header to fold it, which
    was most of the time spent writing a message out; this is what that returns for such
    a header."""

    def _fold(self, name, value, sanitize):
        if (
            isinstance(value, str)
            and value.isascii()
            and len(name) + 2 + len(value) <= 78
            and value.isprintable()
            and "  " not in value
            and value == value.strip()
        ):
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)


POLICY = _SMTPPolicy(linesep="\r\n")


def _one_line(value: str | None) -> str:
    """Header text on one line: a stray newline must never start a new header."""
    return " ".join((value or "").split())


def _header(value: str) -> str | Header:
    """Plain ASCII as it is; anything else as RFC 2047 encoded words."""
    return value if value.isascii() else Header(value, "utf-8")


def _address(name: str | None, address: str) -> str:
    address = _one_line(address)
    if "@" not in address or any(ch in address for ch in '<>,;"() ') or not address.isascii():
        raise ValueError(f"not a usable email address: {address!r}")
    return formataddr((_one_line(name), address), charset="utf-8")


def _text_part(subtype: str, text: str, params: str = "") -> Message:
    """A text/`subtype` part, quoted-printable or base64, whichever is shorter
    (Cyrillic-heavy text is shorter in base64)."""
    data = text.replace("\r\n", "\n").encode("utf-8")
    quoted = email.quoprimime.body_encode(data.decode("latin-1"), maxlinelen=76)
    based = email.base64mime.body_encode(data, maxlinelen=76)
    part = Message()
    part["Content-Type"] = f"text/{subtype}; charset=utf-8{params}"
    if len(quoted) <= len(based):
        part["Content-Transfer-Encoding"] = "quoted-printable"
        part.set_payload(quoted)
    else:
        part["Content-Transfer-Encoding"] = "base64"
        part.set_payload(based)
    return part


def _boundary() -> str:
    """A multipart boundary that no part's text can contain: every part is base64 or
    quoted-printable, and "=_" is neither (quoted-printable follows "=" with two hex
    digits; "_" is not a base64 character). Left to itself, the email package makes a
    random one and checks the whole message's text against a regular expression
    compiled for it: a compile per multipart, a tenth of writing the message out."""
    return f"=_{uuid.uuid4().hex}"


def _attachment(data: bytes, content_type: str, filename: str) -> Message:
    part = Message()
    part["Content-Type"] = f'{content_type}; name="{filename}"'
    part["Content-Transfer-Encoding"] = "base64"
    part["Content-Disposition"] = f'attachment; filename="{filename}"'
    part.set_payload(email.base64mime.body_encode(data, maxlinelen=76))
    return part


def attachment_pending(msg: OutgoingMessage) -> bool:
    """The row's stored document is still being rendered: send it later, with it."""
    if msg.document_id is None:
        return False
    status = db.session.scalar(
        sa.select(StoredDocument.status).where(StoredDocument.id == msg.document_id)
    )
    return status is DocumentStatus.PENDING


def _stored_attachment(msg: OutgoingMessage) -> Message | None:
    """The stored document the row names (a letter's PDF), if it is ready."""
    if msg.document_id is None:
        return None
    document = db.session.get(StoredDocument, msg.document_id)
    if document is None or document.status is not DocumentStatus.READY or not document.data:
        return None
    return _attachment(document.data, document.content_type, document.filename)


def build_message(msg: OutgoingMessage, *, date: datetime | None = None) -> Message:
    """The email for outbox row `msg`. Raises ValueError if it cannot be built (e.g. a
    malformed address): retrying would not help."""
    body = _text_part("plain", msg.text_body or "")
    stored = _stored_attachment(msg)
    if msg.html_body or msg.ics_body or stored is not None:
        alternative = MIMEMultipart("alternative", boundary=_boundary())
        alternative.attach(body)
        if msg.html_body:
            alternative.attach(_text_part("html", msg.html_body))
        if msg.ics_body:
            method = (msg.ics_method or "PUBLISH").upper()
            # Unquoted method=…: some calendar clients do not recognise "REQUEST".
            alternative.attach(_text_part("calendar", msg.ics_body, f"; method={method}"))
        if msg.ics_body or stored is not None:
            message = MIMEMultipart("mixed", boundary=_boundary())
            message.attach(alternative)
            if msg.ics_body:
                calendar_file = msg.ics_body.encode("utf-8")
                message.attach(_attachment(calendar_file, "application/ics", "invite.ics"))
            if stored is not None:
                message.attach(stored)
        else:
            message = alternative
        for part in message.walk():
            if part is not message:
                del part["MIME-Version"]  # belongs on the top level only
    else:
        message = body
        message["MIME-Version"] = "1.0"
    sender_name, sender_address = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])
    message["From"] = _address(sender_name, sender_address)
    message["To"] = _address(msg.to_name, msg.to_email)
    message["Subject"] = _header(_one_line(msg.subject))
    message["Date"] = format_datetime(date or utcnow())
    # Fixed when queued: a retry carries the same id, so clients can drop a duplicate.
    message["Message-ID"] = msg.message_id
    message["Auto-Submitted"] = msg_auto_submitted(msg)
    reply_to = addresses.invitation_address(msg.invitation_id) if msg.invitation_id else None
    if reply_to:  # answers come back to the mailbox the app reads, to this invitation
        message["Reply-To"] = _address(sender_name, reply_to)
    return message


def msg_auto_submitted(msg: OutgoingMessage) -> str:
    """RFC 3834: "auto-replied" for an answer to a message (a confirmation of a reply
    sent from a calendar), "auto-generated" for everything else."""
    if (msg.params or {}).get("auto_replied"):
        return "auto-replied"
    return "auto-generated"


def as_bytes(message: Message) -> bytes:
    """The message as it goes over the wire: CRLF line endings, 7-bit."""
    out = BytesIO()
    BytesGenerator(out, mangle_from_=False, policy=POLICY).flatten(message)
    return out.getvalue()


def envelope_sender(msg: OutgoingMessage | None = None) -> str:
    """SMTP's MAIL FROM for `msg`: its own sub-address of INBOUND_ADDRESS (VERP: a
    bounce names the message and so the recipient), else MAIL_DEFAULT_SENDER's address."""
    if msg is not None and msg.id is not None:
        verp = addresses.bounce_address(msg.id)
        if verp:
            return verp
    return parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]
