"""Job leases: when a background job on a document or approval was last claimed

Revision ID: 7d41c0b2a9e5
Revises: 3a7c2e91d4b0
Create Date: 2026-12-03 10:00:00

A worker killed mid-job left its row PENDING for ever. Each row the worker renders or
signs now records when its job was last queued or taken on (`claimed_at`); a periodic
sweep queues again the PENDING rows whose lease expired. Rows from before have no
lease (NULL), which counts as expired: a stuck row is picked up after the upgrade.
"""

import sqlalchemy as sa
from alembic import op

revision = "7d41c0b2a9e5"
down_revision = "3a7c2e91d4b0"
branch_labels = None
depends_on = None

TABLES = ("minutes_documents", "minutes_approvals", "generated_documents")


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("claimed_at")
