"""Checking a minutes PDF's signatures at /verify."""

from coordapp.feature import Feature
from coordapp.verify import routes, tasks

FEATURE = Feature(
    name="verify",
    blueprints=[routes.bp],
    periodic_tasks=[tasks.purge_pdf_checks],
    sweeps={"pdf_checks": tasks.requeue_expired},
)
