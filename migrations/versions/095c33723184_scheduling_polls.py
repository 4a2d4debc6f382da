"""Scheduling polls: candidate slots for a draft meeting, the people asked, their answers

Revision ID: 095c33723184
Revises: e2f1a7c93d58
Create Date: 2026-11-29 22:46:39

polls.chosen_slot_id and poll_slots.poll_id point at each other: the foreign key of
chosen_slot_id is added once poll_slots exists (batch mode: SQLite rebuilds the table).
"""

import sqlalchemy as sa
from alembic import op

revision = "095c33723184"
down_revision = "e2f1a7c93d58"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "polls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("visibility", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("chosen_slot_id", sa.Integer(), nullable=True),
        sa.Column("reminder_days_before", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_polls_status")),
        sa.CheckConstraint("visibility IN ('counts', 'names')", name=op.f("ck_polls_visibility")),
        sa.CheckConstraint(
            "reminder_days_before IS NULL OR reminder_days_before >= 0",
            name=op.f("ck_polls_reminder_days_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_polls_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_polls_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_polls")),
        sa.UniqueConstraint("meeting_id", name=op.f("uq_polls_meeting_id")),
    )
    op.create_table(
        "poll_key_organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_poll_key_organisations_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["poll_id"],
            ["polls.id"],
            name=op.f("fk_poll_key_organisations_poll_id_polls"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll_key_organisations")),
        sa.UniqueConstraint(
            "poll_id",
            "organisation_id",
            name=op.f("uq_poll_key_organisations_poll_id_organisation_id"),
        ),
    )
    with op.batch_alter_table("poll_key_organisations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_poll_key_organisations_organisation_id"),
            ["organisation_id"],
            unique=False,
        )

    op.create_table(
        "poll_respondents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("link_id", sa.String(length=32), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminders_sent", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(contact_id IS NULL) <> (user_id IS NULL)", name=op.f("ck_poll_respondents_one_person")
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_poll_respondents_contact_id_contacts"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["poll_id"],
            ["polls.id"],
            name=op.f("fk_poll_respondents_poll_id_polls"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_poll_respondents_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll_respondents")),
        sa.UniqueConstraint("link_id", name=op.f("uq_poll_respondents_link_id")),
        sa.UniqueConstraint(
            "poll_id", "contact_id", name=op.f("uq_poll_respondents_poll_id_contact_id")
        ),
        sa.UniqueConstraint("poll_id", "user_id", name=op.f("uq_poll_respondents_poll_id_user_id")),
    )
    with op.batch_alter_table("poll_respondents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_poll_respondents_contact_id"), ["contact_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_poll_respondents_user_id"), ["user_id"], unique=False)

    op.create_table(
        "poll_slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_poll_slots_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["poll_id"], ["polls.id"], name=op.f("fk_poll_slots_poll_id_polls"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll_slots")),
        sa.UniqueConstraint(
            "poll_id", "starts_at", "ends_at", name=op.f("uq_poll_slots_poll_id_starts_at_ends_at")
        ),
    )
    op.create_table(
        "poll_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("respondent_id", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("choice", sa.String(length=20), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "choice IN ('yes', 'if_need_be', 'no')", name=op.f("ck_poll_answers_choice")
        ),
        sa.ForeignKeyConstraint(
            ["respondent_id"],
            ["poll_respondents.id"],
            name=op.f("fk_poll_answers_respondent_id_poll_respondents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["slot_id"],
            ["poll_slots.id"],
            name=op.f("fk_poll_answers_slot_id_poll_slots"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll_answers")),
        sa.UniqueConstraint(
            "respondent_id", "slot_id", name=op.f("uq_poll_answers_respondent_id_slot_id")
        ),
    )
    with op.batch_alter_table("poll_answers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_poll_answers_slot_id"), ["slot_id"], unique=False)

    with op.batch_alter_table("polls", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_polls_chosen_slot_id_poll_slots",
            "poll_slots",
            ["chosen_slot_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("polls", schema=None) as batch_op:
        batch_op.drop_constraint("fk_polls_chosen_slot_id_poll_slots", type_="foreignkey")

    with op.batch_alter_table("poll_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_poll_answers_slot_id"))

    op.drop_table("poll_answers")
    op.drop_table("poll_slots")
    with op.batch_alter_table("poll_respondents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_poll_respondents_user_id"))
        batch_op.drop_index(batch_op.f("ix_poll_respondents_contact_id"))

    op.drop_table("poll_respondents")
    with op.batch_alter_table("poll_key_organisations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_poll_key_organisations_organisation_id"))

    op.drop_table("poll_key_organisations")
    op.drop_table("polls")
