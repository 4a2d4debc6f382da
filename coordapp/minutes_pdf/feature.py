"""The minutes PDF: rendered and signed by the worker, downloaded by participants."""

from coordapp.feature import Feature, Section
from coordapp.minutes_pdf import routes, signing, tasks

FEATURE = Feature(
    name="minutes_pdf",
    blueprints=[routes.bp],
    sweeps={
        "minutes_pdf": tasks.requeue_expired_renderings,
        "signatures": tasks.requeue_expired_signatures,
    },
    rsvp_sections=[
        Section(
            "minutes_pdf/_rsvp_downloads.html",
            lambda invitation: signing.downloadable_versions(invitation.meeting),
        )
    ],
)
