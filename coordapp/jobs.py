"""Background jobs with Huey, on the queue the app's configuration names: Redis when
REDIS_URL is set, else the SQLite file HUEY_SQLITE_PATH.

Declare a job with `@task(priority=...)` or `@periodic_task(crontab(...))` from this
module; the function then runs inside a Flask app context, in the worker process
(`huey_consumer coordapp.worker.huey`) or, in tests (HUEY_IMMEDIATE), immediately.

One queue with priorities: a worker takes the waiting job of highest priority first, so
what someone waits for on a page (INTERACTIVE: a signature, the agenda or minutes PDF, a
/verify check) never waits behind bulk work (BULK: forty report PDFs asked at once,
periodic upkeep); mail runs sit between. A job already running is not interrupted: with
two workers (the default), an interactive job waits for at most one other.

`huey` exists from import on, so the decorators can register on it, but it has no queue
until `create_app` calls `configure_queue`: that happens after `.env` is loaded, in the
web app and in the worker (coordapp/worker.py builds the app), so both use one queue.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context
from huey import Huey, crontab  # noqa: F401  (crontab re-exported)
from huey.storage import BaseStorage, PriorityRedisStorage, SqliteStorage

from coordapp.extensions import db

log = logging.getLogger(__name__)


class _NoQueueYet(BaseStorage):
    """The storage before any app configured the queue: a job queued now would be lost."""

    def enqueue(self, data, priority=None):
        raise RuntimeError("no job queue yet: create the app (create_app) first")

    dequeue = add_to_schedule = enqueue


class RedisQueue(PriorityRedisStorage):
    """Huey's Redis queue with priorities (a sorted set, Redis 5+), under a key of its
    own: the plain list an earlier, priority-less version queued into keeps its own key
    (jobs left there are queued again by the sweeps, coordapp/tasks.py)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.queue_key += ".by-priority"


# Job priorities: higher runs first.
INTERACTIVE = 100
MAIL = 50
BULK = 0

huey = Huey("coordapp", storage_class=_NoQueueYet)

# The app that configured the queue last (it registers itself in `configure_queue`, which
# `create_app` calls); jobs run in its context when they have none.
_queue_app: Flask | None = None


def configure_queue(app: Flask) -> None:
    """Point `huey` at the queue `app`'s configuration names (in memory, jobs running at
    once, with HUEY_IMMEDIATE). Each new app decides: the tests build many."""
    global _queue_app
    _queue_app = app
    app.jinja_env.tests["lease_expired"] = lease_expired
    if app.config.get("REDIS_URL"):
        storage_class, kwargs = RedisQueue, {"url": app.config["REDIS_URL"]}
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
    """The app jobs run in: the one `create_app` registered last (`configure_queue`).
    The worker builds it before taking a job (coordapp/worker.py); this module never
    builds one (it sits below the app)."""
    if _queue_app is None:
        raise RuntimeError("no app for the job: build one (create_app) first, as worker.py does")
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


def task(*, priority: int, **options) -> Callable:
    """A job queued by calling the function; `priority`: INTERACTIVE, MAIL or BULK."""

    def decorator(fn: Callable):
        return huey.task(priority=priority, **options)(_in_app_context(fn))

    return decorator


def periodic_task(validate_datetime, *, priority: int = BULK, **options) -> Callable:
    def decorator(fn: Callable):
        return huey.periodic_task(validate_datetime, priority=priority, **options)(
            _in_app_context(fn)
        )

    return decorator


# --- leases --------------------------------------------------------------------------------
# Every background state that a worker works on (a document to render, an approval to
# sign, an uploaded PDF to check, a batch of emails to send) holds one kind of lease, in two
# columns of its row: `claimed_at`, when the lease was last taken or renewed, and
# `claim_token`, the worker's token (NULL while the job only waits in the queue).
#
# - Queuing a job (or queuing it again) sets `claimed_at` to now and clears the token
#   (`fresh_lease`).
# - The job takes the lease when it starts (`held_lease`): only if the row is still
#   PENDING and nobody holds a live lease on it, so two copies of one job never run at
#   once. While the job runs, a heartbeat thread renews the lease every quarter of
#   JOB_LEASE_SECONDS on its own connection: a slow job that is alive keeps it.
# - A worker killed with `kill -9` stops renewing: once the lease has run out
#   (JOB_LEASE_SECONDS, 20 s by default) the sweep (coordapp/tasks.py, every 10 s) queues
#   the job again, and the next worker takes it over.


def lease_seconds() -> float:
    return float(current_app.config["JOB_LEASE_SECONDS"])


def lease_cutoff() -> datetime:
    """Leases taken or renewed before this moment have expired."""
    return datetime.now(UTC) - timedelta(seconds=lease_seconds())


def lease_expired(claimed_at: datetime | None) -> bool:
    """True when the job's lease has run out (no lease at all counts as run out)."""
    return claimed_at is None or claimed_at < lease_cutoff()


def is_expired(model):
    """SQL: `model`'s lease has run out."""
    return sa.or_(model.claimed_at.is_(None), model.claimed_at < lease_cutoff())


def fresh_lease(row) -> None:
    """Mark `row` as just queued (the caller queues its job after the commit)."""
    row.claimed_at = datetime.now(UTC)
    row.claim_token = None


def renew_expired_lease(model, row_id: int, pending) -> bool:
    """Take the expired lease of the PENDING row `row_id` of `model` for queuing its job
    again, in the caller's transaction. False if the row is not PENDING or its lease was
    renewed meanwhile: of two sweeps, or a sweep and a user's "Try again", at the same
    moment, only one queues the job again."""
    result = db.session.execute(
        sa.update(model)
        .where(model.id == row_id, model.status == pending, is_expired(model))
        .values(claimed_at=datetime.now(UTC), claim_token=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def requeue_expired(model, pending, *conditions) -> list[int]:
    """The ids of `model`'s PENDING rows (meeting `conditions`) whose lease ran out, each
    lease renewed for queuing its job again (the caller queues them). Commits."""
    stalled = db.session.scalars(
        sa.select(model.id)
        .where(model.status == pending, is_expired(model), *conditions)
        .order_by(model.id)
    ).all()
    renewed = [row_id for row_id in stalled if renew_expired_lease(model, row_id, pending)]
    db.session.commit()
    return renewed


class Heartbeat:
    """Renews a lease while the job that holds it runs: every `interval` seconds, on a
    connection of its own, `claimed_at = now` for the rows of `table` whose token column
    holds `token` (and that meet `conditions`, e.g. still PENDING). A job that ends before
    the first beat never touches the database from the thread."""

    def __init__(self, table, token_column, token: str, *conditions) -> None:
        self.engine = db.engine
        self.statement = (
            sa.update(table)
            .where(token_column == token, *conditions)
            .values(claimed_at=sa.bindparam("now"))
        )
        self.interval = max(lease_seconds() / 4, 0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{token[:8]}", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                with self.engine.begin() as connection:
                    connection.execute(self.statement, {"now": datetime.now(UTC)})
            except sa.exc.SQLAlchemyError:  # a busy database: the next beat tries again
                log.warning("renewing a job's lease failed", exc_info=True)

    def __enter__(self) -> Heartbeat:
        # Jobs run inline (HUEY_IMMEDIATE: the tests) run inside the caller's transaction:
        # nothing to renew, and a second connection must not touch it. Asked of the app
        # the job runs in, not of the queue, which the last app built points elsewhere.
        if not current_app.config.get("HUEY_IMMEDIATE"):
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


@contextmanager
def held_lease(model, row_id: int, pending) -> Iterator[bool]:
    """Take the lease of the PENDING row `row_id` of `model` for this job and keep it
    renewed until the block ends. Yields False (and holds nothing) when the row is no
    longer PENDING or another worker holds a live lease on it: the job then does nothing.
    Commits."""
    token = uuid.uuid4().hex
    took = db.session.execute(
        sa.update(model)
        .where(
            model.id == row_id,
            model.status == pending,
            sa.or_(model.claim_token.is_(None), is_expired(model)),
        )
        .values(claimed_at=datetime.now(UTC), claim_token=token)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if took.rowcount != 1:
        yield False
        return
    with Heartbeat(model.__table__, model.claim_token, token, model.status == pending):
        yield True
