"""Series and meetings: their pages, forms, status and audit log."""

from flask_babel import lazy_gettext as _l

from coordapp.feature import Feature
from coordapp.meetings import routes

FEATURE = Feature(
    name="meetings",
    blueprints=[routes.bp],
    audit_labels={
        "meetings.create": _l("Created the meeting"),
        "meetings.update": _l("Edited the meeting"),
        "meetings.status_change": _l("Changed the status"),
        "meetings.cancel": _l("Cancelled the meeting"),
        "meetings.series_create": _l("Created the series"),
        "meetings.series_update": _l("Edited the series"),
    },
)
