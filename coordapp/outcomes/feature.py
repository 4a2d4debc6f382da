"""Public summaries of meetings and their feed."""

from flask_babel import lazy_gettext as _l

from coordapp.feature import Feature
from coordapp.outcomes import routes

FEATURE = Feature(
    name="outcomes",
    blueprints=[routes.bp],
    audit_labels={
        "outcomes.summary_draft": _l("Started the public summary"),
        "outcomes.summary_edit": _l("Edited the public summary"),
        "outcomes.summary_publish": _l("Published the public summary"),
        "outcomes.summary_unpublish": _l("Unpublished the public summary"),
    },
)
