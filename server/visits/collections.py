"""Campaigns (reference data) and household visits (append-only facts) as devices sync them."""

from __future__ import annotations

from server.i18n import gettext as _
from server.sync.spec.collections import (
    CHECKLIST,
    ID,
    MOMENT,
    Ref,
    declare,
    fits,
    one_of,
)
from server.visits.models import Campaign, Visit
from server.visits.values import VisitOutcome

CAMPAIGNS = declare(
    "campaigns",
    Campaign,
    "reference",
    "area_id name starts_on ends_on",
    lambda: _("campaigns"),
    read_scope="subtree_or_ancestors",
    int_ids=True,
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
