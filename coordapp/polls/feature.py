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
        "poll.create": _l("Started a scheduling poll"),
        "poll.slot_add": _l("Added a date to the poll"),
        "poll.slot_change": _l("Changed a date in the poll"),
        "poll.slot_remove": _l("Removed a date from the poll"),
        "poll.ask": _l("Asked people to answer the poll"),
        "poll.ask_chairs": _l("Asked the chairs to answer the poll"),
        "poll.key_organisations": _l("Chose the key organisations for the poll"),
        "poll.date_chosen": _l("Chose the date from the poll"),
        "poll.remind": _l("Reminded those who have not answered the poll"),
        "poll.reminders_sent": _l("Sent the poll's automatic reminders"),
    },
    meeting_sections=[Section("polls/_meeting_section.html", overview.meeting_section)],
)
