"""fever inbox: leads from checks, the sampler, alerts (特报)

Revision ID: 0006_fever_inbox
Revises: 0002
Create Date: 2026-12-02 15:05:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db

# revision identifiers, used by Alembic.
revision: str = "0006_fever_inbox"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("report_id", sa.Uuid(), nullable=True),
        sa.Column("source", sa.String(length=24), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("created_at", server.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_by", sa.Integer(), nullable=True),
        sa.Column("acknowledged_at", server.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["acknowledged_by"], ["users.id"], name=op.f("fk_alerts_acknowledged_by_users")
        ),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], name=op.f("fk_alerts_area_id_areas")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alerts_area_id"), ["area_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alerts_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_alerts_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alerts_report_id"), ["report_id"], unique=False)

    with op.batch_alter_table("fever_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sampler", sa.String(length=40), nullable=False, server_default="")
        )

    with op.batch_alter_table("fever_reports", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("source", sa.String(length=12), nullable=False, server_default="sentinel")
        )
        batch_op.add_column(sa.Column("person_id", sa.Uuid(), nullable=True))
        batch_op.alter_column("facility_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_index(batch_op.f("ix_fever_reports_person_id"), ["person_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("fever_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fever_reports_person_id"))
        batch_op.alter_column("facility_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("person_id")
        batch_op.drop_column("source")

    with op.batch_alter_table("fever_events", schema=None) as batch_op:
        batch_op.drop_column("sampler")

    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alerts_report_id"))
        batch_op.drop_index(batch_op.f("ix_alerts_person_id"))
        batch_op.drop_index(batch_op.f("ix_alerts_created_at"))
        batch_op.drop_index(batch_op.f("ix_alerts_area_id"))

    op.drop_table("alerts")
