"""Finding a date: scheduling polls, their answers, results and reminders."""

from flask_babel import lazy_gettext as _l

from coordapp.feature import Feature, Section
from coordapp.polls import notifications, overview, reminders, routes
from coordapp.polls.routes import answers as answer_routes
from coordapp.polls.routes import results as results_routes

FEATURE = Feature(
    name="polls",
    blueprints=[results_routes.bp, routes.bp, answer_routes.bp],
    emails=notifications.WRITERS,
    periodic_tasks=[reminders.send_due_poll_reminders_job],
    audit_labels={
        "polls.create": _l("Started a scheduling poll"),
        "polls.slot_add": _l("Added a date to the poll"),
        "polls.slot_change": _l("Changed a date in the poll"),
        "polls.slot_remove": _l("Removed a date from the poll"),
        "polls.ask": _l("Asked people to answer the poll"),
        "polls.ask_chairs": _l("Asked the chairs to answer the poll"),
        "polls.key_organisations": _l("Chose the key organisations for the poll"),
        "polls.date_chosen": _l("Chose the date from the poll"),
        "polls.remind": _l("Reminded those who have not answered the poll"),
        "polls.reminders_sent": _l("Sent the poll's automatic reminders"),
    },
    meeting_sections=[Section("polls/_meeting_section.html", overview.meeting_section)],
)
