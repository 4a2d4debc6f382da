"""What a handler of incoming email gets and gives back (coordapp/feature.py's
`inbound_handlers`): a `Context` with the mail and what its address names, and an
`Outcome` saying what the message was and what was done."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from coordapp.inbound.parse import Mail
from coordapp.models import InboundKind, Invitation, OutgoingMessage


@dataclass
class Context:
    mail: Mail
    # The invitation whose sub-address the mail was sent to (the token checked), if any.
    invitation: Invitation | None = None
    # The outgoing message whose envelope sender (VERP) the mail was sent to, if any.
    outgoing: OutgoingMessage | None = None
    # The outgoing message it answers (In-Reply-To / References), if any.
    answered: OutgoingMessage | None = None

    @property
    def is_automatic(self) -> bool:
        """Sent by a program (RFC 3834 and the common non-standard marks)."""
        return is_automatic(self.mail)


@dataclass
class Outcome:
    kind: InboundKind
    # Held for the secretariat ("Needs attention" folder), with the reason; else done.
    needs_attention: bool = False
    reason: str | None = None
    invitation: Invitation | None = None
    invitation_id: int | None = None  # when the invitation itself is not at hand
    outgoing_message_id: int | None = None
    keep_text: bool = False
    proposed_start: datetime | None = None
    proposed_end: datetime | None = None


AUTO_REPLY_SUBJECTS = (
    "automatic reply",
    "auto reply",
    "autoreply",
    "auto-reply",
    "auto:",
    "out of office",
    "out of the office",
    "абвестка аб адсутнасці",
    "автоматический ответ",
    "автоответ",
    "аўтаматычны адказ",
    "нет на месте",
)


def is_automatic(mail: Mail) -> bool:
    auto_submitted = mail.header("auto-submitted")
    if auto_submitted and auto_submitted != "no":
        return True
    if mail.header("x-autoreply") or mail.header("x-autorespond"):
        return True
    if mail.header("precedence") in ("auto_reply", "bulk", "junk", "list"):
        return True
    return False


def looks_like_auto_reply(mail: Mail) -> bool:
    subject = mail.subject.lower()
    return is_automatic(mail) or any(subject.startswith(s) for s in AUTO_REPLY_SUBJECTS)
