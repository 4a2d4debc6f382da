"""Worker jobs of /verify: check an uploaded PDF, purge old checks."""

from __future__ import annotations

from coordapp.jobs import INTERACTIVE, crontab, periodic_task, task
from coordapp.verify import checks


@task(priority=INTERACTIVE)
def check_uploaded_pdf(check_id: int) -> None:
    checks.run_check(check_id)


def requeue_expired() -> list[int]:
    """Queue again the checks whose worker died; returns their ids."""
    renewed = checks.requeue_expired()
    for check_id in renewed:
        check_uploaded_pdf(check_id)
    return renewed


@periodic_task(crontab(minute="*/10"))
def purge_pdf_checks() -> int:
    return checks.purge_old_checks()
