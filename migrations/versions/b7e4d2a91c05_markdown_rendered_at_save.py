"""Markdown is rendered once, at save: an HTML column beside each Markdown column

Revision ID: b7e4d2a91c05
Revises: ca7481631e16
Create Date: 2026-12-01 10:00:00

Pages used to render the Markdown of agenda descriptions and minutes on every view (a
hostile text of 100,000 `[` took a second per field per view). Each Markdown column now
has its sanitised HTML beside it, filled here for the rows that exist (and in the JSON of
the minutes revisions, which the history page shows).
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "b7e4d2a91c05"
down_revision = "ca7481631e16"
branch_labels = None
depends_on = None

COLUMNS = {
    "agenda_items": {"description": "description_html"},
    "minutes_items": {"text": "text_html"},
    "minutes_versions": {
        "opening_summary": "opening_summary_html",
        "closing_summary": "closing_summary_html",
    },
}
# Approved minutes never change (triggers refuse it); filling in their HTML is the one
# exception, so the item triggers are set aside while it runs.
# (Those of 20b15a8373ea, and the ones c8d9aec9e76a added for new or moved items.)
PG_ITEM_TRIGGERS = ("minutes_items_frozen", "minutes_items_rows_frozen")
SQLITE_ITEM_TRIGGERS = ("minutes_items_frozen_update", "minutes_items_rows_frozen_update")


def upgrade():
    # Plain ADD COLUMN (no batch copy): SQLite keeps the tables' triggers.
    for table, columns in COLUMNS.items():
        for html_column in columns.values():
            op.add_column(table, sa.Column(html_column, sa.Text(), nullable=True))
    with _item_triggers_set_aside():
        for table, columns in COLUMNS.items():
            _fill_html(table, columns)
        _fill_revisions()


def downgrade():
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table, recreate="never") as batch_op:
            for html_column in columns.values():
                batch_op.drop_column(html_column)


def _render(text):
    from coordapp.richtext import html_of

    return html_of(text)


def _fill_html(table: str, columns: dict) -> None:
    conn = op.get_bind()
    names = ", ".join(columns)
    rows = conn.execute(sa.text(f"SELECT id, {names} FROM {table}")).mappings().all()
    assignments = ", ".join(f"{html} = :{html}" for html in columns.values())
    update = sa.text(f"UPDATE {table} SET {assignments} WHERE id = :id")
    for row in rows:
        values = {html: _render(row[column]) for column, html in columns.items()}
        if any(values.values()):
            conn.execute(update, {"id": row["id"], **values})


def _fill_revisions() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, content FROM minutes_revisions")).all()
    update = sa.text("UPDATE minutes_revisions SET content = :content WHERE id = :id").bindparams(
        sa.bindparam("content", type_=sa.JSON())
    )
    for revision_id, content in rows:
        if isinstance(content, str):
            content = json.loads(content)
        if not isinstance(content, dict):
            continue
        for column in ("text", "opening_summary", "closing_summary"):
            if column in content:
                content[f"{column}_html"] = _render(content[column]) or ""
        conn.execute(update, {"id": revision_id, "content": content})


class _item_triggers_set_aside:
    def __enter__(self):
        conn = op.get_bind()
        if conn.dialect.name == "postgresql":
            for name in PG_ITEM_TRIGGERS:
                op.execute(f"ALTER TABLE minutes_items DISABLE TRIGGER {name}")
            self.saved = []
            return
        self.saved = conn.execute(
            sa.text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN "
                "(" + ", ".join(f"'{n}'" for n in SQLITE_ITEM_TRIGGERS) + ")"
            )
        ).all()
        for name, _sql in self.saved:
            op.execute(f'DROP TRIGGER "{name}"')

    def __exit__(self, *exc):
        if op.get_bind().dialect.name == "postgresql":
            for name in PG_ITEM_TRIGGERS:
                op.execute(f"ALTER TABLE minutes_items ENABLE TRIGGER {name}")
            return False
        for _name, sql in self.saved:
            op.execute(sql)
        return False
