"""The worker's heartbeat: each worker process touches its row of worker_heartbeats
every WORKER_HEARTBEAT_SECONDS (default 15) from a thread of its own (busy job threads
do not delay it); /readyz calls the worker missing when the newest beat is older than
WORKER_HEARTBEAT_MAX_AGE seconds (default 120)."""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Flask

from coordapp.extensions import db
from coordapp.models import WorkerHeartbeat

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def beat(name: str) -> None:
    """Record that worker `name` is alive now (its own transaction)."""
    table = WorkerHeartbeat.__table__
    now = datetime.now(UTC)
    updated = db.session.execute(
        sa.update(table).where(table.c.worker == name).values(beat_at=now)
    ).rowcount
    if not updated:
        db.session.execute(sa.insert(table).values(worker=name, started_at=now, beat_at=now))
    db.session.commit()


def newest_beat() -> datetime | None:
    return db.session.scalar(sa.select(sa.func.max(WorkerHeartbeat.beat_at)))


_started: dict[int, threading.Thread] = {}
_starting = threading.Lock()


def start_once(app: Flask) -> threading.Thread:
    """`start`, once per process (huey calls its start-up hook in every worker thread)."""
    with _starting:
        pid = os.getpid()
        if pid not in _started:
            _started[pid] = start(app)
        return _started[pid]


def start(app: Flask) -> threading.Thread:
    """Beat now and then every WORKER_HEARTBEAT_SECONDS, in a daemon thread of this
    process."""
    name, interval = worker_name(), app.config["WORKER_HEARTBEAT_SECONDS"]
    stop = threading.Event()

    def run() -> None:
        while True:
            try:
                with app.app_context():
                    beat(name)
                    db.session.remove()
            except Exception:  # noqa: BLE001 - the database may be away for a while
                log.warning("worker heartbeat failed", exc_info=True)
            if stop.wait(interval):
                return

    thread = threading.Thread(target=run, name="coordapp-heartbeat", daemon=True)
    thread.stop = stop  # type: ignore[attr-defined]
    thread.start()
    return thread
