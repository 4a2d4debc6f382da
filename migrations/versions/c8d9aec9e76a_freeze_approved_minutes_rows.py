"""Approved minutes: freeze their items (no new ones), signed PDF and approvals too

Revision ID: c8d9aec9e76a
Revises: 7d41b2c9e0a5
Create Date: 2026-11-29 20:50:00

The triggers of 20b15a8373ea refuse updates and deletes of an approved (or superseded)
version and of its items. Three gaps stayed open: an item could be inserted into (or moved
into) an approved version, the signed PDF in minutes_documents could be overwritten or
deleted, and minutes_approvals could be edited. The signing workflow writes both tables
while the version is submitted; once it is approved they never change, and these
triggers make the database refuse it.
"""

from alembic import op

revision = "c8d9aec9e76a"
down_revision = "7d41b2c9e0a5"
branch_labels = None
depends_on = None

FROZEN = "('approved', 'superseded')"
MESSAGE = "approved minutes never change"
# (table, events) guarded here; minutes_items' updates and deletes already are (by OLD).
GUARDED = {
    "minutes_items": ("INSERT", "UPDATE"),
    "minutes_documents": ("INSERT", "UPDATE", "DELETE"),
    "minutes_approvals": ("INSERT", "UPDATE", "DELETE"),
}


def _frozen(row: str) -> str:
    return f"(SELECT status FROM minutes_versions WHERE id = {row}.version_id) IN {FROZEN}"


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION coordapp_minutes_rows_frozen() RETURNS trigger AS $$
            BEGIN
              IF TG_OP IN ('UPDATE', 'DELETE') THEN
                IF {_frozen("OLD")} THEN RAISE EXCEPTION '{MESSAGE}'; END IF;
              END IF;
              IF TG_OP IN ('INSERT', 'UPDATE') THEN
                IF {_frozen("NEW")} THEN RAISE EXCEPTION '{MESSAGE}'; END IF;
              END IF;
              IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
              RETURN NEW;
            END $$ LANGUAGE plpgsql""")
        for table, events in GUARDED.items():
            op.execute(f"""
                CREATE TRIGGER {table}_rows_frozen BEFORE {" OR ".join(events)} ON {table}
                FOR EACH ROW EXECUTE FUNCTION coordapp_minutes_rows_frozen()""")
        return
    for table, events in GUARDED.items():
        for event in events:
            rows = {"INSERT": ["NEW"], "UPDATE": ["OLD", "NEW"], "DELETE": ["OLD"]}[event]
            condition = " OR ".join(_frozen(row) for row in rows)
            op.execute(f"""
                CREATE TRIGGER {table}_rows_frozen_{event.lower()} BEFORE {event} ON {table}
                WHEN {condition}
                BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in GUARDED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_rows_frozen ON {table}")
        op.execute("DROP FUNCTION IF EXISTS coordapp_minutes_rows_frozen()")
        return
    for table, events in GUARDED.items():
        for event in events:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_rows_frozen_{event.lower()}")
