"""Audit action codes in one style, `<feature>.<verb>`: stored events rewritten

Revision ID: 9d3e5b7a2c18
Revises: 4b7d2e9a1c63
Create Date: 2026-12-07 12:50:00

Codes were `meeting_created`, `poll.slot_add`, `invitation.answer`…; each is now the name
of the feature whose record labels it (coordapp/<feature>/feature.py, `audit_labels`),
a dot and a verb. Events already in the log get the new code, so the log shows their
labels; downgrade gives them back the old one.
"""

import sqlalchemy as sa
from alembic import op

revision = "9d3e5b7a2c18"
down_revision = "4b7d2e9a1c63"
branch_labels = None
depends_on = None

# (old code, new code)
RENAMED = [
    ("user_created", "admin.user_create"),
    ("user_updated", "admin.user_update"),
    ("user_deactivated", "admin.user_deactivate"),
    ("user_reactivated", "admin.user_reactivate"),
    ("agenda_item_created", "agenda.item_create"),
    ("agenda_item_updated", "agenda.item_update"),
    ("agenda_item_deleted", "agenda.item_delete"),
    ("agenda_reordered", "agenda.reorder"),
    ("agenda_copied", "agenda.copy"),
    ("agenda_pdf_requested", "agenda.pdf_request"),
    ("attachment_added", "agenda.attachment_add"),
    ("attachment_deleted", "agenda.attachment_delete"),
    ("minutes_submitted", "approval.submit"),
    ("minutes_approved_by_chair", "approval.chair_approve"),
    ("minutes_returned", "approval.return"),
    ("minutes_approved", "approval.approve"),
    ("minutes_superseded", "approval.supersede"),
    ("minutes_amendment_created", "approval.amend"),
    ("password_changed", "auth.password_change"),
    ("language_changed", "auth.language_change"),
    ("commitment_created", "commitments.create"),
    ("commitment_updated", "commitments.update"),
    ("commitment_status_updated", "commitments.status_update"),
    ("commitment_status_requested", "commitments.status_request"),
    ("follow_up_item_added", "commitments.follow_up_add"),
    ("organisation.create", "directory.organisation_create"),
    ("organisation.edit", "directory.organisation_edit"),
    ("organisation.deactivate", "directory.organisation_deactivate"),
    ("organisation.reactivate", "directory.organisation_reactivate"),
    ("contact.create", "directory.contact_create"),
    ("contact.edit", "directory.contact_edit"),
    ("contact.deactivate", "directory.contact_deactivate"),
    ("contact.reactivate", "directory.contact_reactivate"),
    ("contacts.import", "directory.contacts_import"),
    ("invitation.resend", "invitations.resend"),
    ("invitation.withdraw", "invitations.withdraw"),
    ("invitation.answer", "invitations.answer"),
    ("invitation.answer_on_behalf", "invitations.answer_on_behalf"),
    ("invitation.delegate", "invitations.delegate"),
    ("invitation.promoted", "invitations.promote"),
    ("meeting_created", "meetings.create"),
    ("meeting_updated", "meetings.update"),
    ("status_changed", "meetings.status_change"),
    ("meeting_cancelled", "meetings.cancel"),
    ("series_created", "meetings.series_create"),
    ("series_updated", "meetings.series_update"),
    ("mail.retry", "outbox.retry"),
    ("outcome_summary.draft", "outcomes.summary_draft"),
    ("outcome_summary.edit", "outcomes.summary_edit"),
    ("outcome_summary.publish", "outcomes.summary_publish"),
    ("outcome_summary.unpublish", "outcomes.summary_unpublish"),
    ("poll.create", "polls.create"),
    ("poll.slot_add", "polls.slot_add"),
    ("poll.slot_change", "polls.slot_change"),
    ("poll.slot_remove", "polls.slot_remove"),
    ("poll.ask", "polls.ask"),
    ("poll.ask_chairs", "polls.ask_chairs"),
    ("poll.key_organisations", "polls.key_organisations"),
    ("poll.date_chosen", "polls.date_chosen"),
    ("poll.remind", "polls.remind"),
    ("poll.reminders_sent", "polls.reminders_sent"),
    ("report_pdf_requested", "reports.pdf_request"),
]


def _rename(pairs):
    events = sa.table("audit_events", sa.column("action", sa.String))
    for old, new in pairs:
        op.execute(events.update().where(events.c.action == old).values(action=new))


def upgrade():
    _rename(RENAMED)


def downgrade():
    _rename([(new, old) for old, new in RENAMED])
