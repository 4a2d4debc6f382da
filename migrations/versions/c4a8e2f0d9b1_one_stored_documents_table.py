"""One table for the PDFs the worker renders (agenda and report PDFs): stored_documents,
with the rows of generated_documents and report_documents moved into it

Agenda documents keep their ids. Report documents get ids after them (their old id plus
the largest agenda id), and the audit log's rows about them follow. Each agenda PDF gets
its meeting's language (it was always written in it).

Revision ID: c4a8e2f0d9b1
Revises: a4c2e8d1f907
Create Date: 2026-12-07 13:15:00
"""

import sqlalchemy as sa
from alembic import op

revision = "c4a8e2f0d9b1"
down_revision = "a4c2e8d1f907"
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")
STATUS = "status IN ('pending', 'ready', 'failed')"
# The columns every worker-rendered PDF has, as they were in both old tables.
COMMON = (
    "status, error, filename, content_type, sha256, size, data, created_at, finished_at, "
    "claimed_at, claim_token, created_by_id"
)


def _common_columns() -> list[sa.Column]:
    return [
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
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
    ]


def _created_by(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["created_by_id"],
        ["users.id"],
        name=op.f(f"fk_{table}_created_by_id_users"),
        ondelete="SET NULL",
    )


def upgrade():
    op.create_table(
        "stored_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("series_id", sa.Integer(), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("language", sa.String(length=10), nullable=False),
        *_common_columns(),
        sa.CheckConstraint(STATUS, name=op.f("ck_stored_documents_status")),
        sa.CheckConstraint("kind IN ('agenda', 'report')", name=op.f("ck_stored_documents_kind")),
        sa.CheckConstraint(
            "kind <> 'agenda' OR meeting_id IS NOT NULL",
            name=op.f("ck_stored_documents_agenda_of_a_meeting"),
        ),
        sa.CheckConstraint(
            "kind <> 'report' OR (series_id IS NOT NULL AND period_start IS NOT NULL "
            "AND period_end IS NOT NULL AND period_start <= period_end)",
            name=op.f("ck_stored_documents_report_of_a_period"),
        ),
        _created_by("stored_documents"),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_stored_documents_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["series.id"],
            name=op.f("fk_stored_documents_series_id_series"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_documents")),
    )
    op.create_index("ix_stored_documents_meeting_kind", "stored_documents", ["meeting_id", "kind"])
    op.create_index(
        "ix_stored_documents_series_period",
        "stored_documents",
        ["series_id", "period_start", "period_end"],
    )
    op.create_index(
        "uq_stored_documents_one_pending_report",
        "stored_documents",
        ["series_id", "period_start", "period_end", "language"],
        unique=True,
        postgresql_where=PENDING,
        sqlite_where=PENDING,
    )

    connection = op.get_bind()
    offset = connection.scalar(sa.text("SELECT COALESCE(MAX(id), 0) FROM generated_documents"))
    op.execute(
        f"INSERT INTO stored_documents (id, kind, meeting_id, language, {COMMON}) "
        f"SELECT g.id, 'agenda', g.meeting_id, COALESCE(m.language, 'en'), "
        f"{', '.join('g.' + c.strip() for c in COMMON.split(','))} "
        "FROM generated_documents g JOIN meetings m ON m.id = g.meeting_id"
    )
    connection.execute(
        sa.text(
            "INSERT INTO stored_documents (id, kind, series_id, period_start, period_end, "
            f"language, {COMMON}) SELECT id + :offset, 'report', series_id, period_start, "
            f"period_end, language, {COMMON} FROM report_documents"
        ),
        {"offset": offset},
    )
    connection.execute(
        sa.text(
            "UPDATE audit_events SET object_id = object_id + :offset "
            "WHERE object_type = 'ReportDocument'"
        ),
        {"offset": offset},
    )
    if connection.dialect.name == "postgresql":
        op.execute(
            "SELECT setval(pg_get_serial_sequence('stored_documents', 'id'), "
            "COALESCE((SELECT MAX(id) FROM stored_documents), 0) + 1, false)"
        )
    op.drop_table("generated_documents")
    op.drop_table("report_documents")


def downgrade():
    op.create_table(
        "generated_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        *_common_columns(),
        sa.CheckConstraint(STATUS, name=op.f("ck_generated_documents_status")),
        _created_by("generated_documents"),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_generated_documents_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_generated_documents")),
    )
    op.create_index(
        "ix_generated_documents_meeting_kind", "generated_documents", ["meeting_id", "kind"]
    )
    op.create_table(
        "report_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        *_common_columns(),
        sa.CheckConstraint(STATUS, name=op.f("ck_report_documents_status")),
        sa.CheckConstraint(
            "period_start <= period_end", name=op.f("ck_report_documents_period_in_order")
        ),
        _created_by("report_documents"),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["series.id"],
            name=op.f("fk_report_documents_series_id_series"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_documents")),
    )
    op.create_index(
        "ix_report_documents_series_period",
        "report_documents",
        ["series_id", "period_start", "period_end"],
    )
    op.create_index(
        "uq_report_documents_one_pending",
        "report_documents",
        ["series_id", "period_start", "period_end", "language"],
        unique=True,
        postgresql_where=PENDING,
        sqlite_where=PENDING,
    )
    op.execute(
        f"INSERT INTO generated_documents (id, kind, meeting_id, {COMMON}) "
        f"SELECT id, kind, meeting_id, {COMMON} FROM stored_documents WHERE kind = 'agenda'"
    )
    op.execute(
        "INSERT INTO report_documents (id, series_id, period_start, period_end, language, "
        f"{COMMON}) SELECT id, series_id, period_start, period_end, language, {COMMON} "
        "FROM stored_documents WHERE kind = 'report'"
    )
    if op.get_bind().dialect.name == "postgresql":
        for table in ("generated_documents", "report_documents"):
            op.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            )
    op.drop_table("stored_documents")
