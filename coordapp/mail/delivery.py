"""Delivering the outbox: claim due messages, write each, send it, record the outcome.

A run claims up to CLAIM_BATCH due messages with one conditional UPDATE that is
committed before sending (each row gets the run's claim token); the writer each names
writes it (coordapp/mail/writers.py), all in one read transaction for the batch; then
each is sent, and its outcome, with the text that was sent, is committed right after
the server answered (one commit per message: see `_send_one`). So:

- two workers never send the same message: only one UPDATE can move a row from QUEUED
  to SENDING (on PostgreSQL the second one waits for the row lock, then finds it taken);
- the claim is a job lease (coordapp/jobs.py): while the run sends, a heartbeat renews
  it every few seconds; a worker killed mid-batch stops renewing, and once the claim is
  older than JOB_LEASE_SECONDS the sweep queues a run that takes the messages over. At
  most the one being sent at the kill may reach its recipient twice (SMTP cannot be
  exactly-once: the server's 250 and our commit are two steps), with the same
  Message-ID; none is lost.

Temporary problems (server down, timeouts, disconnects, 4xx replies) put the message
back in the queue with an exponential delay; a 5xx reply fails it at once with the
server's reason. When the server cannot be reached the batch stops: the next run (the
periodic sweep runs every minute) tries again.

Backends: SMTP when MAIL_SERVER is set, else one `.eml` file per message in MAIL_FILE_DIR.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from coordapp.extensions import db
from coordapp.jobs import Heartbeat, lease_seconds
from coordapp.mail.mime import as_bytes, attachment_pending, build_message, envelope_sender
from coordapp.mail.writers import CannotWrite, prefetch, write, writer_of
from coordapp.models import MessageStatus, OutgoingMessage, utcnow

log = logging.getLogger(__name__)

FIRST_RETRY_DELAY = timedelta(seconds=30)
MAX_RETRY_DELAY = timedelta(hours=1)
# SQLite allows one writer at a time: how often to retry a write that found it locked.
LOCKED_RETRIES = 20
# Messages claimed in one UPDATE: fewer commits per message.
CLAIM_BATCH = 50


class DeliveryError(Exception):
    """Sending one message failed. `permanent`: retrying will not help (5xx reply).
    `server_down`: the server (or mail directory) is unusable, stop the batch."""

    def __init__(self, reason: str, *, permanent: bool = False, server_down: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.server_down = server_down


def retry_delay(attempts: int) -> timedelta:
    """30 s after the first failed attempt, doubling each time, at most an hour."""
    return min(FIRST_RETRY_DELAY * 2 ** max(attempts - 1, 0), MAX_RETRY_DELAY)


# --- backends ------------------------------------------------------------------------------


class FileBackend:
    """Writes `<id>-<kind>.eml` into a directory (`make run` without a mail server)."""

    def __init__(self, directory: str) -> None:
        self.directory = Path(directory)

    def send(self, row: OutgoingMessage, message: bytes) -> None:
        path = self.directory / f"{row.id}-{row.kind.value}.eml"
        partial = path.with_name(path.name + ".part")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            partial.write_bytes(message)
            os.replace(partial, path)  # readers never see half a file
        except OSError as error:
            raise DeliveryError(f"cannot write {path}: {error}", server_down=True) from error

    def close(self) -> None:
        pass


def _reply_text(code: int, reply: bytes | str) -> str:
    if isinstance(reply, bytes):
        reply = reply.decode("utf-8", "replace")
    return f"{code} {reply}".strip()


def _classify(error: Exception) -> DeliveryError:
    """What an smtplib / socket error means for the message and for the batch."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, reply = next(iter(error.recipients.values()))
        return DeliveryError(_reply_text(code, reply), permanent=code >= 500)
    if isinstance(
        error,
        smtplib.SMTPConnectError
        | smtplib.SMTPHeloError
        | smtplib.SMTPAuthenticationError
        | smtplib.SMTPSenderRefused,
    ):
        # Our side or the server's, not this recipient's: every message would fail alike.
        return DeliveryError(_reply_text(error.smtp_code, error.smtp_error), server_down=True)
    if isinstance(error, smtplib.SMTPResponseException):
        if error.smtp_code == 421:  # "service not available, closing channel"
            return DeliveryError(_reply_text(421, error.smtp_error), server_down=True)
        return DeliveryError(
            _reply_text(error.smtp_code, error.smtp_error), permanent=error.smtp_code >= 500
        )
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return DeliveryError(f"server disconnected: {error}", server_down=True)
    if isinstance(error, TimeoutError):
        return DeliveryError("timed out talking to the mail server", server_down=True)
    if isinstance(error, OSError):
        return DeliveryError(f"cannot reach the mail server: {error}", server_down=True)
    return DeliveryError(f"{type(error).__name__}: {error}", server_down=True)


class SMTPBackend:
    """One SMTP connection for the whole batch, opened on first use."""

    def __init__(self, config) -> None:
        self.config = config
        self.server = _server_of(config)
        self.idle_since = time.monotonic()
        self._connection: smtplib.SMTP | None = None
        self._used = False  # has the open connection already carried a message?

    @property
    def connected(self) -> bool:
        return self._connection is not None

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        host, port, timeout = c["MAIL_SERVER"], c["MAIL_PORT"], c["MAIL_TIMEOUT"]
        if c.get("MAIL_USE_SSL"):
            connection = smtplib.SMTP_SSL(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            connection = smtplib.SMTP(host, port, timeout=timeout)
        try:
            if c.get("MAIL_USE_TLS") and not c.get("MAIL_USE_SSL"):
                connection.starttls(context=ssl.create_default_context())
            if c.get("MAIL_USERNAME"):
                connection.login(c["MAIL_USERNAME"], c.get("MAIL_PASSWORD") or "")
        except BaseException:
            connection.close()
            raise
        return connection

    def _send_once(self, row: OutgoingMessage, message: bytes) -> None:
        if self._connection is None:
            self._connection = self._connect()
            self._used = False
        self._connection.sendmail(envelope_sender(row), [row.to_email], message)
        self._used = True

    def send(self, row: OutgoingMessage, message: bytes) -> None:
        try:
            try:
                self._send_once(row, message)
            except smtplib.SMTPServerDisconnected:
                if not self._used:
                    raise
                # The server dropped a connection we had kept open: reconnect once.
                self._drop()
                self._send_once(row, message)
        except (smtplib.SMTPException, OSError) as error:
            problem = _classify(error)
            if problem.server_down:
                self._drop()
            raise problem from error

    def _drop(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._drop()


# A worker thread keeps its SMTP connection from one run to the next while runs follow
# each other (a queue of thousands is many runs): connecting (and TLS, and AUTH) once,
# not once per run. Left idle longer, it is closed and the next run connects again; a
# connection the server dropped meanwhile is replaced on the first send (SMTPBackend).
KEEP_CONNECTION_SECONDS = 20
_kept = threading.local()


def _server_of(config) -> tuple:
    keys = ("MAIL_SERVER", "MAIL_PORT", "MAIL_USE_SSL", "MAIL_USE_TLS", "MAIL_USERNAME")
    return tuple(config.get(key) for key in keys) + (config.get("MAIL_PASSWORD"),)


def _backend():
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        return FileBackend(config["MAIL_FILE_DIR"])
    kept: SMTPBackend | None = getattr(_kept, "backend", None)
    _kept.backend = None
    if kept is not None:
        if (
            kept.server == _server_of(config)
            and time.monotonic() - kept.idle_since < KEEP_CONNECTION_SECONDS
        ):
            return kept
        kept.close()
    return SMTPBackend(config)


def _keep(backend) -> None:
    """The run is over: keep its SMTP connection for the thread's next run."""
    if isinstance(backend, SMTPBackend) and backend.connected:
        backend.idle_since = time.monotonic()
        _kept.backend = backend
    else:
        backend.close()


# --- the outbox ------------------------------------------------------------------------------


def _claim_expired(at: datetime):
    """Claimed by a worker that has not renewed its lease for too long (it died)."""
    return sa.and_(
        OutgoingMessage.status == MessageStatus.SENDING,
        OutgoingMessage.claimed_at < at - timedelta(seconds=lease_seconds()),
    )


def _is_due(at: datetime):
    """Waiting and due, or claimed by a worker that died."""
    return sa.or_(
        sa.and_(
            OutgoingMessage.status == MessageStatus.QUEUED,
            OutgoingMessage.next_attempt_at <= at,
        ),
        _claim_expired(at),
    )


def _is_locked(error: OperationalError) -> bool:
    return "database is locked" in str(error.orig) or "database table is locked" in str(error.orig)


def _write(*statements: Callable[[], sa.Executable]) -> int:
    """Run the statements and commit; on SQLite's "database is locked" start over (a
    colleague worker holds the write lock for a moment). Returns the first rowcount."""
    for attempt in range(LOCKED_RETRIES):
        try:
            results = [db.session.execute(make()) for make in statements]
            db.session.commit()
            return results[0].rowcount
        except OperationalError as error:
            db.session.rollback()
            if not _is_locked(error) or attempt == LOCKED_RETRIES - 1:
                raise
            time.sleep(0.02 * (attempt + 1))
    raise AssertionError("unreachable")


def _update(message_id: int, *conditions, **values) -> sa.Executable:
    return (
        sa.update(OutgoingMessage)
        .where(OutgoingMessage.id == message_id, *conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def _claim(message_ids: list[int], at: datetime) -> tuple[str, list[OutgoingMessage]]:
    """Take the due ones of `message_ids` for this worker in one UPDATE and return the
    claim's token and them (loaded, detached); messages another worker took meanwhile
    are left out."""
    token = uuid.uuid4().hex
    _write(
        lambda: (
            sa.update(OutgoingMessage)
            .where(OutgoingMessage.id.in_(message_ids), _is_due(at))
            .values(status=MessageStatus.SENDING, claimed_at=at, claim_token=token)
            .execution_options(synchronize_session=False)
        )
    )
    rows = list(
        db.session.scalars(
            sa.select(OutgoingMessage)
            .where(OutgoingMessage.claim_token == token)
            .order_by(OutgoingMessage.next_attempt_at, OutgoingMessage.id)
            .execution_options(populate_existing=True)
        )
    )
    # Keep the loaded values but end the transaction: none stays open during the sends.
    for row in rows:
        db.session.expunge(row)
    db.session.commit()
    return token, rows


def _release(rows: list[OutgoingMessage]) -> None:
    """Hand claimed messages that this run will not try back to the queue, untouched."""
    if rows:
        ids = [row.id for row in rows]
        _write(
            lambda: (
                sa.update(OutgoingMessage)
                .where(OutgoingMessage.id.in_(ids), OutgoingMessage.status == MessageStatus.SENDING)
                .values(status=MessageStatus.QUEUED, claimed_at=None, claim_token=None)
                .execution_options(synchronize_session=False)
            )
        )


def _write_email(row: OutgoingMessage) -> dict:
    """Have the row's writer write it (coordapp/mail/writers.py). The text is stored
    with the outcome of the send, so the outgoing-mail page and any retry show exactly
    what was sent. The writer reads in the batch's transaction (`_prepare` ends it)."""
    content = write(row).columns()
    for name, value in content.items():
        setattr(row, name, value)
    return content


def _record_sent(row: OutgoingMessage, at: datetime, content: dict) -> None:
    # Plain values: a retried write starts with a rolled-back (expired) session. The
    # writer's on_sent statement (if any) is built now, from the row's values, and runs
    # in the same transaction.
    message_id, attempts = row.id, row.attempts + 1
    on_sent = writer_of(row).on_sent
    also = on_sent(row, at) if on_sent is not None else None
    statements = [
        lambda: _update(
            message_id,
            status=MessageStatus.SENT,
            sent_at=at,
            attempts=attempts,
            claimed_at=None,
            claim_token=None,
            last_error=None,
            **content,
        )
    ]
    if also is not None:
        statements.append(lambda: also)
    _write(*statements)


def _record_failure(
    row: OutgoingMessage, problem: DeliveryError, at: datetime, content: dict | None = None
) -> MessageStatus:
    message_id, attempts = row.id, row.attempts + 1
    reason = problem.reason[:2000]
    if problem.permanent:
        status = MessageStatus.FAILED
    elif attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
        status = MessageStatus.FAILED
        reason = f"{reason} (gave up after {attempts} attempts)"
    else:
        status = MessageStatus.QUEUED
    _write(
        lambda: _update(
            message_id,
            status=status,
            attempts=attempts,
            last_error=reason,
            claimed_at=None,
            claim_token=None,
            next_attempt_at=at + retry_delay(attempts),
            **(content or {}),
        )
    )
    return status


def due_message_ids(now: datetime, limit: int) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(OutgoingMessage.id)
            .where(_is_due(now))
            .order_by(OutgoingMessage.next_attempt_at, OutgoingMessage.id)
            .limit(limit)
        )
    )


def expired_claims(now: datetime) -> list[int]:
    """The messages claimed by a worker that died (lease expired), for the sweep."""
    return list(
        db.session.scalars(
            sa.select(OutgoingMessage.id).where(_claim_expired(now)).order_by(OutgoingMessage.id)
        )
    )


def deliver_due_messages(limit: int = 500, *, now: datetime | None = None) -> dict:
    """Deliver up to `limit` due messages. Safe to run in several workers at once.

    `now` fixes the clock (tests); by default the real time is read at each step.
    Returns counts: sent, retrying, failed, skipped (taken by another worker), and
    `stopped_early` when the server could not be used.
    """
    clock = (lambda: now) if now is not None else utcnow
    summary = {"sent": 0, "retrying": 0, "failed": 0, "skipped": 0, "stopped_early": False}
    message_ids = due_message_ids(clock(), limit)
    db.session.commit()  # hold no transaction open while talking to the server
    if not message_ids:
        return summary

    backend = _backend()
    try:
        _deliver_claimed(message_ids, backend, clock, summary)
    except BaseException:
        backend.close()
        raise
    _keep(backend)
    return summary


def _deliver_claimed(
    message_ids: list[int], backend, clock: Callable[[], datetime], summary: dict
) -> None:
    """Claim `message_ids` CLAIM_BATCH at a time, write and send each batch."""
    for start in range(0, len(message_ids), CLAIM_BATCH):
        chunk = message_ids[start : start + CLAIM_BATCH]
        token, rows = _claim(chunk, clock())
        summary["skipped"] += len(chunk) - len(rows)
        sending = OutgoingMessage.status == MessageStatus.SENDING
        with Heartbeat(OutgoingMessage.__table__, OutgoingMessage.claim_token, token, sending):
            ready = _prepare(rows, clock, summary)
            for n, (row, message, content) in enumerate(ready):
                if not _send_one(row, message, content, backend, clock, summary):
                    _release([later for later, _, _ in ready[n + 1 :]])
                    summary["stopped_early"] = True
                    return


def _prepare(
    rows: list[OutgoingMessage], clock: Callable[[], datetime], summary: dict
) -> list[tuple[OutgoingMessage, bytes, dict]]:
    """Write (if need be) the claimed messages and turn them into what goes over the
    wire: (row, message, content written). One read transaction for the batch, ended
    before the first send: what the writers read once (a meeting, its chairs) serves
    every email of the batch, and a message costs no round trips of its own to the
    database until its outcome is recorded. A message that cannot be written fails
    here; one whose attachment is not rendered yet waits."""
    ready = []
    prefetched = prefetch(row for row in rows if row.text_body is None)
    # The session holds what it loaded weakly: keep it all until the batch is written,
    # or a meeting read for one email would be read again for the next.
    loaded: dict = {}
    for row in rows:
        content: dict = {}
        if attachment_pending(row):
            # Its attachment (a letter the worker renders) is not ready: a little later.
            _record_failure(
                row, DeliveryError("the attachment is still being rendered"), clock(), {}
            )
            summary["retrying"] += 1
            continue
        try:
            if row.text_body is None:
                content = _write_email(row)
                loaded.update(db.session.identity_map.items())
            ready.append((row, as_bytes(build_message(row, date=clock())), content))
        except SQLAlchemyError:
            raise  # the database, not the message: the claim lapses and it is retried
        except Exception as error:  # noqa: BLE001  (retrying a bad message will not help)
            db.session.rollback()
            if not isinstance(error, CannotWrite | ValueError):
                log.exception("mail %s (%s) could not be written", row.id, row.writer)
            _record_failure(row, DeliveryError(str(error), permanent=True), clock(), content)
            summary["failed"] += 1
    db.session.rollback()  # the writers' reads end here: no transaction during the sends
    del prefetched
    loaded.clear()
    return ready


def _send_one(
    row: OutgoingMessage,
    message: bytes,
    content: dict,
    backend,
    clock: Callable[[], datetime],
    summary: dict,
) -> bool:
    """Send one written message and commit its outcome at once. False when the server
    cannot be used: the batch stops there."""
    try:
        backend.send(row, message)
    except DeliveryError as problem:
        status = _record_failure(row, problem, clock(), content)
        summary["failed" if status == MessageStatus.FAILED else "retrying"] += 1
        log.warning("mail %s to %s not delivered: %s", row.id, row.to_email, problem)
        return not problem.server_down
    _record_sent(row, clock(), content)
    summary["sent"] += 1
    return True


def retry_failed(message: OutgoingMessage) -> bool:
    """Put a FAILED message back in the queue with fresh attempts, in the current
    transaction (the caller commits). False if it is no longer FAILED."""
    result = db.session.execute(
        _update(
            message.id,
            OutgoingMessage.status == MessageStatus.FAILED,
            status=MessageStatus.QUEUED,
            attempts=0,
            next_attempt_at=utcnow(),
            claimed_at=None,
        )
    )
    return result.rowcount == 1
