"""Users choose the language of the interface

Revision ID: 7d41b2c9e0a5
Revises: 5e1f0c2a9b7d
Create Date: 2026-12-01 10:00:00

NULL means "as my browser asks" (Accept-Language, else DEFAULT_LANGUAGE).
"""

import sqlalchemy as sa
from alembic import op

revision = "7d41b2c9e0a5"
down_revision = "5e1f0c2a9b7d"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=10), nullable=True))


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("language")
