"""The worker reads the mailbox every INBOUND_POLL_SECONDS (in whole minutes, at least
one: a run that finds nothing costs one IMAP login) and purges stored messages past
their retention once a day."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import current_app

from coordapp.inbound import mailbox, service
from coordapp.jobs import crontab, periodic_task

log = logging.getLogger(__name__)


def _enabled() -> bool:
    config = current_app.config
    return bool(config.get("INBOUND_IMAP_URL") and config.get("INBOUND_ADDRESS"))


def is_due(now: datetime) -> bool:
    """Whether this minute's run reads the mailbox (every INBOUND_POLL_SECONDS, rounded
    to whole minutes)."""
    every = max(1, round(current_app.config["INBOUND_POLL_SECONDS"] / 60))
    return (now.hour * 60 + now.minute) % every == 0


@periodic_task(crontab(minute="*"))
def poll_inbound_mailbox() -> str | None:
    if not _enabled() or not is_due(datetime.now(UTC)):
        return None
    try:
        return mailbox.fetch().line()
    except mailbox.MailboxError as error:
        log.warning("inbound mailbox: %s", error)
        return None


@periodic_task(crontab(minute="17", hour="3"))
def purge_inbound_messages() -> int:
    return service.purge_old_messages()
