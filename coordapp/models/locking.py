"""Taking the database's write lock before reading what a transaction will write over.

PostgreSQL locks rows with SELECT ... FOR UPDATE. SQLite ignores FOR UPDATE, and pysqlite
opens a transaction only before the first write, so two requests can both read "one seat
left" and both take it. `lock_for_writing` closes that gap on SQLite.
"""

from __future__ import annotations

from sqlalchemy import event
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


# Rows this session's transaction has already locked FOR UPDATE (by (class, primary key)):
# a loader that locked a row while reading it (one query instead of a read and then a
# lock) notes it, and whoever would lock it again finds it in the identity map instead.
# Forgotten at the end of any transaction or savepoint (a rolled-back savepoint releases
# the locks taken in it; forgetting too early only costs one more SELECT ... FOR UPDATE).
_LOCKED = "coordapp_locked_rows"


def note_locked(session: Session, obj) -> None:
    """`obj` was read with SELECT ... FOR UPDATE (after `lock_for_writing`) in the
    session's current transaction, its attributes as of that read."""
    session.info.setdefault(_LOCKED, set()).add((type(obj), obj.id))


def already_locked(session: Session, cls, ident: int):
    """The `cls` row `ident` if this transaction locked and read it, else None."""
    if (cls, ident) not in session.info.get(_LOCKED, ()):
        return None
    return session.identity_map.get(session.identity_key(cls, ident))


@event.listens_for(Session, "after_transaction_end")
def _forget_locks(session: Session, transaction) -> None:
    session.info.pop(_LOCKED, None)
