"""Directory search text: contacts' and organisations' searchable fields stored case-folded

Revision ID: e8b4c2f6a1d3
Revises: c6e2a9d4f1b8
Create Date: 2026-12-07 16:05:00.000000

The search was `lower(column) LIKE '%…%'` on four columns: a function per row and column,
and on SQLite ASCII-only (a search for "петрова" missed "Петрова"). The new column holds the
fields case-folded by Python, filled here for the existing rows and by the app on each write.
"""

import sqlalchemy as sa
from alembic import op

revision = "e8b4c2f6a1d3"
down_revision = "c6e2a9d4f1b8"
branch_labels = None
depends_on = None

# table: the columns that make its search text (as coordapp.models.directory.search_text).
SEARCHED = {"contacts": ("name", "email"), "organisations": ("name", "acronym")}
CHUNK = 1000


def _search_text(*parts):
    return "\n".join(part.casefold() for part in parts if part)


def _fill(table_name: str, columns: tuple[str, ...]) -> None:
    bind = op.get_bind()
    table = sa.table(
        table_name,
        sa.column("id", sa.Integer),
        sa.column("search_text", sa.Text),
        *(sa.column(name, sa.String) for name in columns),
    )
    rows = bind.execute(sa.select(table.c.id, *(table.c[name] for name in columns))).all()
    update = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("row_id"))
        .values(search_text=sa.bindparam("text"))
    )
    for start in range(0, len(rows), CHUNK):
        bind.execute(
            update,
            [
                {"row_id": row[0], "text": _search_text(*row[1:])}
                for row in rows[start : start + CHUNK]
            ],
        )


def upgrade():
    for table_name, columns in SEARCHED.items():
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("search_text", sa.Text(), nullable=False, server_default="")
            )
        _fill(table_name, columns)


def downgrade():
    for table_name in SEARCHED:
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            batch_op.drop_column("search_text")
