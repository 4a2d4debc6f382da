"""Periodic jobs of logging in: forgetting old login attempts and ended sessions."""

from __future__ import annotations

from datetime import timedelta

from coordapp.auth import sessions
from coordapp.extensions import db
from coordapp.jobs import crontab, periodic_task
from coordapp.models import LoginAttempt, utcnow


@periodic_task(crontab(minute="17", hour="*"))
def purge_old_login_attempts() -> int:
    """Login attempts matter for throttling only for a while; keep a day for review."""
    cutoff = utcnow() - timedelta(days=1)
    result = db.session.execute(db.delete(LoginAttempt).where(LoginAttempt.at < cutoff))
    db.session.commit()
    return result.rowcount or 0


@periodic_task(crontab(minute="29", hour="*"))
def purge_ended_login_sessions() -> int:
    """Login sessions that expired or were ended a day ago are of no use to anyone."""
    removed = sessions.purge_ended_sessions(timedelta(days=1))
    db.session.commit()
    return removed
