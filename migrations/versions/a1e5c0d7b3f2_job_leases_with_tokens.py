"""One lease for every background job: a claim token on each row a job works on, and
a lease on /verify checks (coordapp/jobs.py)

Revision ID: a1e5c0d7b3f2
Revises: 9d3e5b7a2c18
Create Date: 2026-12-07 12:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "a1e5c0d7b3f2"
down_revision = "9d3e5b7a2c18"
branch_labels = None
depends_on = None

# Plain ALTER TABLE (no batch copy): minutes_documents and minutes_approvals carry the
# triggers that freeze approved minutes, which a table copy would drop.
LEASED = ("generated_documents", "report_documents", "minutes_documents", "minutes_approvals")


def upgrade():
    for table in LEASED:
        op.add_column(table, sa.Column("claim_token", sa.String(length=32), nullable=True))
    op.add_column("pdf_checks", sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("pdf_checks", sa.Column("claim_token", sa.String(length=32), nullable=True))
    # A check waiting now was queued when it was uploaded.
    op.execute("UPDATE pdf_checks SET claimed_at = created_at WHERE status = 'pending'")


def downgrade():
    op.drop_column("pdf_checks", "claim_token")
    op.drop_column("pdf_checks", "claimed_at")
    for table in LEASED:
        op.drop_column(table, "claim_token")
