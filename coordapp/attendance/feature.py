"""Attendance on the day: who is present, walk-ins, counts."""

from flask_babel import lazy_gettext as _l

from coordapp.attendance import routes
from coordapp.feature import Feature, Section

FEATURE = Feature(
    name="attendance",
    blueprints=[routes.bp],
    audit_labels={
        "attendance.update": _l("Updated the attendance"),
        "attendance.walk_in": _l("Added a walk-in"),
    },
    meeting_sections=[Section("attendance/_meeting_section.html")],
)
