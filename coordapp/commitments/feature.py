"""Commitments, their status and follow-up across meetings."""

from flask_babel import lazy_gettext as _l

from coordapp.commitments import notifications, routes
from coordapp.feature import Feature, Section

FEATURE = Feature(
    name="commitments",
    blueprints=[routes.bp],
    emails=notifications.WRITERS,
    audit_labels={
        "commitment_created": _l("Added a commitment"),
        "commitment_updated": _l("Edited a commitment"),
        "commitment_status_updated": _l("Updated a commitment's status"),
        "commitment_status_requested": _l("Asked for news on a commitment"),
        "follow_up_item_added": _l("Added the follow-up agenda item"),
    },
    meeting_sections=[Section("commitments/_meeting_section.html")],
)
