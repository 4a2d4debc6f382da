"""Public summaries of meetings and their feed."""

from flask_babel import lazy_gettext as _l

from coordapp.feature import Feature
from coordapp.outcomes import routes

FEATURE = Feature(
    name="outcomes",
    blueprints=[routes.bp],
    audit_labels={
        "outcome_summary.draft": _l("Started the public summary"),
        "outcome_summary.edit": _l("Edited the public summary"),
        "outcome_summary.publish": _l("Published the public summary"),
        "outcome_summary.unpublish": _l("Unpublished the public summary"),
    },
)
