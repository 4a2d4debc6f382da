"""Counting tries in the database: every app process sees the same counts."""

from __future__ import annotations

from datetime import timedelta

from coordapp.extensions import db
from coordapp.models import RateLimitHit, utcnow


def hit_and_check(bucket: str, key: str, limit: int, window_seconds: int) -> bool:
    """Record one try for (bucket, key); True if it is within `limit` tries in the window.

    The hit is committed on its own so that it counts even when the request then fails.
    """
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
    result = db.session.execute(
        db.delete(RateLimitHit).where(RateLimitHit.at < utcnow() - older_than)
    )
    return result.rowcount or 0
