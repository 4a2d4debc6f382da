"""The minutes PDF: rendered and signed by the worker, downloaded by participants."""

from coordapp.approval import service as approval
from coordapp.feature import Feature, Section
from coordapp.minutes_pdf import routes, signing, tasks

FEATURE = Feature(
    name="minutes_pdf",
    blueprints=[routes.bp],
    sweeps={
        "minutes_pdf": tasks.requeue_expired_renderings,
        "signatures": tasks.requeue_expired_signatures,
    },
    hooks={
        approval.RENDER_PDF: tasks.render_minutes_pdf,
        approval.SIGN_APPROVAL: tasks.sign_approval,
    },
    rsvp_sections=[
        Section(
            "minutes_pdf/_rsvp_downloads.html",
            lambda invitation: signing.downloadable_versions(invitation.meeting),
        )
    ],
)
