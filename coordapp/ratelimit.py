"""Counting tries in the database: every app process sees the same counts."""

from __future__ import annotations

from datetime import timedelta

from coordapp.extensions import db
from coordapp.models import RateLimitHit, utcnow
from coordapp.models.locking import lock_for_writing, take_turns


def lock_for_counting(key: str) -> None:
    """Start a transaction holding a lock until the next commit, so that requests which
    count tries and then add one take turns (else parallel requests all see the count
    from before any of them). SQLite: BEGIN IMMEDIATE takes the database's write lock;
    PostgreSQL: a transaction-level advisory lock on `key`."""
    db.session.commit()  # what the request did so far is not part of the locked step
    lock_for_writing(db.session)
    take_turns(db.session, key, 0)


def hit_and_check(bucket: str, key: str, limit: int, window_seconds: int) -> bool:
    """Record one try for (bucket, key); True if it is within `limit` tries in the window.

    Counting and recording are one locked step, committed on its own so that the hit
    counts even when the request then fails.
    """
    lock_for_counting(f"ratelimit:{bucket}:{key}")
    since = utcnow() - timedelta(seconds=window_seconds)
    count = db.session.scalar(
        db.select(db.func.count(RateLimitHit.id)).where(
            RateLimitHit.bucket == bucket, RateLimitHit.key == key, RateLimitHit.at >= since
        )
    )
    db.session.add(RateLimitHit(bucket=bucket, key=key[:128]))
    db.session.commit()
    return count < limit


def purge_old_hits(older_than: timedelta = timedelta(days=1)) -> int:
    """Delete hits older than any window (the caller commits); returns how many."""
    result = db.session.execute(
        db.delete(RateLimitHit).where(RateLimitHit.at < utcnow() - older_than)
    )
    return result.rowcount or 0
