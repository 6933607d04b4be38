"""area tallies: live rows per area and collection, and visited households per campaign
and area, kept by triggers (server/areas/tallies.py, server/visits/coverage.py); the rows
already there are counted once here

Revision ID: 0013_area_tallies
Revises: 0012_perf_indexes
Create Date: 2026-12-03 08:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from server.areas import tallies
from server.visits import coverage

revision: str = "0013_area_tallies"
down_revision: str | Sequence[str] | None = "0012_perf_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "area_tallies",
        sa.Column("area_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("collection", sa.String(length=32), nullable=False),
        sa.Column("live", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("area_id", "collection", name=op.f("pk_area_tallies")),
    )
    op.create_table(
        "campaign_coverage",
        sa.Column("campaign_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("area_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("visited", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", "area_id", name=op.f("pk_campaign_coverage")),
    )
    # counted, then kept by the triggers, in one transaction: on PostgreSQL the tables are
    # locked against writes first, so no write slips between the count and the triggers
    if dialect == "postgresql":
        names = ", ".join(sorted({*tallies.TALLIED, "campaigns"}))
        op.execute(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE")
    for statement in tallies.backfill_sql():
        op.execute(statement)
    op.execute(coverage.backfill_sql())
    for statement in [*tallies.trigger_ddl(dialect), *coverage.trigger_ddl(dialect)]:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in [*coverage.drop_ddl(dialect), *tallies.drop_ddl(dialect)]:
        op.execute(statement)
    op.drop_table("campaign_coverage")
    op.drop_table("area_tallies")
