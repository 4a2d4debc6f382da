"""Background tasks. Later capabilities add theirs here (or import them here)."""

from __future__ import annotations

from datetime import timedelta

from coordapp.agenda import tasks as agenda_tasks  # noqa: F401
from coordapp.extensions import db
from coordapp.invitations import reminders  # noqa: F401
from coordapp.jobs import crontab, periodic_task
from coordapp.mail import tasks as mail_tasks  # noqa: F401  (registers the mail jobs)
from coordapp.minutes_pdf import tasks as minutes_pdf_tasks  # noqa: F401
from coordapp.models import LoginAttempt, utcnow
from coordapp.verify import tasks as verify_tasks  # noqa: F401


@periodic_task(crontab(minute="17", hour="*"))
def purge_old_login_attempts() -> int:
    """Login attempts matter for throttling only for a while; keep a day for review."""
    cutoff = utcnow() - timedelta(days=1)
    result = db.session.execute(db.delete(LoginAttempt).where(LoginAttempt.at < cutoff))
    db.session.commit()
    return result.rowcount or 0
