"""Probes for load balancers and orchestrators, and the site's icon.

- `/healthz` (liveness): 200 when the database answers, 503 when not.
- `/readyz` (readiness): 200 when the database, the job queue and a worker are there;
  503 naming what is missing: the database does not answer, the queue (Redis when
  configured, else the SQLite queue file) cannot be reached, or no worker's heartbeat
  is younger than WORKER_HEARTBEAT_MAX_AGE seconds (coordapp/heartbeat.py).
- `/favicon.ico`, which browsers ask for whatever the page says.
"""

from datetime import UTC, datetime

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from coordapp import heartbeat
from coordapp.access import public
from coordapp.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any failure means "not ready"
        db.session.rollback()
        return jsonify(status="unavailable", database=type(error).__name__), 503
    return jsonify(status="ok", database="ok"), 200


def _database() -> str | None:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001
        db.session.rollback()
        return f"the database does not answer ({type(error).__name__})"
    return None


def _queue() -> str | None:
    from huey.storage import RedisStorage

    from coordapp.jobs import huey

    try:
        if isinstance(huey.storage, RedisStorage):
            huey.storage.conn.ping()
        else:
            huey.pending_count()
    except Exception as error:  # noqa: BLE001
        return f"the job queue cannot be reached ({type(error).__name__})"
    return None


def _worker() -> str | None:
    if current_app.config.get("HUEY_IMMEDIATE"):
        return None  # jobs run inside the request: there is no worker to wait for
    try:
        newest = heartbeat.newest_beat()
    except Exception as error:  # noqa: BLE001
        db.session.rollback()
        return f"the worker's heartbeat cannot be read ({type(error).__name__})"
    if newest is None:
        return "no worker has started"
    if newest.tzinfo is None:
        newest = newest.replace(tzinfo=UTC)
    age = (datetime.now(UTC) - newest).total_seconds()
    limit = current_app.config["WORKER_HEARTBEAT_MAX_AGE"]
    if age > limit:
        return f"no worker heartbeat for {int(age)} s (more than {limit} s)"
    return None


@bp.get("/readyz")
@public
def readyz():
    checks = {"database": _database(), "queue": _queue()}
    checks["worker"] = _worker() if checks["database"] is None else "unknown: no database"
    reasons = [reason for reason in checks.values() if reason]
    body = {name: reason or "ok" for name, reason in checks.items()}
    if reasons:
        return jsonify(status="unavailable", reasons=reasons, **body), 503
    return jsonify(status="ok", **body), 200


@bp.get("/favicon.ico")
@public
def favicon():
    return current_app.send_static_file("icons/favicon.ico")
