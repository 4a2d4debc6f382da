"""Worker jobs that deliver the outbox.

`deliver_outbox` is queued after each commit that wrote mail (coordapp/mail/queue.py);
the sweep runs every minute and catches retries that came due and anything queued
while the worker was down. Both may run at once: delivery claims each message first.

A run delivers at most RUN_LIMIT messages. One that took that many (more may be due:
10,000 invitations are one commit, so one wake-up) queues the next run as it ends, so
the queue empties at the delivery rate instead of RUN_LIMIT a minute from the sweep.
The lease sweep (`requeue_expired`) queues a run when a dead worker's claims expired.
"""

from __future__ import annotations

from coordapp.extensions import db
from coordapp.jobs import MAIL, crontab, periodic_task, task
from coordapp.mail.delivery import deliver_due_messages, expired_claims
from coordapp.models import utcnow

RUN_LIMIT = 500


def _deliver() -> dict:
    summary = deliver_due_messages(RUN_LIMIT)
    taken = sum(summary[key] for key in ("sent", "retrying", "failed", "skipped"))
    if taken >= RUN_LIMIT and not summary["stopped_early"]:
        deliver_outbox()  # more may be due: the next run, rather than the sweep's in a minute
    return summary


@task(priority=MAIL)
def deliver_outbox() -> dict:
    return _deliver()


@periodic_task(crontab(minute="*"), priority=MAIL)
def sweep_outbox() -> dict:
    return _deliver()


def requeue_expired() -> list[int]:
    """The lease sweep's part for mail (coordapp/tasks.py): when a worker died holding
    messages (their claim expired), queue a delivery run, which takes them over. Returns
    the messages' ids."""
    expired = expired_claims(utcnow())
    db.session.commit()
    if expired:
        deliver_outbox()
    return expired
