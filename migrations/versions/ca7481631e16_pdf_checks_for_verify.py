"""pdf_checks: PDFs uploaded to /verify wait here for the worker, then hold the result

Revision ID: ca7481631e16
Revises: c8d9aec9e76a
Create Date: 2026-11-29 21:10:00

/verify no longer checks the file in the web request (a hostile PDF held a web worker for
half a minute): the upload is stored, the worker checks it in a bounded child process,
and the page polls for the answer.
"""

import sqlalchemy as sa
from alembic import op

revision = "ca7481631e16"
down_revision = "c8d9aec9e76a"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "pdf_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'done', 'too_complex', 'failed')",
            name=op.f("ck_pdf_checks_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pdf_checks")),
        sa.UniqueConstraint("token", name=op.f("uq_pdf_checks_token")),
    )
    with op.batch_alter_table("pdf_checks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pdf_checks_created_at"), ["created_at"], unique=False)


def downgrade():
    with op.batch_alter_table("pdf_checks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pdf_checks_created_at"))
    op.drop_table("pdf_checks")
