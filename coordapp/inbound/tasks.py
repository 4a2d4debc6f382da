"""The worker reads the mailbox every minute (a run that finds nothing costs one IMAP
login) and purges stored messages past their retention once a day."""

from __future__ import annotations

import logging

from flask import current_app

from coordapp.inbound import mailbox, service
from coordapp.jobs import crontab, periodic_task

log = logging.getLogger(__name__)


def _enabled() -> bool:
    config = current_app.config
    return bool(config.get("INBOUND_IMAP_URL") and config.get("INBOUND_ADDRESS"))


@periodic_task(crontab(minute="*"))
def poll_inbound_mailbox() -> str | None:
    if not _enabled():
        return None
    try:
        return mailbox.fetch().line()
    except mailbox.MailboxError as error:
        log.warning("inbound mailbox: %s", error)
        return None


@periodic_task(crontab(minute="17", hour="3"))
def purge_inbound_messages() -> int:
    return service.purge_old_messages()
