"""The chairs' approval of the minutes."""

from flask_babel import lazy_gettext as _l

from coordapp.approval import notifications, routes
from coordapp.feature import Feature, Section

FEATURE = Feature(
    name="approval",
    blueprints=[routes.bp],
    emails=notifications.WRITERS,
    audit_labels={
        "minutes_submitted": _l("Submitted the minutes for approval"),
        "minutes_approved_by_chair": _l("Approved the minutes (chair)"),
        "minutes_returned": _l("Returned the minutes"),
        "minutes_approved": _l("Approved the minutes"),
        "minutes_superseded": _l("Superseded the minutes"),
        "minutes_amendment_created": _l("Created an amendment to the minutes"),
    },
    meeting_sections=[Section("approval/_meeting_section.html", routes.meeting_section)],
)
