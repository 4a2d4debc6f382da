"""Pooled database connections: pinged before use only after sitting idle (no round trip
before every request's first query), and a dead idle one is replaced unseen."""

from __future__ import annotations

import time
from unittest import mock

import pytest
import sqlalchemy as sa

from coordapp import create_app
from coordapp.extensions import db
from tests.conftest import DATABASE_URL, test_config


def _app(idle_seconds: float):
    return create_app(test_config(DATABASE_PING_AFTER_IDLE_SECONDS=idle_seconds))


def _request_query(app, sql: str = "SELECT 1"):
    """What a request does: check a connection out, query, give it back."""
    with app.app_context():
        try:
            return db.session.scalar(sa.text(sql))
        finally:
            db.session.remove()


def test_a_connection_in_steady_use_is_not_pinged_an_idle_one_is():
    app = _app(idle_seconds=0.3)
    with app.app_context():
        engine = db.engine
    try:
        with mock.patch.object(engine.dialect, "do_ping", wraps=engine.dialect.do_ping) as do_ping:
            for _ in range(5):
                assert _request_query(app) == 1
            assert do_ping.call_count == 0  # new, then back within moments: no round trip
            time.sleep(0.4)
            assert _request_query(app) == 1
            assert do_ping.call_count == 1  # idle past the limit: checked first
            assert _request_query(app) == 1
            assert do_ping.call_count == 1
    finally:
        engine.dispose()


@pytest.mark.postgres_only  # a server that ends a connection behind the pool's back
@pytest.mark.parametrize("idle_seconds, survives", [(0, True), (3600, False)])
def test_a_connection_that_died_while_idle_is_replaced_before_use(idle_seconds, survives):
    app = _app(idle_seconds=idle_seconds)
    with app.app_context():
        engine = db.engine
    admin = sa.create_engine(DATABASE_URL)
    try:
        first_backend = _request_query(app, "SELECT pg_backend_pid()")
        with admin.connect() as conn:  # the server ends it (restart, idle timeout…)
            assert conn.scalar(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": first_backend})
        time.sleep(0.2)
        if survives:
            # Pinged at checkout, found dead, replaced: the request never sees it.
            assert _request_query(app, "SELECT pg_backend_pid()") != first_backend
        else:
            # In use moments ago, so not pinged: that request fails (as a request whose
            # connection dies mid-way would); SQLAlchemy then replaces the pool.
            with pytest.raises(sa.exc.OperationalError):
                _request_query(app, "SELECT pg_backend_pid()")
            assert _request_query(app, "SELECT pg_backend_pid()") != first_backend
    finally:
        engine.dispose()
        admin.dispose()


def test_a_sqlite_file_is_written_ahead_and_synced_at_checkpoints(tmp_path):
    """SQLite in WAL mode with synchronous=NORMAL: a commit waits for no fsync (the
    worker commits each email's outcome on its own), and a reader does not block the
    writer (two workers, the web app)."""
    app = create_app(test_config(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'app.sqlite'}"))
    with app.app_context():
        assert db.session.scalar(sa.text("PRAGMA journal_mode")) == "wal"
        assert db.session.scalar(sa.text("PRAGMA synchronous")) == 1  # NORMAL
        db.session.remove()
