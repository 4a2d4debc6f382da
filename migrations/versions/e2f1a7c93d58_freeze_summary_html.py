"""Approved minutes: the HTML kept beside their summaries is frozen too

Revision ID: e2f1a7c93d58
Revises: b7e4d2a91c05
Create Date: 2026-11-29 21:25:00

b7e4d2a91c05 added opening_summary_html and closing_summary_html to minutes_versions,
after the triggers of 20b15a8373ea had listed the columns an approved version may not
change. Pages show the HTML: it must not change either.
"""

from alembic import op

revision = "e2f1a7c93d58"
down_revision = "b7e4d2a91c05"
branch_labels = None
depends_on = None

FROZEN = "('approved', 'superseded')"
COLUMNS = ("opening_summary_html", "closing_summary_html")


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in COLUMNS)
        # coordapp_minutes_frozen() (20b15a8373ea) refuses whatever it is called for here.
        op.execute(f"""
            CREATE TRIGGER minutes_versions_html_frozen BEFORE UPDATE ON minutes_versions
            FOR EACH ROW WHEN (OLD.status IN {FROZEN} AND ({changed}))
            EXECUTE FUNCTION coordapp_minutes_frozen()""")
        return
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in COLUMNS)
    op.execute(f"""
        CREATE TRIGGER minutes_versions_html_frozen BEFORE UPDATE ON minutes_versions
        WHEN OLD.status IN {FROZEN} AND ({changed})
        BEGIN SELECT RAISE(ABORT, 'approved minutes never change'); END""")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS minutes_versions_html_frozen ON minutes_versions")
    else:
        op.execute("DROP TRIGGER IF EXISTS minutes_versions_html_frozen")
