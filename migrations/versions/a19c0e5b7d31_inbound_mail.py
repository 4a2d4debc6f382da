"""Inbound mail: messages read from the app's mailbox, bounces on outgoing mail and contacts

Revision ID: a19c0e5b7d31
Revises: b2f6d1e8c4a3
Create Date: 2026-12-07 12:40:00

One row per message read (its server identity unique: processed once); an outgoing
message records a bounce that came back for it, a contact since when its address is
undeliverable.
"""

import sqlalchemy as sa
from alembic import op

revision = "a19c0e5b7d31"
down_revision = "b2f6d1e8c4a3"
branch_labels = None
depends_on = None

KINDS = "'reply', 'counter', 'refresh', 'bounce', 'delay', 'auto_reply', 'plain', 'unreadable'"


def upgrade():
    op.create_table(
        "inbound_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mailbox", sa.String(length=200), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("folder", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("message_id", sa.String(length=255), nullable=True),
        sa.Column("from_address", sa.String(length=254), nullable=True),
        sa.Column("from_name", sa.String(length=200), nullable=True),
        sa.Column("subject", sa.String(length=500), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("attachments", sa.JSON(), nullable=True),
        sa.Column("proposed_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("proposed_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("invitation_id", sa.Integer(), nullable=True),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("outgoing_message_id", sa.Integer(), nullable=True),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handled_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(f"kind IN ({KINDS})", name=op.f("ck_inbound_messages_kind")),
        sa.ForeignKeyConstraint(
            ["handled_by_id"],
            ["users.id"],
            name=op.f("fk_inbound_messages_handled_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitations.id"],
            name=op.f("fk_inbound_messages_invitation_id_invitations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_inbound_messages_meeting_id_meetings"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["outgoing_message_id"],
            ["outgoing_messages.id"],
            name=op.f("fk_inbound_messages_outgoing_message_id_outgoing_messages"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_messages")),
        sa.UniqueConstraint(
            "mailbox",
            "uidvalidity",
            "uid",
            name=op.f("uq_inbound_messages_mailbox_uidvalidity_uid"),
        ),
    )
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.create_index("ix_inbound_messages_open", ["handled_at", "kind"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_inbound_messages_invitation_id"), ["invitation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_inbound_messages_meeting_id"), ["meeting_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_inbound_messages_received_at"), ["received_at"], unique=False
        )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("undeliverable_since", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("undeliverable_reason", sa.Text(), nullable=True))
    with op.batch_alter_table("outgoing_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bounced_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("bounce_reason", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("outgoing_messages", schema=None) as batch_op:
        batch_op.drop_column("bounce_reason")
        batch_op.drop_column("bounced_at")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("undeliverable_reason")
        batch_op.drop_column("undeliverable_since")
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbound_messages_received_at"))
        batch_op.drop_index(batch_op.f("ix_inbound_messages_meeting_id"))
        batch_op.drop_index(batch_op.f("ix_inbound_messages_invitation_id"))
        batch_op.drop_index("ix_inbound_messages_open")
    op.drop_table("inbound_messages")
