"""Logging in: checking credentials and throttling repeated failures.

Every attempt is written to `LoginAttempt` so that all app processes share the
count; nothing about failures is kept in memory.

Failures are counted per (address, account) with a low limit (5 in 15 minutes), per
account from all addresses with a much higher one, and per address across accounts:
someone who knows the secretariat's email can pause logging in to it from their own
address, not from the secretariat's.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from coordapp import audit, ratelimit
from coordapp.auth import sessions
from coordapp.errors import DomainError
from coordapp.extensions import db
from coordapp.models import LoginAttempt, User, utcnow

# The one password rule, for the forms and for `flask create-user` (check_new_password).
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1000
PASSWORD_TOO_SHORT = _l("The password must have at least %(min)d characters.")
PASSWORD_TOO_LONG = _l("The password must have at most %(max)d characters.")


class PasswordRuleError(DomainError):
    status = 400


def check_new_password(password: str) -> None:
    """Refuse a new password the forms would refuse (PasswordRuleError says why)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordRuleError(str(PASSWORD_TOO_SHORT % {"min": MIN_PASSWORD_LENGTH}))
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordRuleError(str(PASSWORD_TOO_LONG % {"max": MAX_PASSWORD_LENGTH}))


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


def recent_failures(
    *, email: str | None = None, ip: str | None = None, session: Session | None = None
) -> int:
    """Failed attempts inside the throttling window for this email or this IP."""
    since = utcnow() - timedelta(seconds=current_app.config["LOGIN_FAILURE_WINDOW_SECONDS"])
    query = sa.select(sa.func.count(LoginAttempt.id)).where(
        LoginAttempt.succeeded.is_(False), LoginAttempt.at >= since
    )
    if email is not None:
        query = query.where(LoginAttempt.email == email)
    if ip is not None:
        query = query.where(LoginAttempt.ip == ip)
    return (session or db.session).scalar(query) or 0


def is_throttled(email: str, ip: str, session: Session | None = None) -> bool:
    """Too many recent failures for this account from this address, for this account
    from everywhere, or from this address (one query)."""
    config = current_app.config
    since = utcnow() - timedelta(seconds=config["LOGIN_FAILURE_WINDOW_SECONDS"])
    same_account, same_address = LoginAttempt.email == email, LoginAttempt.ip == ip
    both, account, address = (
        (session or db.session)
        .execute(
            sa.select(
                sa.func.count().filter(same_account, same_address),
                sa.func.count().filter(same_account),
                sa.func.count().filter(same_address),
            ).where(
                LoginAttempt.succeeded.is_(False),
                LoginAttempt.at >= since,
                sa.or_(same_account, same_address),
            )
        )
        .one()
    )
    return (
        both >= config["LOGIN_MAX_FAILURES_PER_ADDRESS_AND_ACCOUNT"]
        or account >= config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
        or address >= config["LOGIN_MAX_FAILURES_PER_IP"]
    )


def _claim_attempt(email: str, ip: str) -> int | None:
    """Count and record this attempt in one locked step of its own (committed at once,
    whatever the request does next); the attempt's id, or None if it is throttled.

    The attempt is recorded as failed until its password proves right, so that of many
    parallel attempts no more than the limit get to check a password."""
    with ratelimit.counting("login-attempts") as session:
        throttled = is_throttled(email, ip, session)
        attempt = LoginAttempt(email=email[:254], ip=ip[:64], succeeded=False)
        session.add(attempt)
        session.flush()
        attempt_id = attempt.id
    return None if throttled else attempt_id


def attempt_login(email: str, password: str, ip: str | None) -> LoginResult:
    """Check the credentials unless this account or IP is throttled; record the attempt.

    A throttled attempt counts as a failure too and never looks at the password.
    """
    email = User.normalise_email(email)
    ip = ip or "unknown"
    attempt_id = _claim_attempt(email, ip)
    if attempt_id is None:
        return LoginResult(LoginOutcome.THROTTLED)

    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        ok = False
    else:
        ok = user.check_password(password) and user.active
    if not ok:
        return LoginResult(LoginOutcome.REFUSED)
    db.session.execute(
        sa.update(LoginAttempt).where(LoginAttempt.id == attempt_id).values(succeeded=True)
    )
    db.session.commit()
    return LoginResult(LoginOutcome.OK, user)


def change_password(user: User, new_password: str) -> None:
    """Set a new password and end every session of the account, on every device."""
    user.set_password(new_password)
    sessions.end_all_sessions(user)
    audit.record("auth.password_change", user, user_id=user.id)
    db.session.commit()


def set_language(user: User, language: str | None) -> None:
    """The interface language `user` chose; None: as their browser asks."""
    if user.language != language:
        audit.record(
            "auth.language_change", user, changes={"language": [user.language, language]}, by=user
        )
        user.language = language
