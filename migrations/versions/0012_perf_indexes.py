"""perf indexes: areas.path compared bytewise (COLLATE "C" on PostgreSQL) so a subtree is
an index range; persons by (category, created_at) for the new-arrivals count; visits that
found a household at home, and a day's checks, answered from the index alone

Revision ID: 0012_perf_indexes
Revises: 0010_admin_org
Create Date: 2026-12-02 18:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_perf_indexes"
down_revision: str | Sequence[str] | None = "0010_admin_org"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # The subtree filter is `path >= '/1/4/' AND path < '/1/40'` (server/areas/paths.py):
        # right only in byte order, and a language collation never lets LIKE use the index.
        # SQLite compares text bytewise (BINARY) already. The index is rebuilt with it.
        op.alter_column(
            "areas",
            "path",
            type_=sa.String(255, collation="C"),
            existing_type=sa.String(255),
            existing_nullable=False,
        )
    with op.batch_alter_table("persons") as batch:
        batch.create_index("ix_persons_category_created_at", ["category", "created_at"])
    with op.batch_alter_table("visits") as batch:
        batch.create_index(
            "ix_visits_household_found",
            ["household_id", "visited_at"],
            postgresql_where=sa.text("deleted IS false AND outcome = 'visited'"),
            sqlite_where=sa.text("deleted = 0 AND outcome = 'visited'"),
        )
    with op.batch_alter_table("checks") as batch:
        batch.create_index(
            "ix_checks_day_measure",
            ["check_date", "measure_id", "slot"],
            postgresql_where=sa.text("deleted IS false"),
            sqlite_where=sa.text("deleted = 0"),
        )


def downgrade() -> None:
    with op.batch_alter_table("checks") as batch:
        batch.drop_index("ix_checks_day_measure")
    with op.batch_alter_table("visits") as batch:
        batch.drop_index("ix_visits_household_found")
    with op.batch_alter_table("persons") as batch:
        batch.drop_index("ix_persons_category_created_at")
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(
            "areas",
            "path",
            type_=sa.String(255),
            existing_type=sa.String(255, collation="C"),
            existing_nullable=False,
        )
