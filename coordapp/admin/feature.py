"""User accounts and their roles."""

from flask_babel import lazy_gettext as _l

from coordapp.admin import routes
from coordapp.feature import Feature

FEATURE = Feature(
    name="admin",
    blueprints=[routes.bp],
    audit_labels={
        "user_created": _l("Created a user"),
        "user_updated": _l("Edited a user"),
        "user_deactivated": _l("Deactivated a user"),
        "user_reactivated": _l("Reactivated a user"),
    },
)
