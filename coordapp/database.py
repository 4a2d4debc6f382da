"""How the app uses its database connections, set up once in `create_app`.

- SQLite checks foreign keys only when each connection asks for it.
- A pooled connection is pinged before use only after sitting idle a while.
- A request whose transaction only read ends it with COMMIT, not ROLLBACK.

Why the last one: psycopg prepares a statement (PostgreSQL then parses and plans it
once per connection, not on every execution) after a connection has run it a few times,
and it forgets every prepared statement on ROLLBACK. A request that only reads leaves
its transaction open and Flask-SQLAlchemy ends it with a rollback, so before this no
statement ever reached the threshold: PostgreSQL planned each of them every time. On the
RSVP page, whose first query joins six tables, that planning was most of what the
database spent per answer (bench/rsvp_burst.py). Committing a transaction that wrote
nothing changes no data; a transaction that wrote anything (a flush, or any statement
other than a SELECT) and was not committed by its view is still rolled back, as before.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from coordapp.extensions import db

log = logging.getLogger(__name__)

# Counted per DBAPI connection (pool record `info`, kept across checkouts): statements
# that may change something. A transaction read only when this did not move during it.
WRITES = "coordapp_writes"
# Statements that never change data. Anything else counts as a write (INSERT, UPDATE,
# DELETE, a CTE that might hold one, SET, DDL…): the safe side is a rollback.
_READS = ("select", "begin", "savepoint", "release savepoint")


def register(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    _enforce_foreign_keys_on_sqlite(engine)
    _write_ahead_log_on_sqlite(engine)
    _ping_idle_connections(engine, app.config.get("DATABASE_PING_AFTER_IDLE_SECONDS", 10))
    _count_writes(engine)

    @app.teardown_request
    def _end_read_only_transaction(error: BaseException | None) -> None:
        if error is None:
            commit_if_read_only(db.session())


def commit_if_read_only(session: Session) -> bool:
    """End the session's transaction with COMMIT when it only read; True if it did."""
    transaction = session.get_transaction()
    if transaction is None or not transaction.is_active:
        return False
    if session.new or session.dirty or session.deleted:
        return False  # changes not flushed yet: committing would write them
    began = session.info.get(WRITES)
    if not began or any(conn.info.get(WRITES, 0) != n for conn, n in began):
        return False
    try:
        session.commit()
    except sa.exc.SQLAlchemyError:
        # Nothing was to be saved; the connection's problem shows on the next request.
        log.warning("could not end a read-only transaction", exc_info=True)
        session.rollback()
        return False
    return True


@sa.event.listens_for(Session, "after_begin")
def _note_writes_at_begin(session: Session, transaction, connection: sa.Connection) -> None:
    # The session's transaction begins on this connection (also when it joins a test's
    # outer transaction as a savepoint): its writes are those counted from here on.
    if transaction.parent is None:
        session.info[WRITES] = []
    session.info.setdefault(WRITES, []).append((connection, connection.info.get(WRITES, 0)))


def _count_writes(engine: sa.Engine) -> None:
    @sa.event.listens_for(engine, "before_cursor_execute")
    def _count(conn, cursor, statement: str, parameters, context, executemany) -> None:
        if not statement.lstrip()[:17].lower().startswith(_READS):
            conn.info[WRITES] = conn.info.get(WRITES, 0) + 1


def _enforce_foreign_keys_on_sqlite(engine: sa.Engine) -> None:
    """SQLite checks foreign keys (and runs their ON DELETE actions) only when each
    connection asks for it; PostgreSQL always does. Migrations turn it off while they
    rebuild tables (migrations/env.py)."""
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _foreign_keys_on(dbapi_connection, record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def _write_ahead_log_on_sqlite(engine: sa.Engine) -> None:
    """SQLite in write-ahead-log mode, syncing the disk at checkpoints, not at every
    commit (SQLite's recommended setting for WAL).

    In the default rollback-journal mode with synchronous=FULL every commit waits for
    two fsyncs (~10 ms here), and a reader blocks the writer: the worker commits each
    email's outcome on its own right after the mail server took it (coordapp/mail/
    delivery.py), so that wait was most of its time per email and two workers queued
    behind each other's locks (bench/deliver.py). With WAL readers and the writer do not
    block each other, and with synchronous=NORMAL a commit is durable against a crash
    of the app (a killed worker loses nothing it committed); only a power cut or an OS
    crash may lose the last commits before the next checkpoint, never corrupt the file.
    The mode is stored in the file; synchronous is per connection."""
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return

    @sa.event.listens_for(engine, "connect")
    def _wal(dbapi_connection, record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def _ping_idle_connections(engine: sa.Engine, idle_limit: float) -> None:
    """Check a pooled connection before use only when it has been idle a while.

    SQLAlchemy's pool_pre_ping costs a round trip (and a wake-up of the database
    backend) before the first query of every request; on the busiest pages (an RSVP
    answer is two requests of 2 and 4 statements) that is a fifth of their round trips.
    A connection that was in use a few seconds ago is alive unless the database
    restarted in between, and then the query fails, SQLAlchemy sees the disconnection
    and replaces the whole pool: one request errs, as it could with a ping too. A
    connection idle for longer (server or firewall timeouts, a restart overnight) is
    pinged when checked out and, if dead, replaced before the request sees it."""

    @sa.event.listens_for(engine, "checkin")
    def _note_idle_since(dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, proxy):
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < idle_limit:
            return  # new, or in use moments ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            if engine.dialect.is_disconnect(error, dbapi_connection, None):
                # The pool drops this connection and checks out a fresh one.
                raise sa.exc.DisconnectionError() from error
            raise


def rows_from_json(
    rows: Sequence[Mapping[str, Any]], columns: Mapping[str, sa.types.TypeEngine]
) -> sa.Select:
    """`rows` as a SELECT of `columns` (Integer, String or JSON), sent to the database as
    ONE JSON parameter that it unpacks itself (SQLite `json_each`, PostgreSQL
    `json_to_recordset`). For `INSERT … SELECT` of thousands of rows: the statement's
    text and parameters do not grow with the rows. A multi-row VALUES of 10,000 rows is
    tens of thousands of parameters that the driver converts one by one (psycopg took
    seconds), and an executemany is as many executions."""
    data = sa.bindparam(None, list(rows), type_=sa.JSON, unique=True)
    for name, type_ in columns.items():
        if not isinstance(type_, sa.JSON | sa.Integer | sa.String):
            raise TypeError(f"rows_from_json: no conversion for {name}'s type {type_!r}")
    if db.session.get_bind().dialect.name == "postgresql":
        # Parsed once, straight into typed columns.
        row = (
            sa.func.json_to_recordset(data)
            .table_valued(*(sa.column(name, type_) for name, type_ in columns.items()))
            .render_derived(name="row", with_types=True)
        )
        return sa.select(*(row.c[name] for name in columns))
    row = sa.func.json_each(data).table_valued("value").alias("row")
    selected = []
    for name, type_ in columns.items():
        # An object comes back as its JSON text, a JSON null as NULL.
        value = sa.func.json_extract(row.c.value, f"$.{name}")
        if isinstance(type_, sa.JSON):
            selected.append(sa.type_coerce(value, type_).label(name))
        else:
            selected.append(sa.cast(value, type_).label(name))
    return sa.select(*selected).select_from(row)


def same_for_every_row(table: sa.Table, values: Mapping[str, Any]) -> list[sa.Label]:
    """`values` as labelled constant columns of `table`'s types, to add to the SELECT of
    an `INSERT … SELECT` (what every inserted row has in common)."""
    return [sa.literal(value, table.c[name].type).label(name) for name, value in values.items()]
