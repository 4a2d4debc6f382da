"""Putting an email in the outbox. Call inside the transaction of the change that
causes it; the worker writes and delivers it after commit (coordapp/mail/delivery.py).

A queued row holds the recipient, the name of the writer that will write it
(coordapp/mail/writers.py), the writer's category, and the ids and facts that writer
needs (`params`): never rendered text. So queuing a thousand updates is one INSERT.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from coordapp.database import rows_from_json, same_for_every_row
from coordapp.extensions import db
from coordapp.mail import writers
from coordapp.mail.tasks import deliver_outbox
from coordapp.models import MessageStatus, OutgoingMessage, utcnow

_PENDING_FLAG = "coordapp_outbox_has_new_messages"


@dataclass(frozen=True)
class Recipient:
    """One email to queue: whom to, and what the writer needs to write it."""

    email: str
    name: str | None = None
    meeting_id: int | None = None
    invitation_id: int | None = None
    params: dict[str, Any] = field(default_factory=dict)
    # A stored document to attach (its PDF), sent once the worker has rendered it.
    document_id: int | None = None


def _message_id_domain() -> str:
    return current_app.config["MAIL_DEFAULT_SENDER"].rpartition("@")[2].strip(">") or "coordapp"


def new_message_id(domain: str | None = None) -> str:
    return f"<{uuid.uuid4().hex}@{domain or _message_id_domain()}>"


def _check_writer(writer: writers.Writer) -> None:
    # The worker finds a row's writer by name: one that no feature lists would be lost.
    if not writers.is_installed(writer):
        raise ValueError(f"no email writer named {writer.name!r} is installed")


def queue(writer: writers.Writer, to: Recipient) -> OutgoingMessage:
    """Queue one email in the current transaction (nothing is written or sent yet)."""
    _check_writer(writer)
    message = OutgoingMessage(
        kind=writer.category,
        writer=writer.name,
        params=to.params or None,
        message_id=new_message_id(),
        to_email=to.email,
        to_name=to.name,
        meeting_id=to.meeting_id,
        invitation_id=to.invitation_id,
        document_id=to.document_id,
    )
    db.session.add(message)
    db.session.info[_PENDING_FLAG] = True
    return message


def queue_many(writer: writers.Writer, recipients: Iterable[Recipient]) -> int:
    """Queue one email per recipient in a single INSERT; returns how many.

    One statement with one parameter whatever the number of recipients (the rows travel
    as JSON, database.rows_from_json): 10,000 updates for a rescheduled meeting are queued
    in a fraction of a second on either database."""
    _check_writer(writer)
    domain = _message_id_domain()
    rows = [
        {
            "message_id": new_message_id(domain),
            "to_email": to.email,
            "to_name": to.name,
            "meeting_id": to.meeting_id,
            "invitation_id": to.invitation_id,
            "document_id": to.document_id,
            "params": to.params or None,
        }
        for to in recipients
    ]
    if not rows:
        return 0
    table = OutgoingMessage.__table__
    now = utcnow()
    same_for_all = {
        "kind": writer.category,
        "writer": writer.name,
        "status": MessageStatus.QUEUED,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
    varying = rows_from_json(rows, {name: table.c[name].type for name in rows[0]})
    select = varying.add_columns(*same_for_every_row(table, same_for_all))
    db.session.flush()  # the rows the messages point to must exist first
    db.session.execute(sa.insert(table).from_select([*rows[0], *same_for_all], select))
    db.session.info[_PENDING_FLAG] = True
    return len(rows)


def queue_select(
    writer: writers.Writer, recipients: sa.Select, params: dict[str, Any] | None = None
) -> int:
    """Queue one email per row of `recipients`, a SELECT of `to_email`, `to_name`,
    `meeting_id` and `invitation_id` (labelled so; each invitation at most once), with the
    same `params` for all, in one INSERT … SELECT: no row passes through Python (a
    reschedule tells 10,000 invitees). Returns how many.

    Message ids are `<batch.invitation id@domain>`: unique, as the batch part is random
    for each call."""
    _check_writer(writer)
    table = OutgoingMessage.__table__
    now = utcnow()
    batch = uuid.uuid4().hex
    recipients = recipients.subquery("recipients")
    message_id = (
        sa.literal(f"<{batch}.")
        + sa.cast(recipients.c.invitation_id, sa.String)
        + sa.literal(f"@{_message_id_domain()}>")
    )
    same_for_all = {
        "kind": writer.category,
        "writer": writer.name,
        "params": params or None,
        "status": MessageStatus.QUEUED,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
    varying = ["to_email", "to_name", "meeting_id", "invitation_id"]
    select = sa.select(
        message_id.label("message_id"),
        *(recipients.c[name] for name in varying),
        *same_for_every_row(table, same_for_all),
    )
    db.session.flush()  # the rows the messages point to must exist first
    result = db.session.execute(
        sa.insert(table)
        .from_select(["message_id", *varying, *same_for_all], select)
        # Drivers report an INSERT's row count only when asked (psycopg: -1 otherwise).
        .execution_options(preserve_rowcount=True)
    )
    if result.rowcount:
        db.session.info[_PENDING_FLAG] = True
    return result.rowcount


@event.listens_for(Session, "after_commit")
def _wake_the_worker(session: Session) -> None:
    """After a commit that queued mail, ask the worker to deliver now rather than at
    its next periodic sweep. The sweep still catches anything this misses."""
    if not session.info.pop(_PENDING_FLAG, False):
        return
    if not current_app.config.get("MAIL_DELIVER_AFTER_COMMIT", True):
        return
    deliver_outbox()


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back_mail(session: Session) -> None:
    session.info.pop(_PENDING_FLAG, None)
