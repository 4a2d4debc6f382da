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
from collections.abc import Callable
from pathlib import Path

from flask import Flask, has_app_context
from huey import Huey, crontab  # noqa: F401  (crontab re-exported)
from huey.storage import BaseStorage, RedisStorage, SqliteStorage


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
            return fn(*args, **kwargs)

    return run


def task(**options) -> Callable:
    def decorator(fn: Callable):
        return huey.task(**options)(_in_app_context(fn))

    return decorator


def periodic_task(validate_datetime, **options) -> Callable:
    def decorator(fn: Callable):
        return huey.periodic_task(validate_datetime, **options)(_in_app_context(fn))

    return decorator
