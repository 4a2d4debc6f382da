"""Logging in and out, one's own password and language, login sessions."""

from flask_babel import lazy_gettext as _l

from coordapp.auth import routes, tasks
from coordapp.feature import Feature

FEATURE = Feature(
    name="auth",
    blueprints=[routes.bp],
    periodic_tasks=[tasks.purge_old_login_attempts, tasks.purge_ended_login_sessions],
    audit_labels={
        "auth.password_change": _l("Changed the password"),
        "auth.language_change": _l("Changed the interface language"),
    },
)
