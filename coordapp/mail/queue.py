"""Putting an email in the outbox. Call inside the transaction of the change that
causes it; the worker delivers it after commit (coordapp/mail/delivery.py)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from coordapp.extensions import db
from coordapp.models import (
    Invitation,
    Meeting,
    MessageKind,
    MessageStatus,
    OutgoingMessage,
    utcnow,
)

_PENDING_FLAG = "coordapp_outbox_has_new_messages"


def new_message_id() -> str:
    domain = current_app.config["MAIL_DEFAULT_SENDER"].rpartition("@")[2].strip(">") or "coordapp"
    return f"<{uuid.uuid4().hex}@{domain}>"


def queue_email(
    *,
    kind: MessageKind,
    to_email: str,
    to_name: str | None,
    subject: str,
    text_body: str,
    html_body: str | None = None,
    ics: tuple[str, str] | None = None,
    meeting: Meeting | None = None,
    invitation: Invitation | None = None,
) -> OutgoingMessage:
    """Add a message to the outbox in the current transaction (nothing is sent yet).

    `ics` is (METHOD, iCalendar text) for a calendar part, e.g. ("REQUEST", "...").
    """
    message = OutgoingMessage(
        kind=kind,
        message_id=new_message_id(),
        to_email=to_email,
        to_name=to_name,
        subject=subject,
        text_body=text_body,
        html_body=html_body,
        ics_method=ics[0] if ics else None,
        ics_body=ics[1] if ics else None,
        meeting=meeting,
        invitation=invitation,
    )
    db.session.add(message)
    db.session.info[_PENDING_FLAG] = True
    return message


def queue_composed_later(
    *, kind: MessageKind, compose_with: str, meeting: Meeting, invitations: list[Invitation]
) -> None:
    """Queue one message per invitation in a single INSERT; the worker composes each
    (subject, bodies, calendar) with `compose_with` just before sending it."""
    if not invitations:
        return
    db.session.execute(
        sa.insert(OutgoingMessage),
        [
            {
                "kind": kind,
                "compose_with": compose_with,
                "message_id": new_message_id(),
                "to_email": invitation.contact.email,
                "to_name": invitation.contact.name,
                "meeting_id": meeting.id,
                "invitation_id": invitation.id,
                "status": MessageStatus.QUEUED,
                "attempts": 0,
                "next_attempt_at": utcnow(),
                "created_at": utcnow(),
            }
            for invitation in invitations
        ],
    )
    db.session.info[_PENDING_FLAG] = True


@event.listens_for(Session, "after_commit")
def _wake_the_worker(session: Session) -> None:
    """After a commit that queued mail, ask the worker to deliver now rather than at
    its next periodic sweep. The sweep still catches anything this misses."""
    if not session.info.pop(_PENDING_FLAG, False):
        return
    if not current_app.config.get("MAIL_DELIVER_AFTER_COMMIT", True):
        return
    from coordapp.mail.tasks import deliver_outbox

    deliver_outbox()


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back_mail(session: Session) -> None:
    session.info.pop(_PENDING_FLAG, None)
