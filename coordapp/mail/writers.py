"""Email writers: how the worker turns a queued row into an email.

Mail knows no feature. Each feature decides who gets which email in its own
`notifications.py`, where it also defines a `Writer` for each kind of email it sends
and lists them in its record (`Feature.emails`, coordapp/feature.py):

    def write_confirmation(row: OutgoingMessage) -> Email: ...

    CONFIRMATION = Writer("confirmation", write_confirmation, MessageKind.CONFIRMATION)
    WRITERS = [CONFIRMATION, ...]

    queue(CONFIRMATION, Recipient(...))   # coordapp/mail/queue.py

A queued row names its writer; the worker calls `write(row)` just before sending
(coordapp/mail/delivery.py), so nothing about the number of recipients is rendered
inside a web request, and each email is written in its recipient's language. The
written text is stored on the row: the outgoing-mail page and any retry show exactly
what was sent.

A writer's `category` is what the outgoing-mail page files its emails under (and what
a feature may make obsolete while still queued). Its `on_sent(row, at)`, if any, returns
a statement the delivery runs in the transaction that marks the row sent: how a feature
learns that its email went out (invitations record their `sent_at` so) without mail
knowing the feature. Its `prefetch(rows)`, if any, loads in a few queries what writing
those rows will read, and returns it: the worker writes a batch of rows in one
transaction and calls it first with the batch's rows of that writer, so writing each
one then finds its records in the session (a thousand invitations need one meeting,
not a thousand reads).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from coordapp.mail.compose import Email
from coordapp.models import MessageKind, OutgoingMessage


class CannotWrite(ValueError):
    """The email cannot be written any more (e.g. what it was about is gone)."""


@dataclass(frozen=True)
class Writer:
    """One kind of email: its name (stored on each queued row), the function that writes
    a row, its category, and what to record once one is sent."""

    name: str
    write: Callable[[OutgoingMessage], Email]
    category: MessageKind = MessageKind.OTHER
    on_sent: Callable[[OutgoingMessage, datetime], sa.Executable | None] | None = None
    prefetch: Callable[[list[OutgoingMessage]], list] | None = None


# Every process installs the same writers (those of the features' records): they are
# code, not data, so one table for the process.
_WRITERS: dict[str, Writer] = {}


def install(writers: Iterable[Writer]) -> None:
    """Make `writers` usable; installing one again is harmless, two of one name are not."""
    for writer in writers:
        existing = _WRITERS.get(writer.name)
        if existing is not None and existing != writer:
            raise ValueError(f"two email writers named {writer.name!r}")
        _WRITERS[writer.name] = writer


def is_installed(writer: Writer) -> bool:
    return _WRITERS.get(writer.name) == writer


def installed() -> list[str]:
    return sorted(_WRITERS)


def writer_of(row: OutgoingMessage) -> Writer:
    """The writer `row` names."""
    found = _WRITERS.get(row.writer or "")
    if found is None:
        raise CannotWrite(f"no email writer named {row.writer!r}")
    return found


def write(row: OutgoingMessage) -> Email:
    """The email for outbox row `row`, by the writer it names."""
    return writer_of(row).write(row)


def prefetch(rows: Iterable[OutgoingMessage]) -> list:
    """Let each writer load, in a few queries, what writing its rows of `rows` reads.
    Returns what they loaded: the session holds its objects weakly, so the caller keeps
    this list while it writes the rows."""
    loaded: list = []
    by_writer: dict[Writer, list[OutgoingMessage]] = {}
    for row in rows:
        found = _WRITERS.get(row.writer or "")
        if found is not None and found.prefetch is not None:
            by_writer.setdefault(found, []).append(row)
    for writer, its_rows in by_writer.items():
        loaded.extend(writer.prefetch(its_rows))
    return loaded
