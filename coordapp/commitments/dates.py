"""Due dates of commitments: a day, or a quarter ("Q2 2027") kept as its last day."""

from __future__ import annotations

import calendar
import re
from datetime import date

import sqlalchemy as sa

from coordapp.models import Commitment, CommitmentStatus, utcnow

ACTIVE_STATUSES = (CommitmentStatus.OPEN, CommitmentStatus.IN_PROGRESS)
# "Q2 2027", nothing more and nothing less.
QUARTER_TEXT = re.compile(r"^Q([1-4]) (\d{4})$")


def parse_quarter(text: str) -> tuple[int, int]:
    """(quarter, year) from "Q2 2027"; ValueError for anything else."""
    match = QUARTER_TEXT.match(text or "")
    if not match:
        raise ValueError(text)
    quarter, year = int(match.group(1)), int(match.group(2))
    if not 1900 <= year <= 9999:
        raise ValueError(text)
    return quarter, year


def quarter_last_day(quarter: int, year: int) -> date:
    month = quarter * 3
    return date(year, month, calendar.monthrange(year, month)[1])


def quarter_text(commitment: Commitment) -> str | None:
    if commitment.due_quarter and commitment.due_date:
        return f"Q{commitment.due_quarter} {commitment.due_date.year}"
    return None


def today() -> date:
    return utcnow().date()


def is_overdue(commitment: Commitment, on: date | None = None) -> bool:
    return overdue(commitment.due_date, commitment.status, on or today())


def overdue(due_date: date | None, status: CommitmentStatus, on: date) -> bool:
    """Open or in progress, and due before `on` (`overdue_condition` in SQL)."""
    return due_date is not None and due_date < on and status in ACTIVE_STATUSES


def overdue_condition(on: date | None = None):
    return sa.and_(
        Commitment.due_date.is_not(None),
        Commitment.due_date < (on or today()),
        Commitment.status.in_(ACTIVE_STATUSES),
    )
