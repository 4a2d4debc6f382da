"""Nominations (organisations asked to name their delegates, focal points, heads of
organisation) and hybrid attendance (meeting format, in person / online)

Revision ID: a4c2e8d1f907
Revises: a19c0e5b7d31
Create Date: 2026-12-07 12:29:28.490790
"""

import sqlalchemy as sa
from alembic import op

revision = "a4c2e8d1f907"
down_revision = "a19c0e5b7d31"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "nomination_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("places", sa.Integer(), server_default="2", nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("link_id", sa.String(length=32), nullable=False),
        sa.Column("focal_point_id", sa.Integer(), nullable=True),
        sa.Column("sent_to", sa.String(length=254), nullable=True),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("letter_number", sa.String(length=50), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminders_sent", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("places > 0", name=op.f("ck_nomination_requests_places_positive")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_nomination_requests_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["focal_point_id"],
            ["contacts.id"],
            name=op.f("fk_nomination_requests_focal_point_id_contacts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_nomination_requests_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_nomination_requests_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nomination_requests")),
        sa.UniqueConstraint("link_id", name=op.f("uq_nomination_requests_link_id")),
        sa.UniqueConstraint(
            "meeting_id",
            "organisation_id",
            name=op.f("uq_nomination_requests_meeting_id_organisation_id"),
        ),
    )
    with op.batch_alter_table("nomination_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_nomination_requests_organisation_id"), ["organisation_id"], unique=False
        )

    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("focal_point", sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attendance_mode", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("present_mode", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("nomination_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_invitations_nomination_id"), ["nomination_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_invitations_nomination_id_nomination_requests"),
            "nomination_requests",
            ["nomination_id"],
            ["id"],
            ondelete="SET NULL",
        )
        for column in ("attendance_mode", "present_mode"):
            batch_op.create_check_constraint(
                op.f(f"ck_invitations_{column}"), f"{column} IN ('in_person', 'online')"
            )

    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("format", sa.String(length=20), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_meetings_format"), "format IN ('in_person', 'online', 'hybrid')"
        )

    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("general_email", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("head_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("head_title", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("language", sa.String(length=10), nullable=True))


def downgrade():
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("language")
        batch_op.drop_column("head_title")
        batch_op.drop_column("head_name")
        batch_op.drop_column("general_email")

    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_meetings_format"), type_="check")
        batch_op.drop_column("format")

    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_invitations_nomination_id_nomination_requests"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_invitations_nomination_id"))
        for column in ("attendance_mode", "present_mode"):
            batch_op.drop_constraint(op.f(f"ck_invitations_{column}"), type_="check")
        batch_op.drop_column("nomination_id")
        batch_op.drop_column("present_mode")
        batch_op.drop_column("attendance_mode")

    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("focal_point")

    with op.batch_alter_table("nomination_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nomination_requests_organisation_id"))

    op.drop_table("nomination_requests")
