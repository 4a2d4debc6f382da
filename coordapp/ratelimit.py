"""Counting tries in the database: every app process sees the same counts.

Counting runs in a transaction of its own, on a connection of its own (`counting`): the
try is recorded and committed even when the request then fails, and the request's own
work is never committed by it. Call it before the request writes anything (on SQLite a
request already holding the database's write lock would wait for itself).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy.orm import Session

from coordapp.extensions import db
from coordapp.models import RateLimitHit, utcnow
from coordapp.models.locking import lock_for_writing, take_turns


@contextmanager
def counting(key: str) -> Iterator[Session]:
    """A session with a transaction of its own, holding a lock on `key` until the block
    ends, when it commits: requests that count tries and then add one take turns (else
    parallel requests all see the count from before any of them). SQLite: BEGIN
    IMMEDIATE takes the database's write lock; PostgreSQL: a transaction-level advisory
    lock on `key`. The request's session (`db.session`) is left alone."""
    # Where db.session connects (the engine: a pooled connection of its own; in the test
    # suite, the test's connection, on which this becomes a savepoint rolled back after).
    with Session(bind=db.session.get_bind(), join_transaction_mode="create_savepoint") as own:
        with own.begin():
            lock_for_writing(own)
            take_turns(own, key, 0)
            yield own


def hit_and_check(bucket: str, key: str, limit: int, window_seconds: int) -> bool:
    """Record one try for (bucket, key); True if it is within `limit` tries in the window.

    Counting and recording are one locked step, committed on its own (`counting`) so
    that the hit counts even when the request then fails."""
    with counting(f"ratelimit:{bucket}:{key}") as session:
        since = utcnow() - timedelta(seconds=window_seconds)
        count = session.scalar(
            db.select(db.func.count(RateLimitHit.id)).where(
                RateLimitHit.bucket == bucket, RateLimitHit.key == key, RateLimitHit.at >= since
            )
        )
        session.add(RateLimitHit(bucket=bucket, key=key[:128]))
    return count < limit


def purge_old_hits(older_than: timedelta = timedelta(days=1)) -> int:
    """Delete hits older than any window (the caller commits); returns how many."""
    result = db.session.execute(
        db.delete(RateLimitHit).where(RateLimitHit.at < utcnow() - older_than)
    )
    return result.rowcount or 0
