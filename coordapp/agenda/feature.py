"""The agenda: items, presenters, attachments, order, print view and PDF."""

from flask_babel import lazy_gettext as _l

from coordapp.agenda import routes, service, tasks
from coordapp.feature import Feature, Section

FEATURE = Feature(
    name="agenda",
    blueprints=[routes.bp],
    sweeps={"agenda_pdf": tasks.requeue_expired},
    audit_labels={
        "agenda.item_create": _l("Added an agenda item"),
        "agenda.item_update": _l("Edited an agenda item"),
        "agenda.item_delete": _l("Deleted an agenda item"),
        "agenda.reorder": _l("Reordered the agenda"),
        "agenda.copy": _l("Copied the agenda"),
        "agenda.pdf_request": _l("Requested the agenda PDF"),
        "agenda.attachment_add": _l("Added an attachment"),
        "agenda.attachment_delete": _l("Deleted an attachment"),
    },
    meeting_sections=[Section("agenda/_meeting_section.html")],
    rsvp_sections=[
        Section(
            "agenda/_rsvp_section.html", lambda invitation: service.agenda_of(invitation.meeting)
        )
    ],
)
