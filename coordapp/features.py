"""The app's features, one line each: `create_app` plugs in each one's record
(coordapp/feature.py says what a record holds), the worker runs their jobs, the pages
show their sections and the audit log their labels.

The order is the order of the blueprints and of the pages' sections. Which feature may
import which is not this list's business: the layers in pyproject.toml say (`make lint`),
README "Architecture" shows them. To add a feature: write its package with a
`feature.py`, add one line here and its name to a row of those layers.
"""

from __future__ import annotations

from coordapp import tasks
from coordapp.admin.feature import FEATURE as ADMIN
from coordapp.agenda.feature import FEATURE as AGENDA
from coordapp.approval.feature import FEATURE as APPROVAL
from coordapp.attendance.feature import FEATURE as ATTENDANCE
from coordapp.auth.feature import FEATURE as AUTH
from coordapp.calendar.feature import FEATURE as CALENDAR
from coordapp.commitments.feature import FEATURE as COMMITMENTS
from coordapp.directory.feature import FEATURE as DIRECTORY
from coordapp.feature import Feature
from coordapp.health.feature import FEATURE as HEALTH
from coordapp.inbound.feature import FEATURE as INBOUND
from coordapp.invitations.feature import FEATURE as INVITATIONS
from coordapp.meetings.feature import FEATURE as MEETINGS
from coordapp.minutes.feature import FEATURE as MINUTES
from coordapp.minutes_pdf.feature import FEATURE as MINUTES_PDF
from coordapp.monitoring.feature import FEATURE as MONITORING
from coordapp.outbox.feature import FEATURE as OUTBOX
from coordapp.outcomes.feature import FEATURE as OUTCOMES
from coordapp.polls.feature import FEATURE as POLLS
from coordapp.reports.feature import FEATURE as REPORTS
from coordapp.rsvp.feature import FEATURE as RSVP
from coordapp.verify.feature import FEATURE as VERIFY

FEATURES: list[Feature] = [
    tasks.FEATURE,
    HEALTH,
    MONITORING,
    AUTH,
    ADMIN,
    DIRECTORY,
    MEETINGS,
    POLLS,
    INVITATIONS,
    RSVP,
    OUTBOX,
    CALENDAR,
    AGENDA,
    ATTENDANCE,
    MINUTES,
    APPROVAL,
    COMMITMENTS,
    VERIFY,
    MINUTES_PDF,
    OUTCOMES,
    REPORTS,
    INBOUND,
]
