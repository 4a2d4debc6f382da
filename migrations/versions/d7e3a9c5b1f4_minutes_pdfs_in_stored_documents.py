"""The minutes PDFs join the other stored documents: minutes_documents' rows move into
stored_documents (kind 'minutes', with the signature workflow's columns), and the
database keeps freezing the row of approved minutes there

Minutes documents get ids after the stored documents already there. Each gets its
meeting's language and a file name.

Revision ID: d7e3a9c5b1f4
Revises: c4a8e2f0d9b1
Create Date: 2026-12-07 13:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "d7e3a9c5b1f4"
down_revision = "c4a8e2f0d9b1"
branch_labels = None
depends_on = None

FROZEN = "('approved', 'superseded')"
MESSAGE = "approved minutes never change"
EVENTS = ("INSERT", "UPDATE", "DELETE")
MOVED = (
    "status, error, sha256, unsigned_sha256, size, {pdf}, signature_count, fields, "
    "rendered_at, updated_at, claimed_at, claim_token"
)


def _frozen(row: str) -> str:
    return f"(SELECT status FROM minutes_versions WHERE id = {row}.version_id) IN {FROZEN}"


def _freeze(table: str) -> None:
    """The triggers of c8d9aec9e76a, on `table`: no row of approved minutes changes."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE TRIGGER {table}_rows_frozen BEFORE {" OR ".join(EVENTS)} ON {table}
            FOR EACH ROW EXECUTE FUNCTION coordapp_minutes_rows_frozen()""")
        return
    for event in EVENTS:
        rows = {"INSERT": ["NEW"], "UPDATE": ["OLD", "NEW"], "DELETE": ["OLD"]}[event]
        condition = " OR ".join(_frozen(row) for row in rows)
        op.execute(f"""
            CREATE TRIGGER {table}_rows_frozen_{event.lower()} BEFORE {event} ON {table}
            WHEN {condition}
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""")


def _unfreeze(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_rows_frozen ON {table}")
        return
    for event in EVENTS:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_rows_frozen_{event.lower()}")


def _reset_sequence(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        )


def _one_pending_report_index() -> None:
    """A copy of the table (SQLite's batch mode) may bring the partial index back without
    its WHERE: make it again as it should be."""
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


def upgrade():
    with op.batch_alter_table("stored_documents") as batch_op:
        batch_op.add_column(sa.Column("version_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("unsigned_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("signature_count", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("fields", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("rendered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_stored_documents_version_id_minutes_versions"),
            "minutes_versions",
            ["version_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_unique_constraint(op.f("uq_stored_documents_version_id"), ["version_id"])
        batch_op.drop_constraint(op.f("ck_stored_documents_kind"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_stored_documents_kind"), "kind IN ('agenda', 'report', 'minutes')"
        )
        batch_op.create_check_constraint(
            op.f("ck_stored_documents_minutes_of_a_version"),
            "kind <> 'minutes' OR version_id IS NOT NULL",
        )
        batch_op.create_index("ix_stored_documents_sha256", ["sha256"])
        batch_op.create_index(op.f("ix_stored_documents_unsigned_sha256"), ["unsigned_sha256"])

    _one_pending_report_index()

    connection = op.get_bind()
    offset = connection.scalar(sa.text("SELECT COALESCE(MAX(id), 0) FROM stored_documents"))
    connection.execute(
        sa.text(
            "INSERT INTO stored_documents (id, kind, version_id, language, filename, "
            f"content_type, created_at, finished_at, {MOVED.format(pdf='data')}) "
            "SELECT d.id + :offset, 'minutes', d.version_id, m.language, "
            "'minutes-' || v.meeting_id || '-v' || v.number || '.pdf', 'application/pdf', "
            "COALESCE(d.rendered_at, d.updated_at), d.rendered_at, "
            + ", ".join("d." + c.strip() for c in MOVED.format(pdf="pdf").split(","))
            + " FROM minutes_documents d JOIN minutes_versions v ON v.id = d.version_id "
            "JOIN meetings m ON m.id = v.meeting_id"
        ),
        {"offset": offset},
    )
    connection.execute(
        sa.text(
            "UPDATE audit_events SET object_id = object_id + :offset "
            "WHERE object_type = 'MinutesDocument'"
        ),
        {"offset": offset},
    )
    _reset_sequence("stored_documents")
    _unfreeze("minutes_documents")
    op.drop_table("minutes_documents")
    _freeze("stored_documents")


def downgrade():
    _unfreeze("stored_documents")
    op.create_table(
        "minutes_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("unsigned_sha256", sa.String(length=64), nullable=True),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("signature_count", sa.Integer(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=True),
        sa.Column("rendered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'ready', 'failed')", name=op.f("ck_minutes_documents_status")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["minutes_versions.id"],
            name=op.f("fk_minutes_documents_version_id_minutes_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_minutes_documents")),
        sa.UniqueConstraint("version_id", name=op.f("uq_minutes_documents_version_id")),
    )
    op.create_index(op.f("ix_minutes_documents_sha256"), "minutes_documents", ["sha256"])
    op.create_index(
        op.f("ix_minutes_documents_unsigned_sha256"), "minutes_documents", ["unsigned_sha256"]
    )
    op.execute(
        f"INSERT INTO minutes_documents (id, version_id, {MOVED.format(pdf='pdf')}) "
        "SELECT id, version_id, status, error, sha256, unsigned_sha256, size, data, "
        "COALESCE(signature_count, 0), fields, rendered_at, COALESCE(updated_at, created_at), "
        "claimed_at, claim_token FROM stored_documents WHERE kind = 'minutes'"
    )
    _reset_sequence("minutes_documents")
    op.execute("DELETE FROM stored_documents WHERE kind = 'minutes'")
    with op.batch_alter_table("stored_documents") as batch_op:
        batch_op.drop_index(op.f("ix_stored_documents_unsigned_sha256"))
        batch_op.drop_index("ix_stored_documents_sha256")
        batch_op.drop_constraint(op.f("ck_stored_documents_minutes_of_a_version"), type_="check")
        batch_op.drop_constraint(op.f("ck_stored_documents_kind"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_stored_documents_kind"), "kind IN ('agenda', 'report')"
        )
        batch_op.drop_constraint(op.f("uq_stored_documents_version_id"), type_="unique")
        batch_op.drop_constraint(
            op.f("fk_stored_documents_version_id_minutes_versions"), type_="foreignkey"
        )
        for column in (
            "updated_at",
            "rendered_at",
            "fields",
            "signature_count",
            "unsigned_sha256",
            "version_id",
        ):
            batch_op.drop_column(column)
    _one_pending_report_index()
    _freeze("minutes_documents")
