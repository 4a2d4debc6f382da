"""Login sessions that the server can end.

Each login starts a `LoginSession` with a new random token; the session cookie and the
"remember me" cookie carry the token (Flask-Login's user id), the database only its
hash. A request is logged in while its token's session is neither revoked nor expired
and the account is active. Logging out revokes that one session; a password change,
deactivation and reactivation revoke all of the account's sessions.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from coordapp.extensions import db
from coordapp.models import LoginSession, User, utcnow


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User) -> str:
    """A new login session for `user`; returns its token (also set on `user`).
    The caller commits."""
    token = secrets.token_urlsafe(32)
    lifetime = current_app.config["REMEMBER_COOKIE_DURATION"]
    db.session.add(
        LoginSession(user_id=user.id, token_hash=_hash(token), expires_at=utcnow() + lifetime)
    )
    db.session.flush()
    user.login_token = token
    return token


def user_for_token(token: str) -> User | None:
    """The active user whose live session `token` names, else None."""
    if not token or len(token) > 100:
        return None
    user = db.session.scalar(
        sa.select(User)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(
            LoginSession.token_hash == _hash(token),
            LoginSession.revoked_at.is_(None),
            LoginSession.expires_at > utcnow(),
            User.active.is_(True),
        )
    )
    if user is not None:
        user.login_token = token
    return user


def end_session(token: str | None) -> None:
    """Revoke the session `token` names (logging out). The caller commits."""
    if token:
        db.session.execute(
            sa.update(LoginSession)
            .where(LoginSession.token_hash == _hash(token), LoginSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )


def end_all_sessions(user: User) -> None:
    """Revoke every session of `user` on every device. The caller commits."""
    db.session.execute(
        sa.update(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    user.login_token = None


def purge_ended_sessions(older_than: timedelta = timedelta(days=1)) -> int:
    """Delete sessions that expired or were revoked more than `older_than` ago."""
    cutoff = utcnow() - older_than
    result = db.session.execute(
        sa.delete(LoginSession).where(
            sa.or_(LoginSession.expires_at < cutoff, LoginSession.revoked_at < cutoff)
        )
    )
    return result.rowcount or 0
