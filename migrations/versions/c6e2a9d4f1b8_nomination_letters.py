"""Nomination letters: the official letter (a stored PDF) of each nomination request,
and a stored document attached to an outgoing email

Revision ID: c6e2a9d4f1b8
Revises: a9e3d5c7b123
Create Date: 2026-12-07 13:08:02.016971

"""

import sqlalchemy as sa
from alembic import op

revision = "c6e2a9d4f1b8"
down_revision = "a9e3d5c7b123"
branch_labels = None
depends_on = None

MESSAGE = "approved minutes never change"
FROZEN = "('approved', 'superseded')"
EVENTS = ("INSERT", "UPDATE", "DELETE")


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _frozen(row: str) -> str:
    return f"(SELECT status FROM minutes_versions WHERE id = {row}.version_id) IN {FROZEN}"


def _refreeze_on_sqlite() -> None:
    """SQLite's batch mode copies the table, dropping its triggers and the partial index's
    WHERE: make them again as d7e3a9c5b1f4 made them (PostgreSQL alters in place)."""
    if not _sqlite():
        return
    for event in EVENTS:
        rows = {"INSERT": ["NEW"], "UPDATE": ["OLD", "NEW"], "DELETE": ["OLD"]}[event]
        condition = " OR ".join(_frozen(row) for row in rows)
        op.execute(f"DROP TRIGGER IF EXISTS stored_documents_rows_frozen_{event.lower()}")
        op.execute(f"""
            CREATE TRIGGER stored_documents_rows_frozen_{event.lower()}
            BEFORE {event} ON stored_documents
            WHEN {condition}
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""")
    op.drop_index("uq_stored_documents_one_pending_report", table_name="stored_documents")
    pending = sa.text("status = 'pending'")
    op.create_index(
        "uq_stored_documents_one_pending_report",
        "stored_documents",
        ["series_id", "period_start", "period_end", "language"],
        unique=True,
        postgresql_where=pending,
        sqlite_where=pending,
    )


def _set_kinds(kinds: str) -> None:
    if _sqlite():
        for event in EVENTS:
            op.execute(f"DROP TRIGGER IF EXISTS stored_documents_rows_frozen_{event.lower()}")
    with op.batch_alter_table("stored_documents") as batch_op:
        batch_op.drop_constraint(op.f("ck_stored_documents_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_stored_documents_kind"), f"kind IN ({kinds})")
    _refreeze_on_sqlite()


def upgrade():
    _set_kinds("'agenda', 'report', 'minutes', 'nomination_letter'")
    with op.batch_alter_table("nomination_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("letter_document_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_nomination_requests_letter_document_id_stored_documents"),
            "stored_documents",
            ["letter_document_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("outgoing_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("document_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_outgoing_messages_document_id_stored_documents"),
            "stored_documents",
            ["document_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    op.execute("DELETE FROM stored_documents WHERE kind = 'nomination_letter'")
    _set_kinds("'agenda', 'report', 'minutes'")
    with op.batch_alter_table("outgoing_messages", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_outgoing_messages_document_id_stored_documents"), type_="foreignkey"
        )
        batch_op.drop_column("document_id")

    with op.batch_alter_table("nomination_requests", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_nomination_requests_letter_document_id_stored_documents"),
            type_="foreignkey",
        )
        batch_op.drop_column("letter_document_id")
