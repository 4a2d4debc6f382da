"""The network's periodic report: page, CSV and PDF."""

from flask_babel import lazy_gettext as _l

from coordapp.feature import Feature
from coordapp.reports import routes, tasks

FEATURE = Feature(
    name="reports",
    blueprints=[routes.bp],
    sweeps={"report_pdf": tasks.requeue_expired},
    audit_labels={
        "reports.pdf_request": _l("Requested a PDF of the periodic report"),
    },
)
