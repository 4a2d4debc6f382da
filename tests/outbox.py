"""Queueing emails of a fixed content, for tests of the mail infrastructure itself.

Real emails are written by the features' writers; these tests need a message whose
subject and bodies they choose, so they install writers (one per category) that copy
them from the row's params, as the app installs the features' writers.
"""

from __future__ import annotations

from coordapp.mail import writers
from coordapp.mail.compose import Email
from coordapp.mail.queue import Recipient, queue
from coordapp.mail.writers import Writer, write
from coordapp.models import MessageKind, OutgoingMessage


def write_fixed(row: OutgoingMessage) -> Email:
    params = row.params or {}
    calendar = (params["ics_method"], params["ics"]) if params.get("ics") else None
    return Email(
        subject=params["subject"], text=params["text"], html=params.get("html"), calendar=calendar
    )


FIXED = {kind: Writer(f"test_fixed_{kind.value}", write_fixed, kind) for kind in MessageKind}
writers.install(FIXED.values())


def queue_email(
    *,
    kind: MessageKind,
    to_email: str,
    to_name: str | None,
    subject: str,
    text_body: str,
    html_body: str | None = None,
    ics: tuple[str, str] | None = None,
    meeting=None,
    invitation=None,
) -> OutgoingMessage:
    params = {"subject": subject, "text": text_body, "html": html_body}
    if ics:
        params.update(ics_method=ics[0], ics=ics[1])
    return queue(
        FIXED[kind],
        Recipient(
            email=to_email,
            name=to_name,
            meeting_id=meeting.id if meeting is not None else None,
            invitation_id=invitation.id if invitation is not None else None,
            params=params,
        ),
    )


def written(message: OutgoingMessage) -> OutgoingMessage:
    """`message` with its content written as the worker will write it before sending."""
    if message.text_body is None:
        for name, value in write(message).columns().items():
            setattr(message, name, value)
    return message
