"""Nomination letters: the official letter (a stored PDF) of each nomination request,
and a stored document attached to an outgoing email

Revision ID: c6e2a9d4f1b8
Revises: a4c2e8d1f907
Create Date: 2026-12-07 13:08:02.016971

"""

import sqlalchemy as sa
from alembic import op

revision = "c6e2a9d4f1b8"
down_revision = "a4c2e8d1f907"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("nomination_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("letter_document_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_nomination_requests_letter_document_id_generated_documents"),
            "generated_documents",
            ["letter_document_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("outgoing_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("document_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_outgoing_messages_document_id_generated_documents"),
            "generated_documents",
            ["document_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("outgoing_messages", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_outgoing_messages_document_id_generated_documents"), type_="foreignkey"
        )
        batch_op.drop_column("document_id")

    with op.batch_alter_table("nomination_requests", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_nomination_requests_letter_document_id_generated_documents"),
            type_="foreignkey",
        )
        batch_op.drop_column("letter_document_id")
