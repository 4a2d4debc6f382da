"""Series and meetings: their pages, forms, status and audit log."""

from flask_babel import lazy_gettext as _l

from coordapp.feature import Feature
from coordapp.meetings import routes

FEATURE = Feature(
    name="meetings",
    blueprints=[routes.bp],
    audit_labels={
        "meeting_created": _l("Created the meeting"),
        "meeting_updated": _l("Edited the meeting"),
        "status_changed": _l("Changed the status"),
        "meeting_cancelled": _l("Cancelled the meeting"),
        "series_created": _l("Created the series"),
        "series_updated": _l("Edited the series"),
    },
)
