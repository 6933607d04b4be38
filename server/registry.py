"""The collections devices sync, in order: composed here, outside ``server/sync``, because
the engine must not import the domains that declare them (they import the engine's
declaration module). ``create_app`` and the CLI hand this registry to the engine.

The order is binding: it is the default order of a first sync (reference data, then
today's work) and each collection's number in snapshot cursors (docs/sync-protocol.md,
"Collections"). Append new collections at the end.
"""

from __future__ import annotations

from server.areas.collections import AREAS, FACILITIES
from server.fever.collections import FEVER_EVENTS, FEVER_REPORTS
from server.people.collections import HOUSEHOLDS, PERSONS, RISK_AREAS
from server.quarantine.collections import CHECKS, MEASURES, POLICIES, TESTS
from server.reminders.collections import REMINDERS
from server.reports.collections import DAILY_REPORTS
from server.sync.models import CONFLICTS
from server.sync.spec.collections import Registry
from server.visits.collections import CAMPAIGNS, VISITS

REGISTRY = Registry(
    (
        AREAS,
        FACILITIES,
        POLICIES,
        CAMPAIGNS,
        MEASURES,
        PERSONS,
        HOUSEHOLDS,
        VISITS,
        CHECKS,
        TESTS,
        DAILY_REPORTS,
        FEVER_REPORTS,
        FEVER_EVENTS,
        CONFLICTS,
        RISK_AREAS,
        REMINDERS,
    )
)
