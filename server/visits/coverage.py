"""Visited households per campaign and area, kept by the database itself (triggers).

``campaign_coverage`` holds, for each campaign and each area, how many live households
registered there a visit of the campaign found at home: a visit not deleted, with outcome
"visited", made in the campaign's window ``[starts_on, ends_on)`` (the rule of
server/visits/queries.py ``_visited_in``). Household totals come from ``area_tallies``
(server/areas/tallies.py). Triggers keep it in the writing transaction:

* a visit that counts (inserted, undeleted, re-dated) adds its household to each campaign
  whose window holds it, unless another counting visit of the household in that window
  already did; one that stops counting takes it off unless another one still counts;
* a household moved to another area, deleted or undeleted moves or drops its marks;
* a campaign created or re-dated is counted afresh (one pass over households and visits,
  an admin's rare act); a campaign removed takes its rows with it.

On PostgreSQL the visits trigger runs BEFORE each row so that, in a statement writing
several visits, each row sees the rows written before it and not yet the later ones
(after-row triggers would all see the whole statement and miss that two visits of one
household came together); SQLite runs row triggers as it goes. A BEFORE INSERT trigger
also runs for a row that ``ON CONFLICT`` then skips: an insert whose id is already there
counts nothing (the check sees committed rows and its own transaction's: two
transactions inserting one id at once both count it, but only with ``ON CONFLICT``, which
no writer of synced rows uses; without it the second insert fails and its statement,
trigger and all, is undone). SQLite's ``INSERT OR REPLACE`` deletes without firing delete
triggers: nothing here uses it, and the counts would not see such a delete.
"""

from __future__ import annotations

from sqlalchemy import Integer
from sqlalchemy.orm import Mapped, mapped_column

from server.areas.tallies import create_with_schema
from server.db import Base
from server.people.models import Household
from server.sync.spec.collections import insert_alone
from server.visits.models import Campaign, Visit


class CampaignCoverage(Base):
    """Live households of one area found at home by a visit in one campaign's window."""

    __tablename__ = "campaign_coverage"

    campaign_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    area_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    visited: Mapped[int] = mapped_column(Integer, default=0)


def _window(at: str) -> str:
    return f"c.starts_on <= {at} AND (c.ends_on IS NULL OR {at} < c.ends_on)"


def _found_in_c(household: str, other_than: str | None = None) -> str:
    """A visit of `household` that counts for campaign ``c`` (besides `other_than`)."""
    besides = f" AND v.id <> {other_than}" if other_than else ""
    return (
        f"EXISTS (SELECT 1 FROM visits v WHERE v.household_id = {household}{besides} "
        "AND NOT v.deleted AND v.outcome = 'visited' AND v.visited_at >= c.starts_on "
        "AND (c.ends_on IS NULL OR v.visited_at < c.ends_on))"
    )


def _visit_counts(row: str) -> str:
    return f"NOT {row}.deleted AND {row}.outcome = 'visited'"


def _visit_add(row: str) -> str:
    """The visit `row` starts counting: its live household joins each campaign it was not
    in yet."""
    return (
        "INSERT INTO campaign_coverage (campaign_id, area_id, visited) "
        "SELECT c.id, h.area_id, 1 FROM campaigns c "
        f"JOIN households h ON h.id = {row}.household_id WHERE {_visit_counts(row)} "
        f"AND NOT h.deleted AND {_window(f'{row}.visited_at')} "
        f"AND NOT {_found_in_c(f'{row}.household_id', f'{row}.id')} "
        "ON CONFLICT (campaign_id, area_id) DO UPDATE SET visited = campaign_coverage.visited + 1;"
    )


def _visit_take(row: str) -> str:
    """The visit `row` stops counting: its household leaves each campaign no other
    visit keeps it in."""
    return (
        "UPDATE campaign_coverage SET visited = visited - 1 "
        "WHERE (campaign_id, area_id) IN ("
        "SELECT c.id, h.area_id FROM campaigns c "
        f"JOIN households h ON h.id = {row}.household_id WHERE {_visit_counts(row)} "
        f"AND NOT h.deleted AND {_window(f'{row}.visited_at')} "
        f"AND NOT {_found_in_c(f'{row}.household_id', f'{row}.id')});"
    )


def _household_add(row: str) -> str:
    return (
        "INSERT INTO campaign_coverage (campaign_id, area_id, visited) "
        f"SELECT c.id, {row}.area_id, 1 FROM campaigns c "
        f"WHERE NOT {row}.deleted AND {_found_in_c(f'{row}.id')} "
        "ON CONFLICT (campaign_id, area_id) DO UPDATE SET visited = campaign_coverage.visited + 1;"
    )


def _household_take(row: str) -> str:
    return (
        "UPDATE campaign_coverage SET visited = visited - 1 "
        f"WHERE NOT {row}.deleted AND area_id = {row}.area_id AND campaign_id IN ("
        f"SELECT c.id FROM campaigns c WHERE {_found_in_c(f'{row}.id')});"
    )


def _campaign_recount(row: str) -> list[str]:
    return [
        f"DELETE FROM campaign_coverage WHERE campaign_id = {row}.id;",
        "INSERT INTO campaign_coverage (campaign_id, area_id, visited) "
        f"SELECT c.id, h.area_id, count(*) FROM campaigns c, households h "
        f"WHERE c.id = {row}.id AND NOT h.deleted AND {_found_in_c('h.id')} "
        "GROUP BY c.id, h.area_id;",
    ]


_VISIT_FIELDS = "deleted, outcome, visited_at, household_id"
_VISIT_CHANGED = " OR ".join(f"OLD.{f} IS DISTINCT FROM NEW.{f}" for f in _VISIT_FIELDS.split(", "))
_HOUSEHOLD_CHANGED = (
    "OLD.area_id IS DISTINCT FROM NEW.area_id OR OLD.deleted IS DISTINCT FROM NEW.deleted"
)


def _pg() -> list[str]:
    campaign_recount = " ".join(_campaign_recount("NEW"))
    return [
        f"""
CREATE OR REPLACE FUNCTION wangge_coverage_visit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        {_visit_take("OLD")}
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'INSERT' AND EXISTS (SELECT 1 FROM visits WHERE id = NEW.id) THEN
        -- the row will not be inserted: a unique violation, or ON CONFLICT skips it or
        -- turns it into an update (whose own trigger counts it)
        RETURN NEW;
    END IF;
    {_visit_add("NEW")}
    RETURN NEW;
END
$$""",
        f"""
CREATE OR REPLACE FUNCTION wangge_coverage_household() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        {_household_take("OLD")}
    END IF;
    IF TG_OP <> 'DELETE' THEN
        {_household_add("NEW")}
    END IF;
    RETURN NULL;
END
$$""",
        f"""
CREATE OR REPLACE FUNCTION wangge_coverage_campaign() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM campaign_coverage WHERE campaign_id = OLD.id;
        RETURN NULL;
    END IF;
    {campaign_recount}
    RETURN NULL;
END
$$""",
        "CREATE TRIGGER coverage_visits_write BEFORE INSERT OR DELETE ON visits "
        "FOR EACH ROW EXECUTE FUNCTION wangge_coverage_visit()",
        f"CREATE TRIGGER coverage_visits_change BEFORE UPDATE OF {_VISIT_FIELDS} ON visits "
        f"FOR EACH ROW WHEN ({_VISIT_CHANGED}) EXECUTE FUNCTION wangge_coverage_visit()",
        "CREATE TRIGGER coverage_households_write AFTER INSERT OR DELETE ON households "
        "FOR EACH ROW EXECUTE FUNCTION wangge_coverage_household()",
        "CREATE TRIGGER coverage_households_change AFTER UPDATE OF area_id, deleted "
        f"ON households FOR EACH ROW WHEN ({_HOUSEHOLD_CHANGED}) "
        "EXECUTE FUNCTION wangge_coverage_household()",
        "CREATE TRIGGER coverage_campaigns_write AFTER INSERT OR DELETE ON campaigns "
        "FOR EACH ROW EXECUTE FUNCTION wangge_coverage_campaign()",
        "CREATE TRIGGER coverage_campaigns_change AFTER UPDATE OF starts_on, ends_on "
        "ON campaigns FOR EACH ROW WHEN (OLD.starts_on IS DISTINCT FROM NEW.starts_on "
        "OR OLD.ends_on IS DISTINCT FROM NEW.ends_on) EXECUTE FUNCTION wangge_coverage_campaign()",
    ]


def _sqlite() -> list[str]:
    changed = _VISIT_CHANGED.replace("IS DISTINCT FROM", "IS NOT")
    household_changed = _HOUSEHOLD_CHANGED.replace("IS DISTINCT FROM", "IS NOT")
    return [
        f"CREATE TRIGGER coverage_visits_insert AFTER INSERT ON visits "
        f"BEGIN {_visit_add('NEW')} END",
        f"CREATE TRIGGER coverage_visits_delete AFTER DELETE ON visits "
        f"BEGIN {_visit_take('OLD')} END",
        f"CREATE TRIGGER coverage_visits_change AFTER UPDATE OF {_VISIT_FIELDS} ON visits "
        f"WHEN {changed} BEGIN {_visit_take('OLD')} {_visit_add('NEW')} END",
        f"CREATE TRIGGER coverage_households_insert AFTER INSERT ON households "
        f"BEGIN {_household_add('NEW')} END",
        f"CREATE TRIGGER coverage_households_delete AFTER DELETE ON households "
        f"BEGIN {_household_take('OLD')} END",
        f"CREATE TRIGGER coverage_households_change AFTER UPDATE OF area_id, deleted "
        f"ON households WHEN {household_changed} "
        f"BEGIN {_household_take('OLD')} {_household_add('NEW')} END",
        "CREATE TRIGGER coverage_campaigns_insert AFTER INSERT ON campaigns "
        f"BEGIN {' '.join(_campaign_recount('NEW'))} END",
        "CREATE TRIGGER coverage_campaigns_delete AFTER DELETE ON campaigns "
        "BEGIN DELETE FROM campaign_coverage WHERE campaign_id = OLD.id; END",
        "CREATE TRIGGER coverage_campaigns_change AFTER UPDATE OF starts_on, ends_on "
        "ON campaigns WHEN OLD.starts_on IS NOT NEW.starts_on OR OLD.ends_on IS NOT NEW.ends_on "
        f"BEGIN {' '.join(_campaign_recount('NEW'))} END",
    ]


def trigger_ddl(dialect: str) -> list[str]:
    """The statements that create the coverage triggers on `dialect` (the migration and
    ``create_all`` run the same ones)."""
    return _pg() if dialect == "postgresql" else _sqlite()


def drop_ddl(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [
            "DROP TRIGGER IF EXISTS coverage_visits_write ON visits",
            "DROP TRIGGER IF EXISTS coverage_visits_change ON visits",
            "DROP TRIGGER IF EXISTS coverage_households_write ON households",
            "DROP TRIGGER IF EXISTS coverage_households_change ON households",
            "DROP TRIGGER IF EXISTS coverage_campaigns_write ON campaigns",
            "DROP TRIGGER IF EXISTS coverage_campaigns_change ON campaigns",
            "DROP FUNCTION IF EXISTS wangge_coverage_visit()",
            "DROP FUNCTION IF EXISTS wangge_coverage_household()",
            "DROP FUNCTION IF EXISTS wangge_coverage_campaign()",
        ]
    return [
        f"DROP TRIGGER IF EXISTS coverage_{table}_{kind}"
        for table in ("visits", "households", "campaigns")
        for kind in ("insert", "delete", "change")
    ]


def backfill_sql() -> str:
    """Count what is already there (the migration, on a database with data)."""
    return (
        "INSERT INTO campaign_coverage (campaign_id, area_id, visited) "
        "SELECT c.id, h.area_id, count(*) FROM campaigns c, households h "
        f"WHERE NOT h.deleted AND {_found_in_c('h.id')} GROUP BY c.id, h.area_id"
    )


create_with_schema(trigger_ddl)


# The three tables' triggers read one another's rows, in the order the rows are written:
# never written together in one combined statement.
for _model in (Household, Visit, Campaign):
    insert_alone(_model.__table__)  # type: ignore[arg-type]
