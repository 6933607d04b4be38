"""reminders: a supervisor's reminder to a grid's workers, synced to their phones

Revision ID: 0009_reminders
Revises: 0008_admin
Create Date: 2026-12-02 18:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db

revision: str = "0009_reminders"
down_revision: str | Sequence[str] | None = "0008_admin"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reminders",
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("subject_date", sa.Date(), nullable=True),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("slot", sa.String(length=10), nullable=True),
        sa.Column("message", sa.String(length=300), nullable=False),
        sa.Column("sender_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", server.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", server.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("read_by", sa.Integer(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("rev", sa.BigInteger(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("versions", sa.JSON(), nullable=False),
        sa.Column("created_at", server.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", server.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], name=op.f("fk_reminders_area_id_areas")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_reminders_created_by_users")
        ),
        sa.ForeignKeyConstraint(["read_by"], ["users.id"], name=op.f("fk_reminders_read_by_users")),
        sa.ForeignKeyConstraint(
            ["sender_id"], ["users.id"], name=op.f("fk_reminders_sender_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_reminders_updated_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders")),
    )
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reminders_area_id"), ["area_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reminders_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reminders_rev"), ["rev"], unique=False)
        batch_op.create_index(
            "ix_reminders_subject", ["area_id", "kind", "subject_date"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.drop_index("ix_reminders_subject")
        batch_op.drop_index(batch_op.f("ix_reminders_rev"))
        batch_op.drop_index(batch_op.f("ix_reminders_person_id"))
        batch_op.drop_index(batch_op.f("ix_reminders_area_id"))
    op.drop_table("reminders")
