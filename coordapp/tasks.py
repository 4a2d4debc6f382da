"""Background tasks. Later capabilities add theirs here (or import them here)."""

from __future__ import annotations

from datetime import timedelta

from coordapp import ratelimit
from coordapp.agenda import tasks as agenda_tasks  # noqa: F401
from coordapp.auth import sessions
from coordapp.extensions import db
from coordapp.invitations import reminders  # noqa: F401
from coordapp.jobs import crontab, periodic_task
from coordapp.mail import tasks as mail_tasks  # noqa: F401  (registers the mail jobs)
from coordapp.minutes_pdf import tasks as minutes_pdf_tasks  # noqa: F401
from coordapp.models import LoginAttempt, utcnow
from coordapp.polls import reminders as poll_reminders  # noqa: F401
from coordapp.reports import tasks as report_tasks
from coordapp.verify import tasks as verify_tasks  # noqa: F401


@periodic_task(crontab(minute="17", hour="*"))
def purge_old_login_attempts() -> int:
    """Login attempts matter for throttling only for a while; keep a day for review."""
    cutoff = utcnow() - timedelta(days=1)
    result = db.session.execute(db.delete(LoginAttempt).where(LoginAttempt.at < cutoff))
    db.session.commit()
    return result.rowcount or 0


@periodic_task(crontab(minute="*"))
def requeue_stalled_jobs() -> dict:
    """A worker killed mid-job leaves its document or approval PENDING: once the job's
    lease (JOB_LEASE_SECONDS) has run out, queue the job again."""
    rendered, signed = minutes_pdf_tasks.requeue_expired()
    agenda = agenda_tasks.requeue_expired()
    reports = report_tasks.requeue_expired()
    return {
        "minutes_pdf": rendered,
        "signatures": signed,
        "agenda_pdf": agenda,
        "report_pdf": reports,
    }


@periodic_task(crontab(minute="23", hour="*"))
def purge_old_rate_limit_hits() -> int:
    """Wrong-link hits count for minutes only; keep a day for review, then let them go."""
    removed = ratelimit.purge_old_hits(timedelta(days=1))
    db.session.commit()
    return removed


@periodic_task(crontab(minute="29", hour="*"))
def purge_ended_login_sessions() -> int:
    """Login sessions that expired or were ended a day ago are of no use to anyone."""
    removed = sessions.purge_ended_sessions(timedelta(days=1))
    db.session.commit()
    return removed
