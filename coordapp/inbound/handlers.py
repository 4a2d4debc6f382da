"""The inbound feature's own handlers, tried after every other feature's (a calendar
reply is the RSVP feature's: coordapp/rsvp/inbound.py):

- bounces: standard DSNs (RFC 3464) and the common non-standard ones (flufl.bounce,
  Mailman's detectors), matched to the outgoing message through its VERP envelope sender;
  a permanent failure marks the message bounced and the contact's address undeliverable,
  a temporary one is noted only;
- auto-replies (out of office…): a note on the invitation, never an answer;
- anything else: a person's reply, for the secretariat's Inbox.
"""

from __future__ import annotations

import re
from email.message import Message

import sqlalchemy as sa
from flufl.bounce import all_failures

from coordapp import audit
from coordapp.extensions import db
from coordapp.inbound.handling import Context, Outcome, looks_like_auto_reply
from coordapp.models import Contact, InboundKind, OutgoingMessage, utcnow

_STATUS = re.compile(r"\b([245])\.\d{1,3}\.\d{1,3}\b")
BOUNCE_SENDERS = ("mailer-daemon@", "postmaster@", "mail-daemon@")


def _delivery_status(message: Message) -> list[dict[str, str]]:
    """The per-recipient fields of a DSN's message/delivery-status part."""
    found = []
    for part in message.walk() if message.is_multipart() else []:
        if part.get_content_type() != "message/delivery-status":
            continue
        payload = part.get_payload()
        blocks = payload if isinstance(payload, list) else []
        for block in blocks[1:] if len(blocks) > 1 else blocks:
            fields = {k.lower(): " ".join(str(v).split()) for k, v in block.items()}
            if "action" in fields or "status" in fields:
                found.append(fields)
    return found


def _original_message_id(message: Message) -> str | None:
    for part in message.walk() if message.is_multipart() else []:
        if part.get_content_type() in ("message/rfc822", "text/rfc822-headers"):
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            if isinstance(inner, Message) and inner.get("message-id"):
                return str(inner["message-id"]).strip()
            if isinstance(payload, str):
                match = re.search(r"^message-id:\s*(<[^>]+>)", payload, re.I | re.M)
                if match:
                    return match.group(1)
    return None


def _classify_bounce(context: Context) -> tuple[bool, bool, str, set[str]] | None:
    """(is permanent, is temporary, diagnostic text, failed addresses) of a bounce, or
    None if the message is no bounce."""
    mail = context.mail
    message = mail.message
    permanent = temporary = False
    diagnostics: list[str] = []
    addresses: set[str] = set()
    for fields in _delivery_status(message):
        action = fields.get("action", "").lower()
        status = fields.get("status", "")
        code = _STATUS.search(status)
        recipient = fields.get("final-recipient") or fields.get("original-recipient") or ""
        addresses.add(recipient.rpartition(";")[2].strip().strip("<>").lower())
        if action == "failed" or (code and code.group(1) == "5"):
            permanent = True
        elif action == "delayed" or (code and code.group(1) == "4"):
            temporary = True
        diagnostics.append(fields.get("diagnostic-code") or status or action)
    if not (permanent or temporary):
        try:
            soft, hard = all_failures(message)
        except Exception:  # noqa: BLE001  (a detector tripping on odd input)
            soft, hard = frozenset(), frozenset()
        if hard:
            permanent = True
            addresses |= {a.decode("utf-8", "replace").lower() for a in hard}
        elif soft:
            temporary = True
            addresses |= {a.decode("utf-8", "replace").lower() for a in soft}
    sender = mail.from_address or ""
    from_daemon = sender.startswith(BOUNCE_SENDERS)
    if not (permanent or temporary):
        if context.outgoing is not None and from_daemon and not looks_like_auto_reply(mail):
            permanent = True  # a non-standard bounce we could not read, at a VERP address
        else:
            return None
    if not diagnostics:
        diagnostics.append(_first_lines(mail.text, 6) or mail.subject)
    return permanent, temporary, "; ".join(d for d in diagnostics if d)[:2000], addresses


def _first_lines(text: str, count: int) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return "\n".join(lines[:count])[:1000]


def _outgoing_of_bounce(context: Context) -> OutgoingMessage | None:
    if context.outgoing is not None:
        return context.outgoing
    original = _original_message_id(context.mail.message)
    if original:
        return db.session.scalar(
            sa.select(OutgoingMessage).where(OutgoingMessage.message_id == original)
        )
    return None


def handle_bounce(context: Context) -> Outcome | None:
    mail = context.mail
    if mail.message is None:
        return None
    if not (mail.is_report or context.outgoing is not None or _looks_like_bounce(context)):
        return None
    bounce = _classify_bounce(context)
    if bounce is None:
        return None
    permanent, _temporary, diagnostic, _addresses = bounce
    outgoing = _outgoing_of_bounce(context)
    if outgoing is None:
        return Outcome(
            InboundKind.BOUNCE if permanent else InboundKind.DELAY,
            needs_attention=True,
            reason=f"bounce for no message we sent: {diagnostic}"[:2000],
        )
    invitation = outgoing.invitation
    if not permanent:
        return Outcome(
            InboundKind.DELAY,
            invitation=invitation,
            outgoing_message_id=outgoing.id,
            reason=diagnostic,
        )
    mark_bounced(outgoing, diagnostic)
    return Outcome(
        InboundKind.BOUNCE,
        invitation=invitation,
        outgoing_message_id=outgoing.id,
        reason=diagnostic,
    )


def _looks_like_bounce(context: Context) -> bool:
    mail = context.mail
    subject = mail.subject.lower()
    return (mail.from_address or "").startswith(BOUNCE_SENDERS) or subject.startswith(
        ("undeliver", "delivery status notification", "returned mail", "mail delivery failed")
    )


def mark_bounced(outgoing: OutgoingMessage, diagnostic: str) -> None:
    """The message bounced; its recipient's address is undeliverable from now on (the
    first bounce's date is kept until the secretariat clears it)."""
    now = utcnow()
    if outgoing.bounced_at is None:
        outgoing.bounced_at = now
    outgoing.bounce_reason = diagnostic
    contact = db.session.scalar(
        sa.select(Contact).where(Contact.email == Contact.normalise_email(outgoing.to_email))
    )
    if contact is not None:
        if contact.undeliverable_since is None:
            contact.undeliverable_since = now
            audit.record(
                "inbound.undeliverable",
                contact,
                meeting_id=outgoing.meeting_id,
                note=diagnostic[:500],
            )
        contact.undeliverable_reason = diagnostic


def handle_auto_reply(context: Context) -> Outcome | None:
    if not looks_like_auto_reply(context.mail):
        return None
    invitation = context.invitation or (
        context.answered.invitation if context.answered is not None else None
    )
    if invitation is None and context.outgoing is not None:
        invitation = context.outgoing.invitation
    return Outcome(InboundKind.AUTO_REPLY, invitation=invitation, keep_text=True)


def handle_plain(context: Context) -> Outcome:
    invitation = context.invitation or (
        context.answered.invitation if context.answered is not None else None
    )
    if invitation is None and context.outgoing is not None:
        invitation = context.outgoing.invitation
    if invitation is None:
        return Outcome(
            InboundKind.PLAIN,
            keep_text=True,
            needs_attention=True,
            reason="matches no invitation",
        )
    return Outcome(InboundKind.PLAIN, invitation=invitation, keep_text=True)
