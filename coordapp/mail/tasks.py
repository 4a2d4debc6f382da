"""Worker jobs that deliver the outbox.

`deliver_outbox` is queued after each commit that wrote mail (coordapp/mail/queue.py);
the sweep runs every minute and catches retries that came due and anything queued
while the worker was down. Both may run at once: delivery claims each message first.
"""

from __future__ import annotations

from coordapp.jobs import crontab, periodic_task, task
from coordapp.mail.delivery import deliver_due_messages


@task()
def deliver_outbox() -> dict:
    return deliver_due_messages()


@periodic_task(crontab(minute="*"))
def sweep_outbox() -> dict:
    return deliver_due_messages()
