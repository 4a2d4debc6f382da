"""Counters of worker-side events for /metrics, kept in the database (table
metric_counters) so that every web process reports the same figures whichever worker,
on whichever machine, did the work: how long each job took (a histogram per job: the
minutes' rendering and signing among them), and how many jobs the lease sweep queued
again. Written in the caller's transaction; the caller commits."""

from __future__ import annotations

import math

import sqlalchemy as sa

from coordapp.extensions import db
from coordapp.models import MetricCounter

# Seconds: a signature takes ~1 s, a long report's rendering a minute or more.
DURATION_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, math.inf)


def label_text(labels: dict[str, str]) -> str:
    """Labels as stored: `k="v",…` sorted by key (values may not hold quotes)."""
    return ",".join(f'{key}="{labels[key]}"' for key in sorted(labels))


def _add(name: str, labels: str, amount: float) -> None:
    table = MetricCounter.__table__
    updated = db.session.execute(
        sa.update(table)
        .where(table.c.name == name, table.c.labels == labels)
        .values(value=table.c.value + amount)
    ).rowcount
    if updated:
        return
    try:
        with db.session.begin_nested():
            db.session.execute(sa.insert(table).values(name=name, labels=labels, value=amount))
    except sa.exc.IntegrityError:  # another process inserted it meanwhile
        db.session.execute(
            sa.update(table)
            .where(table.c.name == name, table.c.labels == labels)
            .values(value=table.c.value + amount)
        )


def increment(name: str, labels: dict[str, str] | None = None, amount: float = 1) -> None:
    _add(name, label_text(labels or {}), amount)


def observe(name: str, labels: dict[str, str], value: float) -> None:
    """One observation of a histogram `name` (its _bucket, _sum and _count rows)."""
    for bound in DURATION_BUCKETS:
        if value <= bound:
            le = "+Inf" if bound == math.inf else repr(float(bound))
            _add(f"{name}_bucket", label_text({**labels, "le": le}), 1)
    _add(f"{name}_sum", label_text(labels), value)
    _add(f"{name}_count", label_text(labels), 1)


def read_all() -> list[tuple[str, str, float]]:
    """Every stored counter: (name, labels, value)."""
    table = MetricCounter.__table__
    return [
        tuple(row)
        for row in db.session.execute(sa.select(table.c.name, table.c.labels, table.c.value))
    ]
