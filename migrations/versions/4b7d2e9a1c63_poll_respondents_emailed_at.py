"""Poll respondents: when the poll's email was queued for each (sent once, at most)

Revision ID: 4b7d2e9a1c63
Revises: f3b8c1d07a42
Create Date: 2026-11-30 02:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "4b7d2e9a1c63"
down_revision = "f3b8c1d07a42"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("poll_respondents") as batch_op:
        batch_op.add_column(sa.Column("emailed_at", sa.DateTime(timezone=True), nullable=True))
    # Until now the email went out when the person was asked if the poll had a date, or
    # with its first date: everyone asked in a poll that has a date has had it.
    op.execute(
        "UPDATE poll_respondents SET emailed_at = asked_at WHERE EXISTS "
        "(SELECT 1 FROM poll_slots WHERE poll_slots.poll_id = poll_respondents.poll_id)"
    )


def downgrade():
    with op.batch_alter_table("poll_respondents") as batch_op:
        batch_op.drop_column("emailed_at")
