"""The special reports (特报) the demo's records would have raised as they synced: every
high-risk arrival of the last three days and every positive result, raised through
server.alerts.service.raise_alert as the sync hooks raise them. Those raised before today
were acknowledged (by the town's health centre in the demo town, by the county supervisor
elsewhere); today's wait on /alerts. Deterministic: ids and times come from the rows."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from server.alerts.models import Alert
from server.alerts.service import raise_alert
from server.alerts.values import AlertKind
from server.people.rules import needs_special_report
from server.seed.county import Clock

if TYPE_CHECKING:
    from server.seed.load import Demo

#: arrivals this recent raise an alert in the demo (the older ones came before the system)
ARRIVAL_WINDOW = timedelta(days=3)
_NAMESPACE = uuid.UUID("6f1c2a4e-3b9d-4f51-9c0a-2d7e8b5a1c33")


def _ack_delay(alert_id: uuid.UUID) -> timedelta:
    """10 to 69 minutes, read off the alert's id (the same on every run)."""
    return timedelta(minutes=10 + alert_id.int % 60)


async def raise_demo_alerts(
    session: AsyncSession, demo: Demo, clock: Clock, user_ids: dict[str, int]
) -> list[Alert]:
    county, act = demo.county, demo.activity
    town_of = {g.id: g.village.town.id for g in county.grids}
    town_of |= {v.id: v.town.id for t in county.towns for v in t.villages}
    demo_town = county.towns[0].id
    township = next(a for a in demo.accounts if a.role == "township_health")
    supervisor = next(a for a in demo.accounts if a.role == "supervisor")
    since = clock.now - ARRIVAL_WINDOW
    raised: list[Alert] = []
    arrivals = sorted(
        (p for p in county.persons if needs_special_report(p["category"])),
        key=lambda p: (p["created_at"], str(p["id"])),
    )
    for person in arrivals:
        if person["created_at"] < since:
            continue
        alert = await raise_alert(
            session,
            kind=AlertKind.ARRIVAL,
            area_id=person["area_id"],
            at=person["created_at"],
            person_id=person["id"],
            source=person["category"],
            alert_id=uuid.uuid5(_NAMESPACE, f"arrival:{person['id']}"),
        )
        raised += [alert] if alert is not None else []
    for report in act.fever_reports:
        if report["result"] != "positive":
            continue
        alert = await raise_alert(
            session,
            kind=AlertKind.POSITIVE,
            area_id=report["area_id"],
            at=report["updated_at"],
            person_id=None,
            report_id=report["id"],
            source="fever_events",
            alert_id=uuid.uuid5(_NAMESPACE, f"positive:{report['id']}"),
        )
        raised += [alert] if alert is not None else []
    opening = clock.at(clock.today, 0)
    for alert in raised:
        if alert.created_at >= opening:
            continue  # today's: still open
        in_demo_town = town_of.get(alert.area_id) == demo_town
        acker = township if in_demo_town else supervisor
        alert.acknowledged_by = user_ids[acker.phone]
        alert.acknowledged_at = min(alert.created_at + _ack_delay(alert.id), clock.now)
    await session.flush()
    return raised
