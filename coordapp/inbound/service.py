"""Processing one message from the mailbox, exactly once.

    process_message(mailbox, uidvalidity, uid, raw) -> InboundMessage | None
    record_oversized(mailbox, uidvalidity, uid, size) -> InboundMessage | None
    already_processed(mailbox, uidvalidity, uids) -> {uid: folder}

The message's identity on the server (mailbox, UIDVALIDITY, UID) is inserted first, in
the transaction that then does what the message says, and committed with it: a second
worker that read the same message waits for that row (PostgreSQL's unique index; the
write lock on SQLite), then finds it taken and does nothing. A worker killed after the
commit but before moving the message leaves it in the mailbox; the next run finds it
recorded and only moves it.

A handler that fails (any exception) or holds the message for the secretariat changes
nothing: the transaction is rolled back, and the message recorded (again first) as
needing attention with the reason.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from coordapp import feature
from coordapp.extensions import db
from coordapp.inbound.handlers import handle_bounce, handle_plain
from coordapp.inbound.handling import Context, Outcome
from coordapp.inbound.parse import Mail, read
from coordapp.mail import addresses
from coordapp.models import (
    InboundFolder,
    InboundKind,
    InboundMessage,
    Invitation,
    OutgoingMessage,
    utcnow,
)

log = logging.getLogger(__name__)


def already_processed(
    mailbox: str, uidvalidity: int, uids: list[int]
) -> dict[int, tuple[str, bool]]:
    """Of `uids`, those already recorded: {uid: (folder, left behind)}. "Left behind":
    recorded more than INBOUND_MOVE_GRACE_SECONDS ago yet still in the mailbox, so the
    worker that recorded it died before moving it; a fresher one is being moved by the
    worker that just recorded it (two moves of one message could copy it twice)."""
    if not uids:
        return {}
    grace = timedelta(seconds=current_app.config.get("INBOUND_MOVE_GRACE_SECONDS", 120))
    cutoff = utcnow() - grace
    rows = db.session.execute(
        sa.select(InboundMessage.uid, InboundMessage.folder, InboundMessage.received_at).where(
            InboundMessage.mailbox == mailbox,
            InboundMessage.uidvalidity == uidvalidity,
            InboundMessage.uid.in_(uids),
        )
    )
    return {uid: (folder, received_at <= cutoff) for uid, folder, received_at in rows}


def _context(mail: Mail) -> Context:
    context = Context(mail=mail)
    for address in mail.recipients:
        found = addresses.parse(address)
        if found is None:
            continue
        if found.kind == addresses.INVITATION and context.invitation is None:
            # With what every handler reads of it: one query.
            context.invitation = db.session.scalar(
                sa.select(Invitation)
                .where(Invitation.id == found.id)
                .options(joinedload(Invitation.contact), joinedload(Invitation.meeting))
            )
        elif found.kind == addresses.MESSAGE and context.outgoing is None:
            context.outgoing = db.session.get(OutgoingMessage, found.id)
    if mail.answers_to and context.invitation is None and context.outgoing is None:
        context.answered = db.session.scalar(
            sa.select(OutgoingMessage)
            .where(OutgoingMessage.message_id.in_(mail.answers_to[-20:]))
            .order_by(OutgoingMessage.id.desc())
            .limit(1)
        )
    return context


def _dispatch(context: Context) -> Outcome:
    """Bounces first (they are about our own mail, whatever they quote), then each
    feature's handlers in the features' order (the calendar replies of coordapp/rsvp,
    then the auto-replies of this feature), else a person's reply."""
    handlers = [handle_bounce, *feature.inbound_handlers()]
    for handler in handlers:
        outcome = handler(context)
        if outcome is not None:
            return outcome
    return handle_plain(context)


def _new_row(mailbox: str, uidvalidity: int, uid: int) -> InboundMessage | None:
    """Insert the message's identity; None if another worker recorded it first."""
    row = InboundMessage(
        mailbox=mailbox,
        uidvalidity=uidvalidity,
        uid=uid,
        kind=InboundKind.UNREADABLE,
        folder=InboundFolder.NEEDS_ATTENTION.value,
        received_at=utcnow(),
    )
    # The transaction's first statement: on a duplicate, rolling it all back loses nothing.
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return None
    return row


def process_message(mailbox: str, uidvalidity: int, uid: int, raw: bytes) -> InboundMessage | None:
    """Do what the message says and record it, in one transaction (committed here).
    None if it had been processed already."""
    row = _new_row(mailbox, uidvalidity, uid)
    if row is None:
        return None
    mail = read(raw)
    if mail.problem is not None:
        outcome = Outcome(InboundKind.UNREADABLE, needs_attention=True, reason=mail.problem)
    else:
        outcome = _run_handlers(mail)
    if outcome.needs_attention:
        # Held for the secretariat (or a handler failed): nothing it did stays. Rolling
        # back the whole transaction costs less than a savepoint around every message.
        invitation = outcome.invitation
        outcome.invitation_id = invitation.id if invitation is not None else None
        outcome.invitation = None
        db.session.rollback()
        row = _new_row(mailbox, uidvalidity, uid)
        if row is None:
            return None
    _describe(row, mail)
    _apply(row, mail, outcome)
    db.session.commit()
    return row


def _run_handlers(mail: Mail) -> Outcome:
    try:
        return _dispatch(_context(mail))
    except Exception as error:  # noqa: BLE001  (hostile input must not stop the batch)
        log.warning("inbound message could not be handled", exc_info=True)
        return Outcome(
            InboundKind.UNREADABLE,
            needs_attention=True,
            reason=f"could not be handled: {type(error).__name__}: {str(error)[:300]}",
        )


def _describe(row: InboundMessage, mail: Mail) -> None:
    row.message_id = mail.message_id
    row.from_address = mail.from_address
    row.from_name = mail.from_name
    row.subject = mail.subject[:500] or None


def _apply(row: InboundMessage, mail: Mail, outcome: Outcome) -> None:
    row.kind = outcome.kind
    row.folder = (
        InboundFolder.NEEDS_ATTENTION if outcome.needs_attention else InboundFolder.PROCESSED
    ).value
    row.reason = outcome.reason
    invitation = outcome.invitation
    if invitation is not None and invitation.id is not None:
        row.invitation_id = invitation.id
        row.meeting_id = invitation.meeting_id
    elif outcome.invitation_id is not None:
        row.invitation_id = outcome.invitation_id
        row.meeting_id = db.session.scalar(
            sa.select(Invitation.meeting_id).where(Invitation.id == outcome.invitation_id)
        )
    row.outgoing_message_id = outcome.outgoing_message_id
    row.proposed_start = outcome.proposed_start
    row.proposed_end = outcome.proposed_end
    if outcome.keep_text or outcome.needs_attention:
        row.text = mail.text or None
        row.attachments = [
            {"name": a.name, "type": a.content_type, "size": a.size} for a in mail.attachments
        ] or None
    if not outcome.needs_attention and outcome.kind not in (InboundKind.PLAIN,):
        row.handled_at = utcnow()  # nothing for the secretariat to do


def record_oversized(mailbox: str, uidvalidity: int, uid: int, size: int) -> InboundMessage | None:
    """A message over INBOUND_MAX_BYTES: recorded unread, for the secretariat."""
    row = _new_row(mailbox, uidvalidity, uid)
    if row is None:
        return None
    limit = current_app.config["INBOUND_MAX_BYTES"]
    row.reason = f"too large to read ({size} bytes; the limit is {limit})"
    db.session.commit()
    return row


def purge_old_messages(now=None) -> int:
    """Delete stored messages older than INBOUND_RETENTION_DAYS (personal data)."""
    cutoff = (now or utcnow()) - timedelta(days=current_app.config["INBOUND_RETENTION_DAYS"])
    result = db.session.execute(
        sa.delete(InboundMessage)
        .where(InboundMessage.received_at < cutoff)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount or 0
