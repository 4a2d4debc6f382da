"""Monitoring: the workers' heartbeats (/readyz) and counters of worker-side events (/metrics)

Revision ID: a9e3d5c7b123
Revises: d7e3a9c5b1f4
Create Date: 2026-12-07 13:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "a9e3d5c7b123"
down_revision = "d7e3a9c5b1f4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "worker_heartbeats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(length=200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_worker_heartbeats")),
        sa.UniqueConstraint("worker", name=op.f("uq_worker_heartbeats_worker")),
    )
    with op.batch_alter_table("worker_heartbeats") as batch_op:
        batch_op.create_index(batch_op.f("ix_worker_heartbeats_beat_at"), ["beat_at"])
    op.create_table(
        "metric_counters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("labels", sa.String(length=300), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_counters")),
        sa.UniqueConstraint("name", "labels", name=op.f("uq_metric_counters_name_labels")),
    )


def downgrade():
    op.drop_table("metric_counters")
    with op.batch_alter_table("worker_heartbeats") as batch_op:
        batch_op.drop_index(batch_op.f("ix_worker_heartbeats_beat_at"))
    op.drop_table("worker_heartbeats")
