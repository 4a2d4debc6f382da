"""An uploaded CSV waiting for the user to confirm it.

Kept in the database, not in memory or on disk, so that the preview and the
confirmation may be served by different app processes.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from coordapp.models.base import Base, UTCDateTime, utcnow


class PendingImport(Base):
    __tablename__ = "pending_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    filename: Mapped[str] = mapped_column(sa.String(255))
    # The decoded text of the file (UTF-8, byte order mark removed).
    content: Mapped[str] = mapped_column(sa.Text)

    def __repr__(self) -> str:
        return f"<PendingImport {self.id} {self.filename}>"
