"""admin_org: areas.retired_at (an admin retires an area; its records stay)

Revision ID: 0010_admin_org
Revises: 0009_reminders
Create Date: 2026-12-02 18:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db

revision: str = "0010_admin_org"
down_revision: str | Sequence[str] | None = "0009_reminders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("areas") as batch:
        batch.add_column(
            sa.Column("retired_at", server.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("areas") as batch:
        batch.drop_column("retired_at")
