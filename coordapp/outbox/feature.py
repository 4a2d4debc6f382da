"""The outgoing-mail page (the outbox itself is infrastructure: coordapp/mail/)."""

from flask_babel import lazy_gettext as _l

from coordapp.feature import Feature
from coordapp.mail import tasks
from coordapp.outbox import routes

FEATURE = Feature(
    name="outbox",
    blueprints=[routes.bp],
    periodic_tasks=[tasks.sweep_outbox],
    sweeps={"mail": tasks.requeue_expired},
    audit_labels={
        "outbox.retry": _l("Retried sending an email"),
    },
)
