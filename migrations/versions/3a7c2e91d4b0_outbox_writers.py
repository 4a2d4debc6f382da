"""Outbox rows name the writer that writes them and carry its params; batch claims

Revision ID: 3a7c2e91d4b0
Revises: 20b15a8373ea
Create Date: 2026-11-29 20:40:00

Every email is now written by the worker: a queued row holds the name of a registered
writer and the ids/facts it needs (params) instead of rendered text.
"""

import sqlalchemy as sa
from alembic import op

revision = "3a7c2e91d4b0"
down_revision = "20b15a8373ea"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outgoing_messages", schema=None) as batch_op:
        batch_op.alter_column(
            "compose_with", new_column_name="writer", existing_type=sa.String(length=40)
        )
        batch_op.add_column(sa.Column("params", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("claim_token", sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table("outgoing_messages", schema=None) as batch_op:
        batch_op.drop_column("claim_token")
        batch_op.drop_column("params")
        batch_op.alter_column(
            "writer", new_column_name="compose_with", existing_type=sa.String(length=40)
        )
