"""Commitments, their status and follow-up across meetings."""

from flask_babel import lazy_gettext as _l

from coordapp.commitments import notifications, routes
from coordapp.feature import Feature, Section

FEATURE = Feature(
    name="commitments",
    blueprints=[routes.bp],
    emails=notifications.WRITERS,
    audit_labels={
        "commitments.create": _l("Added a commitment"),
        "commitments.update": _l("Edited a commitment"),
        "commitments.status_update": _l("Updated a commitment's status"),
        "commitments.status_request": _l("Asked for news on a commitment"),
        "commitments.follow_up_add": _l("Added the follow-up agenda item"),
    },
    meeting_sections=[Section("commitments/_meeting_section.html")],
)
