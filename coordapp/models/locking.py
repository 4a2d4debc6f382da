"""Taking the database's write lock before reading what a transaction will write over.

PostgreSQL locks rows with SELECT ... FOR UPDATE. SQLite ignores FOR UPDATE, and pysqlite
opens a transaction only before the first write, so two requests can both read "one seat
left" and both take it. `lock_for_writing` closes that gap on SQLite.
"""

from __future__ import annotations

import sqlalchemy as sa
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


# Rows this session's transaction has already locked (by (class, primary key)): a loader
# that locked a row while reading it (one query instead of a read and then a lock) notes
# it, and whoever would lock it again finds it in the identity map instead. Forgotten at
# the end of any transaction or savepoint (a rolled-back savepoint releases the locks
# taken in it; forgetting too early only costs one more SELECT ... FOR UPDATE).
_LOCKED = "coordapp_locked_rows"
EXCLUSIVE = "exclusive"  # FOR UPDATE (or, on SQLite, the database's write lock)
SHARED = "shared"  # FOR SHARE: nobody else changes the row; others may share it


def note_locked(session: Session, obj, mode: str = EXCLUSIVE) -> None:
    """`obj` was read with SELECT ... FOR UPDATE (EXCLUSIVE) or FOR SHARE (SHARED), after
    `lock_for_writing`, in the session's current transaction: its attributes are as of
    that read and stay true until the transaction ends."""
    session.info.setdefault(_LOCKED, {})[(type(obj), obj.id)] = mode


def already_locked(session: Session, cls, ident: int) -> tuple[object, str] | None:
    """(the `cls` row `ident`, how it is locked) if this transaction locked and read it."""
    mode = session.info.get(_LOCKED, {}).get((cls, ident))
    if mode is None:
        return None
    obj = session.identity_map.get(session.identity_key(cls, ident))
    return None if obj is None else (obj, mode)


def lock_row(session: Session, obj) -> None:
    """Lock `obj`'s row until commit and read it afresh (FOR UPDATE on PostgreSQL; the
    database's write lock on SQLite), unless this transaction already did: what a change
    then decides from the row is what the last committed change left, and two requests
    changing one row (two tabs, two people) apply their changes one after the other,
    each whole, never mixed. Lock a row's parent (its meeting) before the row, as
    every other change does, so that no two wait for each other in a circle."""
    if obj.id is None or already_locked(session, type(obj), obj.id) is not None:
        return
    lock_for_writing(session)
    # Read (not only executed): the ORM refreshes `obj` as it reads the row.
    session.scalars(
        sa.select(type(obj))
        .where(type(obj).id == obj.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    note_locked(session, obj, EXCLUSIVE)


def take_turns(session: Session, key: str, ident: int) -> None:
    """Until commit, one transaction at a time per (`key`, `ident`) gets past this point
    (PostgreSQL: a transaction-level advisory lock; SQLite: `lock_for_writing` already
    made every writer wait for the others)."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext(key), ident)))


@event.listens_for(Session, "after_transaction_end")
def _forget_locks(session: Session, transaction) -> None:
    session.info.pop(_LOCKED, None)
