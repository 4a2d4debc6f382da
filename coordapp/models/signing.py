"""The signing CA and the chairs' signing identities (certificate + encrypted private key).

Both live in the database, not on disk, because every app process and worker must be able
to sign. Private keys are stored as encrypted PKCS#8 PEM (see coordapp.signing.ca).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from coordapp.models.base import Base, UTCDateTime, utcnow


class SigningAuthority(Base):
    """A CA created by `flask signing init-ca`. At most one is active; retired ones are
    kept so that PDFs signed under them still verify."""

    __tablename__ = "signing_authorities"
    __table_args__ = (
        sa.Index(
            "uq_signing_authorities_one_active",
            "active",
            unique=True,
            sqlite_where=sa.text("active"),
            postgresql_where=sa.text("active"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    subject: Mapped[str] = mapped_column(sa.String(500))
    certificate_pem: Mapped[str] = mapped_column(sa.Text)
    encrypted_key_pem: Mapped[str] = mapped_column(sa.Text)
    active: Mapped[bool] = mapped_column(default=True)

    def __repr__(self) -> str:
        return f"<SigningAuthority {self.subject}>"


class SigningIdentity(Base):
    """A chair's certificate issued by the CA, reused for every signature until it is
    replaced (CA changed, certificate near expiry, name or email changed)."""

    __tablename__ = "signing_identities"
    __table_args__ = (
        sa.Index(
            "uq_signing_identities_user_id_active",
            "user_id",
            unique=True,
            sqlite_where=sa.text("active"),
            postgresql_where=sa.text("active"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    certificate_pem: Mapped[str] = mapped_column(sa.Text)
    encrypted_key_pem: Mapped[str] = mapped_column(sa.Text)
    # Certificate serial number in hex (up to 20 bytes: too big for an integer column).
    serial: Mapped[str] = mapped_column(sa.String(40))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<SigningIdentity user={self.user_id} serial={self.serial}>"
