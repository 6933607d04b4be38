"""fever report fields the sentinel's form asks for: birth year, village, onset date, note

Revision ID: 0004_fever_report_fields
Revises: 0006_fever_inbox
Create Date: 2026-12-02 15:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_fever_report_fields"
down_revision: str | Sequence[str] | None = "0006_fever_inbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("fever_reports") as batch:
        batch.add_column(sa.Column("birth_year", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("village", sa.String(length=60), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("onset_date", sa.Date(), nullable=True))
        batch.add_column(
            sa.Column("note", sa.String(length=300), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("fever_reports") as batch:
        batch.drop_column("note")
        batch.drop_column("onset_date")
        batch.drop_column("village")
        batch.drop_column("birth_year")
