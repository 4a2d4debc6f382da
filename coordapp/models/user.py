"""Accounts, roles and login throttling."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from coordapp.models.base import Base, UTCDateTime, check_in, enum_column, utcnow


class Role(enum.Enum):
    MEMBER = "member"
    SECRETARIAT = "secretariat"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.MEMBER: _l("Member"),
    Role.SECRETARIAT: _l("Secretariat"),
    Role.ADMIN: _l("Administrator"),
}

# Each role includes the rights of the ones before it.
ROLE_RANK = {Role.MEMBER: 0, Role.SECRETARIAT: 1, Role.ADMIN: 2}


class User(UserMixin, Base):
    __tablename__ = "users"
    __table_args__ = (check_in("role", Role, "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased: unique regardless of how it was typed.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role), default=Role.MEMBER)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    contact_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="SET NULL")
    )
    # The interface language they chose; None: as their browser asks.
    language: Mapped[str | None] = mapped_column(sa.String(10))

    contact = relationship("Contact", foreign_keys=[contact_id])

    @staticmethod
    def normalise_email(email: str) -> str:
        return email.strip().lower()

    def set_password(self, password: str) -> None:
        method = (
            current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
            if has_app_context()
            else "scrypt"
        )
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    # Flask-Login: a deactivated user is logged out and cannot log in.
    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return bool(self.active)

    # The token of the login session this object was loaded for (coordapp/auth/sessions.py):
    # what Flask-Login keeps in the session and "remember me" cookies. Not a column.
    login_token = None

    def get_id(self) -> str:
        if not self.login_token:
            raise RuntimeError("start a login session (auth.sessions.start_session) first")
        return self.login_token

    def has_role(self, role: Role) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[role]

    @property
    def is_secretariat(self) -> bool:
        return self.has_role(Role.SECRETARIAT)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class LoginAttempt(Base):
    """One login try; kept in the database so every app process sees the same count."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        sa.Index("ix_login_attempts_email_at", "email", "at"),
        sa.Index("ix_login_attempts_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    ip: Mapped[str] = mapped_column(sa.String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    succeeded: Mapped[bool] = mapped_column(default=False)


class LoginSession(Base):
    """One login on one device. The session and "remember me" cookies carry its token
    (only a hash is stored), so the server can end it: at logout, at a password change,
    when the account is deactivated or reactivated, and when it expires."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
