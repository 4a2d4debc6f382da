"""Inviting contacts, their answers, reminders and the emails about a meeting."""

from flask_babel import lazy_gettext as _l

from coordapp.feature import Feature, Section
from coordapp.invitations import notifications, reminders, routes, service

FEATURE = Feature(
    name="invitations",
    blueprints=[routes.bp],
    emails=notifications.WRITERS,
    periodic_tasks=[reminders.send_due_reminders_job],
    audit_labels={
        "invitations.create": _l("Sent invitations"),
        "invitations.resend": _l("Resent the invitation"),
        "invitations.withdraw": _l("Withdrew the invitation"),
        "invitations.answer": _l("Answered the invitation"),
        "invitations.answer_on_behalf": _l("Recorded an answer on behalf of the invitee"),
        "invitations.delegate": _l("Sent a substitute"),
        "invitations.promote": _l("Moved up from the waiting list"),
        "invitations.reminders_sent": _l("Sent reminders"),
        "invitations.remind_now": _l("Sent reminders now"),
    },
    meeting_sections=[Section("invitations/_meeting_section.html", service.meeting_section)],
)
