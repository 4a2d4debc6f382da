"""Answers that arrive by email: the mailbox reader, bounces, auto-replies and a
person's replies (calendar replies are the RSVP feature's: coordapp/rsvp/inbound.py)."""

from flask_babel import lazy_gettext as _l

from coordapp.feature import Feature, Section
from coordapp.inbound import handlers, inbox, routes, tasks

FEATURE = Feature(
    name="inbound",
    blueprints=[routes.bp],
    meeting_sections=[Section("inbound/_meeting_section.html", inbox.meeting_section)],
    periodic_tasks=[tasks.poll_inbound_mailbox, tasks.purge_inbound_messages],
    inbound_handlers=[handlers.handle_auto_reply],
    audit_labels={
        "inbound.undeliverable": _l("Address found undeliverable"),
        "inbound.clear_undeliverable": _l("Cleared an undeliverable address"),
        "inbound.done": _l("Marked an email as dealt with"),
    },
)
