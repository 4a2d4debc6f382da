"""Composing queued messages that were written without their text (`compose_with`).

The worker calls `compose(row)` right before sending; the content is stored on the row
so the outgoing-mail page and any retry show exactly what was sent.
"""

from __future__ import annotations

from coordapp.extensions import db
from coordapp.models import Invitation, OutgoingMessage


class CannotCompose(ValueError):
    """The message cannot be written any more (e.g. its invitation is gone)."""


def _invitation(row: OutgoingMessage) -> Invitation:
    invitation = db.session.get(Invitation, row.invitation_id) if row.invitation_id else None
    if invitation is None:
        raise CannotCompose("the invitation of this message no longer exists")
    return invitation


def compose(row: OutgoingMessage) -> dict:
    """The content columns for `row`: subject, text_body, html_body, ics_method, ics_body."""
    if row.compose_with == "invitation":
        from coordapp.invitations.service import invitation_email_content

        return invitation_email_content(_invitation(row))
    raise CannotCompose(f"unknown composer {row.compose_with!r}")
