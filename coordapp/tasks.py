"""The app's own periodic jobs, which belong to no feature: re-queuing what dead workers
left unfinished (each feature says how, in its record's `sweeps`) and forgetting old
wrong-link hits. Listed in coordapp/features.py like a feature's."""

from __future__ import annotations

from datetime import timedelta

from coordapp import counters, ratelimit
from coordapp.extensions import db
from coordapp.feature import Feature, installed
from coordapp.jobs import INTERACTIVE, crontab, periodic_task, task

# Huey's periodic jobs run once a minute at most: the minute's sweep schedules the others.
SWEEP_EVERY_SECONDS = 10


def sweep_expired_leases() -> dict:
    """A worker killed mid-job leaves its document, approval, check or emails claimed:
    once the job's lease (JOB_LEASE_SECONDS) has run out, queue the job again. Returns,
    for each feature's sweep, what it queued again (also counted for /metrics)."""
    requeued = {name: sweep() for feature in installed() for name, sweep in feature.sweeps.items()}
    for name, what in requeued.items():
        amount = what if isinstance(what, int) else len(what or ())
        if amount:
            counters.increment("coordapp_job_requeues_total", {"sweep": name}, amount)
            db.session.commit()
    return requeued


@task(priority=INTERACTIVE)
def sweep_expired_leases_job() -> dict:
    return sweep_expired_leases()


@periodic_task(crontab(minute="*"), priority=INTERACTIVE)
def requeue_stalled_jobs() -> dict:
    """The lease sweep, every SWEEP_EVERY_SECONDS: now, and scheduled for the rest of
    the minute. With 20 s leases, a dead worker's job is queued again within ~30 s."""
    for delay in range(SWEEP_EVERY_SECONDS, 60, SWEEP_EVERY_SECONDS):
        sweep_expired_leases_job.schedule(delay=delay)
    return sweep_expired_leases()


@periodic_task(crontab(minute="23", hour="*"))
def purge_old_rate_limit_hits() -> int:
    """Wrong-link hits count for minutes only; keep a day for review, then let them go."""
    removed = ratelimit.purge_old_hits(timedelta(days=1))
    db.session.commit()
    return removed


FEATURE = Feature(name="upkeep", periodic_tasks=[requeue_stalled_jobs, purge_old_rate_limit_hits])
