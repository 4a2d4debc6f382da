"""Hits counted for rate limits, kept in the database so all app processes agree."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from coordapp.models.base import Base, UTCDateTime, utcnow


class RateLimitHit(Base):
    __tablename__ = "rate_limit_hits"
    __table_args__ = (sa.Index("ix_rate_limit_hits_bucket_key_at", "bucket", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bucket: Mapped[str] = mapped_column(sa.String(64))
    key: Mapped[str] = mapped_column(sa.String(128))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
