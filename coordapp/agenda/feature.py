"""The agenda: items, presenters, attachments, order, print view and PDF."""

from flask_babel import lazy_gettext as _l

from coordapp.agenda import routes, service, tasks
from coordapp.feature import Feature, Section

FEATURE = Feature(
    name="agenda",
    blueprints=[routes.bp],
    sweeps={"agenda_pdf": tasks.requeue_expired},
    audit_labels={
        "agenda_item_created": _l("Added an agenda item"),
        "agenda_item_updated": _l("Edited an agenda item"),
        "agenda_item_deleted": _l("Deleted an agenda item"),
        "agenda_reordered": _l("Reordered the agenda"),
        "agenda_copied": _l("Copied the agenda"),
        "agenda_pdf_requested": _l("Requested the agenda PDF"),
        "attachment_added": _l("Added an attachment"),
        "attachment_deleted": _l("Deleted an attachment"),
    },
    meeting_sections=[Section("agenda/_meeting_section.html")],
    rsvp_sections=[
        Section(
            "agenda/_rsvp_section.html", lambda invitation: service.agenda_of(invitation.meeting)
        )
    ],
)
