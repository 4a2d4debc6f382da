"""One pending rendering per report PDF (series, period, language): a repeated request
joins it

Revision ID: b2f6d1e8c4a3
Revises: a1e5c0d7b3f2
Create Date: 2026-12-07 13:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "b2f6d1e8c4a3"
down_revision = "a1e5c0d7b3f2"
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")


def upgrade():
    # Requests already waiting twice for the same report: the first one stays, the
    # others say why they stopped (their page offers asking again).
    op.execute(
        "UPDATE report_documents SET status = 'failed', "
        "error = 'Replaced by an identical request made earlier.' "
        "WHERE status = 'pending' AND id NOT IN (SELECT MIN(id) FROM report_documents "
        "WHERE status = 'pending' GROUP BY series_id, period_start, period_end, language)"
    )
    op.create_index(
        "uq_report_documents_one_pending",
        "report_documents",
        ["series_id", "period_start", "period_end", "language"],
        unique=True,
        postgresql_where=PENDING,
        sqlite_where=PENDING,
    )


def downgrade():
    op.drop_index("uq_report_documents_one_pending", table_name="report_documents")
