"""Periodic reports: the PDFs the worker renders for a series and a period

Revision ID: f3b8c1d07a42
Revises: 9c3e5a7b1d24
Create Date: 2026-11-29 23:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "f3b8c1d07a42"
down_revision = "9c3e5a7b1d24"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "report_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=127), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'ready', 'failed')", name=op.f("ck_report_documents_status")
        ),
        sa.CheckConstraint(
            "period_start <= period_end", name=op.f("ck_report_documents_period_in_order")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_report_documents_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["series.id"],
            name=op.f("fk_report_documents_series_id_series"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_documents")),
    )
    with op.batch_alter_table("report_documents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_report_documents_series_period",
            ["series_id", "period_start", "period_end"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("report_documents", schema=None) as batch_op:
        batch_op.drop_index("ix_report_documents_series_period")
    op.drop_table("report_documents")
