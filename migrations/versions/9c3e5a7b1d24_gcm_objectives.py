"""Global Compact for Migration objectives on commitments; series choose to use them

Revision ID: 9c3e5a7b1d24
Revises: 916cfdc0cfe5
Create Date: 2026-11-29 23:00:00

A commitment may contribute to any of the GCM's 23 objectives (as it does to SDGs);
a series says whether its meetings use them (series.uses_gcm, off by default).
"""

import sqlalchemy as sa
from alembic import op

revision = "9c3e5a7b1d24"
down_revision = "916cfdc0cfe5"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("series", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("uses_gcm", sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    op.create_table(
        "commitment_gcm_objectives",
        sa.Column("commitment_id", sa.Integer(), nullable=False),
        sa.Column("objective", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "objective BETWEEN 1 AND 23",
            name=op.f("ck_commitment_gcm_objectives_objective_range"),
        ),
        sa.ForeignKeyConstraint(
            ["commitment_id"],
            ["commitments.id"],
            name=op.f("fk_commitment_gcm_objectives_commitment_id_commitments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "commitment_id", "objective", name=op.f("pk_commitment_gcm_objectives")
        ),
    )
    with op.batch_alter_table("commitment_gcm_objectives", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_commitment_gcm_objectives_objective"), ["objective"], unique=False
        )


def downgrade():
    with op.batch_alter_table("commitment_gcm_objectives", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commitment_gcm_objectives_objective"))
    op.drop_table("commitment_gcm_objectives")
    with op.batch_alter_table("series", schema=None) as batch_op:
        batch_op.drop_column("uses_gcm")
