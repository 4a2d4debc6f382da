"""User accounts and their roles."""

from flask_babel import lazy_gettext as _l

from coordapp.admin import routes
from coordapp.feature import Feature

FEATURE = Feature(
    name="admin",
    blueprints=[routes.bp],
    audit_labels={
        "admin.user_create": _l("Created a user"),
        "admin.user_update": _l("Edited a user"),
        "admin.user_deactivate": _l("Deactivated a user"),
        "admin.user_reactivate": _l("Reactivated a user"),
    },
)
