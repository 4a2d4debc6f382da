"""What the monitoring reads that lives nowhere else: the workers' heartbeats and the
counters of worker-side events (job durations, re-queued jobs), kept in the database so
that every web process answers /metrics and /readyz alike, whichever machine it is on."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from coordapp.models.base import Base, UTCDateTime, utcnow


class WorkerHeartbeat(Base):
    """One row per worker process, touched every few seconds while it runs."""

    __tablename__ = "worker_heartbeats"

    id: Mapped[int] = mapped_column(primary_key=True)
    worker: Mapped[str] = mapped_column(sa.String(200), unique=True)  # host:pid
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class MetricCounter(Base):
    """A monotonic counter (or a histogram's bucket, sum or count) for /metrics."""

    __tablename__ = "metric_counters"
    __table_args__ = (sa.UniqueConstraint("name", "labels"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    labels: Mapped[str] = mapped_column(sa.String(300), default="")  # k="v",k="v" sorted
    value: Mapped[float] = mapped_column(sa.Float, default=0.0)
