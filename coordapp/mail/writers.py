"""The registry of email writers.

Mail knows no feature. Each feature decides who gets which email in its own
`notifications.py`, queues rows that name a writer (coordapp/mail/queue.py), and
registers the writer that turns such a row into an email:

    @mail.writers.writer("confirmation")
    def write_confirmation(row: OutgoingMessage) -> Email: ...

The worker calls `write(row)` just before sending (coordapp/mail/delivery.py), so
nothing about the number of recipients is rendered inside a web request, and each
email is written in its recipient's language. The written text is stored on the row:
the outgoing-mail page and any retry show exactly what was sent.
"""

from __future__ import annotations

from collections.abc import Callable

from coordapp.mail.compose import Email
from coordapp.models import OutgoingMessage

Writer = Callable[[OutgoingMessage], Email]

_WRITERS: dict[str, Writer] = {}


class CannotWrite(ValueError):
    """The email cannot be written any more (e.g. what it was about is gone)."""


def writer(name: str) -> Callable[[Writer], Writer]:
    """Register the function that writes emails queued under `name`."""

    def register(fn: Writer) -> Writer:
        existing = _WRITERS.get(name)
        if existing is not None and existing.__qualname__ != fn.__qualname__:
            raise ValueError(f"two email writers named {name!r}")
        _WRITERS[name] = fn
        return fn

    return register


def is_registered(name: str) -> bool:
    return name in _WRITERS


def registered() -> list[str]:
    return sorted(_WRITERS)


def write(row: OutgoingMessage) -> Email:
    """The email for outbox row `row`, by the writer it names."""
    fn = _WRITERS.get(row.writer or "")
    if fn is None:
        raise CannotWrite(f"no email writer named {row.writer!r}")
    return fn(row)
