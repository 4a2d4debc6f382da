"""Background jobs with Huey: SQLite storage by default, Redis when REDIS_URL is set.

Declare a job with `@task()` or `@periodic_task(crontab(...))` from this module; the
function then runs inside a Flask app context, in the worker process
(`huey_consumer coordapp.worker.huey`) or, in tests, immediately.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path

from flask import Flask, has_app_context
from huey import RedisHuey, SqliteHuey, crontab  # noqa: F401  (crontab re-exported)

_PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _make_huey():
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        return RedisHuey("coordapp", url=redis_url)
    path = os.environ.get("HUEY_SQLITE_PATH") or str(_PROJECT_ROOT / "instance" / "huey.sqlite")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("coordapp", filename=path)


huey = _make_huey()

_worker_app: Flask | None = None


def _app_for_worker() -> Flask:
    global _worker_app
    if _worker_app is None:
        from coordapp import create_app

        _worker_app = create_app()
    return _worker_app


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
