"""The chairs' approval of the minutes."""

from flask_babel import lazy_gettext as _l

from coordapp.approval import notifications, routes
from coordapp.feature import Feature, Section

FEATURE = Feature(
    name="approval",
    blueprints=[routes.bp],
    emails=notifications.WRITERS,
    audit_labels={
        "approval.submit": _l("Submitted the minutes for approval"),
        "approval.chair_approve": _l("Approved the minutes (chair)"),
        "approval.return": _l("Returned the minutes"),
        "approval.approve": _l("Approved the minutes"),
        "approval.supersede": _l("Superseded the minutes"),
        "approval.amend": _l("Created an amendment to the minutes"),
    },
    meeting_sections=[Section("approval/_meeting_section.html", routes.meeting_section)],
)
