"""Campaigns (reference data) and household visits (append-only facts) as devices sync them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from server.i18n import gettext as _
from server.sync.spec.collections import (
    AREA_ID,
    CHECKLIST,
    ID,
    MOMENT,
    Change,
    HookContext,
    Hooks,
    Ref,
    Rejected,
    declare,
    fits,
    one_of,
)
from server.visits.models import Campaign, Visit
from server.visits.rules import campaign_problem
from server.visits.values import VisitOutcome


def _within(start: Any, end: Any, old_start: Any, old_end: Any) -> bool:
    """The new window lies inside the old one."""
    return bool(start >= old_start and (old_end is None or (end is not None and end <= old_end)))


async def validate_campaign(ctx: HookContext, change: Change) -> None:
    """A campaign ends after it starts, and its area runs one campaign at a time."""
    v = change.values
    others = select(Campaign.starts_on, Campaign.ends_on).where(Campaign.area_id == change.area_id)
    if change.id is not None:
        others = others.where(Campaign.id != change.id)
    windows = [(s, e) for s, e in (await ctx.session.execute(others)).all()]
    old = change.record
    if old is not None and _within(v["starts_on"], v.get("ends_on"), old.starts_on, old.ends_on):
        windows = []  # a campaign closed (or shortened) never meets another one anew
    problem = campaign_problem(v["starts_on"], v.get("ends_on"), windows)
    if problem == "ends_before_start":
        raise Rejected("invalid", _("A campaign cannot end before it starts."), "ends_on")
    if problem == "overlap":
        raise Rejected(
            "invalid",
            _("This area already has a campaign in these days: close it first."),
            "starts_on",
        )


CAMPAIGNS = declare(
    "campaigns",
    Campaign,
    "reference",
    "area_id name starts_on ends_on",
    lambda: _("campaigns"),
    read_scope="subtree_or_ancestors",
    int_ids=True,
    required=frozenset({"area_id", "name", "starts_on"}),
    immutable=frozenset({"area_id"}),
    hooks=Hooks(validate=validate_campaign),
    fields={
        "area_id": AREA_ID,
        "name": fits(Campaign.name),
        "starts_on": MOMENT,
        "ends_on": MOMENT | None,
    },
)
VISITS = declare(
    "visits",
    Visit,
    "append",
    "area_id household_id visited_at outcome checklist notes",
    lambda: _("visits"),
    required=frozenset({"household_id", "visited_at"}),
    refs=(Ref("household_id", "households", area=True),),
    fields={
        "household_id": ID,
        "visited_at": MOMENT,
        "outcome": one_of(VisitOutcome),
        "checklist": CHECKLIST,
        "notes": fits(Visit.notes),
    },
)
