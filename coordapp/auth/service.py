"""Logging in: checking credentials and throttling repeated failures.

Every attempt is written to `LoginAttempt` so that all app processes share the
count; nothing about failures is kept in memory.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from coordapp import audit, ratelimit
from coordapp.auth import sessions
from coordapp.extensions import db
from coordapp.models import LoginAttempt, User, utcnow

# Checked against when the email is unknown, so that an unknown email takes as
# long to refuse as a wrong password (no account discovery by timing).
_DUMMY_HASH = generate_password_hash("not a real password")


class LoginOutcome(enum.Enum):
    OK = "ok"
    REFUSED = "refused"  # wrong email, wrong password or deactivated account
    THROTTLED = "throttled"


@dataclass
class LoginResult:
    outcome: LoginOutcome
    user: User | None = None


def recent_failures(*, email: str | None = None, ip: str | None = None) -> int:
    """Failed attempts inside the throttling window for this email or this IP."""
    since = utcnow() - timedelta(seconds=current_app.config["LOGIN_FAILURE_WINDOW_SECONDS"])
    query = sa.select(sa.func.count(LoginAttempt.id)).where(
        LoginAttempt.succeeded.is_(False), LoginAttempt.at >= since
    )
    if email is not None:
        query = query.where(LoginAttempt.email == email)
    if ip is not None:
        query = query.where(LoginAttempt.ip == ip)
    return db.session.scalar(query) or 0


def is_throttled(email: str, ip: str) -> bool:
    config = current_app.config
    return (
        recent_failures(email=email) >= config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
        or recent_failures(ip=ip) >= config["LOGIN_MAX_FAILURES_PER_IP"]
    )


def _claim_attempt(email: str, ip: str) -> LoginAttempt | None:
    """Count and record this attempt in one locked step; None if it is throttled.

    The attempt is recorded as failed until its password proves right, so that of many
    parallel attempts no more than the limit get to check a password."""
    ratelimit.lock_for_counting("login-attempts")
    throttled = is_throttled(email, ip)
    attempt = LoginAttempt(email=email[:254], ip=ip[:64], succeeded=False)
    db.session.add(attempt)
    db.session.commit()
    return None if throttled else attempt


def attempt_login(email: str, password: str, ip: str | None) -> LoginResult:
    """Check the credentials unless this account or IP is throttled; record the attempt.

    A throttled attempt counts as a failure too and never looks at the password.
    """
    email = User.normalise_email(email)
    ip = ip or "unknown"
    attempt = _claim_attempt(email, ip)
    if attempt is None:
        return LoginResult(LoginOutcome.THROTTLED)

    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        ok = False
    else:
        ok = user.check_password(password) and user.active
    if not ok:
        return LoginResult(LoginOutcome.REFUSED)
    attempt.succeeded = True
    db.session.commit()
    return LoginResult(LoginOutcome.OK, user)


def change_password(user: User, new_password: str) -> None:
    """Set a new password and end every session of the account, on every device."""
    user.set_password(new_password)
    sessions.end_all_sessions(user)
    audit.record("password_changed", user, user_id=user.id)
    db.session.commit()


def set_language(user: User, language: str | None) -> None:
    """The interface language `user` chose; None: as their browser asks."""
    if user.language != language:
        audit.record(
            "language_changed", user, changes={"language": [user.language, language]}, by=user
        )
        user.language = language
