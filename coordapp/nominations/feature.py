"""Nominations: organisations asked to name their delegates, through their focal point."""

from flask_babel import lazy_gettext as _l

from coordapp.feature import Feature, Section
from coordapp.invitations import organisations
from coordapp.nominations import notifications, routes, service, tasks

FEATURE = Feature(
    name="nominations",
    blueprints=[routes.bp],
    emails=notifications.WRITERS,
    sweeps={"nomination_letter": tasks.requeue_expired},
    audit_labels={
        "nominations.ask": _l("Asked organisations to nominate delegates"),
        "nominations.nominate": _l("Nominated a delegate"),
        "nominations.contact_create": _l("Added a nominated person to the directory"),
        "nominations.withdraw": _l("Withdrew a nominee"),
        "nominations.remind": _l("Reminded focal points to nominate"),
    },
    meeting_sections=[Section("nominations/_meeting_section.html", service.meeting_section)],
    # The invitations page groups by organisation and reminds the silent focal points.
    hooks={
        organisations.ASKED_TO_NOMINATE: service.asked_to_nominate,
        organisations.REMIND_FOCAL_POINTS: service.remind_silent,
    },
)
