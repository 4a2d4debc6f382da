"""Managing accounts: the rules an administrator works within."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from coordapp import audit
from coordapp.auth import sessions
from coordapp.auth.service import check_new_password
from coordapp.errors import DomainError
from coordapp.extensions import db
from coordapp.models import Contact, Role, User
from coordapp.models.locking import lock_row

AUDITED_FIELDS = ["email", "name", "role", "active"]


class AccountRuleError(DomainError):
    """A change an administrator may not make; the message says why."""


def email_taken(email: str, except_user: User | None = None) -> bool:
    query = sa.select(User.id).where(User.email == User.normalise_email(email))
    if except_user is not None:
        query = query.where(User.id != except_user.id)
    return db.session.scalar(query) is not None


def create_user(
    email: str,
    name: str,
    role: Role,
    password: str,
    *,
    by: User | None = None,
    note: str | None = None,
) -> User:
    """Add an account (flushed, not committed); the caller commits. The password must
    follow the app's rule (PasswordRuleError otherwise); `by` None is the system (the
    command line: `note` says so)."""
    check_new_password(password)
    user = User(email=User.normalise_email(email), name=name.strip(), role=role, active=True)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record(
        "admin.user_create",
        user,
        changes={
            field: [None, value] for field, value in audit.snapshot(user, AUDITED_FIELDS).items()
        },
        by=by,
        note=note,
    )
    return user


def _lock_accounts(admin: User, user: User) -> None:
    """Lock the acting administrator's account and the one changed until commit (in id
    order: two administrators changing each other wait for each other, never in a
    circle) and read both afresh. Refused if the acting account is no longer an active
    administrator, as another administrator made it meanwhile: two administrators
    removing each other at once leave one."""
    for account in sorted({admin.id: admin, user.id: user}.values(), key=lambda a: a.id):
        lock_row(db.session, account)
    if admin.role is not Role.ADMIN or not admin.active:
        raise AccountRuleError(_l("You do not have permission to do this."))


def update_user(admin: User, user: User, name: str, role: Role) -> dict:
    """Change name and role; returns the audited differences (empty if nothing changed)."""
    _lock_accounts(admin, user)
    if user.id == admin.id and role is not Role.ADMIN:
        raise AccountRuleError(_l("You cannot remove your own administrator role."))
    before = audit.snapshot(user, AUDITED_FIELDS)
    user.name = name.strip()
    user.role = role
    changes = audit.diff(before, audit.snapshot(user, AUDITED_FIELDS))
    if changes:
        audit.record("admin.user_update", user, changes=changes, by=admin)
    return changes


def link_contact(admin: User, user: User, contact: Contact | None) -> bool:
    """Link the account to the person's directory contact (or unlink it): a chair can
    then be chosen as presenter of agenda items. Returns False when nothing changed."""
    new_id = contact.id if contact else None
    if user.contact_id == new_id:
        return False
    audit.record(
        "admin.user_update", user, changes={"contact_id": [user.contact_id, new_id]}, by=admin
    )
    user.contact_id = new_id
    return True


def set_active(admin: User, user: User, active: bool) -> bool:
    """Deactivate or reactivate an account; returns False when it already was so.

    Deactivation deletes nothing: the account simply can no longer log in, and its
    open sessions end. Reactivation starts from no sessions: old ones stay ended.
    """
    if not active and user.id == admin.id:
        raise AccountRuleError(_l("You cannot deactivate your own account."))
    _lock_accounts(admin, user)
    if user.active == active:
        return False
    user.active = active
    sessions.end_all_sessions(user)
    audit.record(
        "admin.user_reactivate" if active else "admin.user_deactivate",
        user,
        changes={"active": [not active, active]},
        by=admin,
    )
    return True
