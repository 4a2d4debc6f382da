"""Taking the database's write lock before reading what a transaction will write over.

PostgreSQL locks rows with SELECT ... FOR UPDATE. SQLite ignores FOR UPDATE, and pysqlite
opens a transaction only before the first write, so two requests can both read "one seat
left" and both take it. `lock_for_writing` closes that gap on SQLite.
"""

from __future__ import annotations

from sqlalchemy.orm import Session


def lock_for_writing(session: Session) -> None:
    """On SQLite, take the database's write lock now (BEGIN IMMEDIATE): what this
    transaction reads next stays true until it commits, and another writer waits for that
    (up to the driver's busy timeout). On PostgreSQL, nothing: lock rows FOR UPDATE.

    A transaction pysqlite has already opened began with a write, which holds the lock."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    if not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
