"""Background jobs with Huey, on the queue the app's configuration names: Redis when
REDIS_URL is set, else the SQLite file HUEY_SQLITE_PATH.

Declare a job with `@task()` or `@periodic_task(crontab(...))` from this module; the
function then runs inside a Flask app context, in the worker process
(`huey_consumer coordapp.worker.huey`) or, in tests (HUEY_IMMEDIATE), immediately.

`huey` exists from import on, so the decorators can register on it, but it has no queue
until `create_app` calls `configure_queue`: that happens after `.env` is loaded, in the
web app and in the worker (coordapp/worker.py builds the app), so both use one queue.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context
from huey import Huey, crontab  # noqa: F401  (crontab re-exported)
from huey.storage import BaseStorage, RedisStorage, SqliteStorage

from coordapp.extensions import db

log = logging.getLogger(__name__)


class _NoQueueYet(BaseStorage):
    """The storage before any app configured the queue: a job queued now would be lost."""

    def enqueue(self, data, priority=None):
        raise RuntimeError("no job queue yet: create the app (create_app) first")

    dequeue = add_to_schedule = enqueue


huey = Huey("coordapp", storage_class=_NoQueueYet)

# The app that configured the queue last; jobs run in its context when they have none.
_queue_app: Flask | None = None


def configure_queue(app: Flask) -> None:
    """Point `huey` at the queue `app`'s configuration names (in memory, jobs running at
    once, with HUEY_IMMEDIATE). Each new app decides: the tests build many."""
    global _queue_app
    _queue_app = app
    app.jinja_env.tests["lease_expired"] = lease_expired
    if app.config.get("REDIS_URL"):
        storage_class, kwargs = RedisStorage, {"url": app.config["REDIS_URL"]}
    else:
        storage_class, kwargs = SqliteStorage, {"filename": app.config["HUEY_SQLITE_PATH"]}
    immediate = bool(app.config.get("HUEY_IMMEDIATE"))
    name = app.config.get("HUEY_NAME") or "coordapp"
    if (huey.name, huey.storage_class, huey.storage_kwargs, huey.immediate) == (
        name,
        storage_class,
        kwargs,
        immediate,
    ):
        return  # the same queue: keep its connections (and the jobs of immediate mode)
    if storage_class is SqliteStorage and not immediate:
        Path(kwargs["filename"]).parent.mkdir(parents=True, exist_ok=True)
    huey.name = name
    huey.storage_class, huey.storage_kwargs = storage_class, kwargs
    if huey.immediate != immediate:
        huey.immediate = immediate  # makes the storage anew
    else:
        huey.storage = huey.create_storage()


def _app_for_worker() -> Flask:
    if _queue_app is None:
        from coordapp import create_app

        create_app()
    assert _queue_app is not None
    return _queue_app


def _in_app_context(fn: Callable) -> Callable:
    @functools.wraps(fn)
    def run(*args, **kwargs):
        if has_app_context():
            return fn(*args, **kwargs)
        with _app_for_worker().app_context():
            started, outcome = time.monotonic(), "failed"
            try:
                result = fn(*args, **kwargs)
                outcome = "done"
                return result
            finally:
                _record_job(fn.__name__, outcome, time.monotonic() - started)

    return run


def _record_job(job: str, outcome: str, seconds: float) -> None:
    """The job's duration and outcome for /metrics (coordapp/counters.py)."""
    from coordapp import counters

    try:
        db.session.rollback()  # whatever the job left uncommitted is not ours to keep
        counters.observe("coordapp_job_duration_seconds", {"job": job}, seconds)
        counters.increment("coordapp_jobs_total", {"job": job, "outcome": outcome})
        db.session.commit()
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        log.warning("could not record the job's metrics", exc_info=True)


def task(**options) -> Callable:
    def decorator(fn: Callable):
        return huey.task(**options)(_in_app_context(fn))

    return decorator


def periodic_task(validate_datetime, **options) -> Callable:
    def decorator(fn: Callable):
        return huey.periodic_task(validate_datetime, **options)(_in_app_context(fn))

    return decorator


# --- leases --------------------------------------------------------------------------------
# A job that works on a row (a document to render, an approval to sign) records on it when
# it was queued or taken on (`claimed_at`). A worker killed mid-job leaves the row PENDING
# with a lease that runs out: the sweep (coordapp/tasks.py) queues it again, and the page
# lets the user retry it. Every job is idempotent, so running one twice does no harm.


def lease_cutoff() -> datetime:
    """Leases taken before this moment have expired."""
    return datetime.now(UTC) - timedelta(seconds=current_app.config["JOB_LEASE_SECONDS"])


def lease_expired(claimed_at: datetime | None) -> bool:
    """True when the job's lease has run out (no lease at all counts as run out)."""
    return claimed_at is None or claimed_at < lease_cutoff()


def renew_expired_lease(model, row_id: int, pending) -> bool:
    """Take the expired lease of the PENDING row `row_id` of `model` (which has `status`
    and `claimed_at`), in the caller's transaction. False if the row is not PENDING or its
    lease was renewed meanwhile: of two sweeps, or a sweep and a user's "Try again", at
    the same moment, only one queues the job again."""
    result = db.session.execute(
        sa.update(model)
        .where(
            model.id == row_id,
            model.status == pending,
            sa.or_(model.claimed_at.is_(None), model.claimed_at < lease_cutoff()),
        )
        .values(claimed_at=datetime.now(UTC))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def hold_for_tests(job: str) -> None:
    """Tests only (TEST_HOLD_JOBS_FILE): having taken its work, a job says so by creating
    `<file>.<job>` and waits while the file exists, so a test can kill the worker mid-job.
    Does nothing unless the setting is there."""
    path = current_app.config.get("TEST_HOLD_JOBS_FILE")
    if not path:
        return
    hold = Path(path)
    if not hold.exists():
        return
    hold.with_name(f"{hold.name}.{job}").touch()
    while hold.exists():
        time.sleep(0.05)
