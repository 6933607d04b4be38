"""returnee fields on persons, and the risk_areas reference table

Revision ID: 0003_returnee_fields
Revises: 0002
Create Date: 2026-12-02 15:05:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db

# revision identifiers, used by Alembic.
revision: str = "0003_returnee_fields"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: text columns added NOT NULL: existing rows get "" (the models' default for new rows)
_TEXT = (
    ("origin_province", 40),
    ("origin_city", 40),
    ("origin_district", 40),
    ("transport", 40),
    ("itinerary", 500),
    ("quarantine_place", 120),
    ("measure_reason", 200),
)


def upgrade() -> None:
    op.create_table(
        "risk_areas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("province", sa.String(length=40), nullable=False),
        sa.Column("city", sa.String(length=40), nullable=False),
        sa.Column("district", sa.String(length=40), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("rev", sa.BigInteger(), nullable=False),
        sa.Column("created_at", server.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_areas")),
    )
    with op.batch_alter_table("risk_areas", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_areas_rev"), ["rev"], unique=False)

    with op.batch_alter_table("persons", schema=None) as batch_op:
        for name, length in _TEXT:
            batch_op.add_column(
                sa.Column(name, sa.String(length=length), nullable=False, server_default="")
            )
        batch_op.add_column(sa.Column("health_code", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("contact_of", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_persons_contact_of_persons"), "persons", ["contact_of"], ["id"]
        )
    # the default was for the rows already there; new rows get theirs from the model
    with op.batch_alter_table("persons", schema=None) as batch_op:
        for name, length in _TEXT:
            batch_op.alter_column(name, existing_type=sa.String(length=length), server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_persons_contact_of_persons"), type_="foreignkey")
        batch_op.drop_column("contact_of")
        batch_op.drop_column("health_code")
        for name, _length in reversed(_TEXT):
            batch_op.drop_column(name)
    with op.batch_alter_table("risk_areas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_areas_rev"))
    op.drop_table("risk_areas")
