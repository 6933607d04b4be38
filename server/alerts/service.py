"""Raising an alert: a row in the writer's transaction, and the live channel told."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.alerts import live
from server.alerts.models import Alert
from server.alerts.values import AlertKind
from server.areas.models import Area


async def raise_alert(
    session: AsyncSession,
    *,
    kind: AlertKind,
    area_id: int,
    at: datetime,
    person_id: uuid.UUID | None = None,
    report_id: uuid.UUID | None = None,
    source: str = "",
    alert_id: uuid.UUID | None = None,
) -> Alert | None:
    """Add an alert (None when the same alert about the same person or report exists: a
    second positive result of one person is no new news). ``alert_id`` is for the demo
    seed, whose rows are the same on every run."""
    same = select(Alert.id).where(Alert.kind == kind)
    if person_id is not None:
        same = same.where(Alert.person_id == person_id)
    if report_id is not None:
        same = same.where(Alert.report_id == report_id)
    if (person_id is not None or report_id is not None) and await session.scalar(
        select(exists(same))
    ):
        return None
    alert = Alert(
        id=alert_id or uuid.uuid4(),
        kind=kind,
        person_id=person_id,
        report_id=report_id,
        source=source[:24],
        area_id=area_id,
        created_at=at,
    )
    session.add(alert)
    path = await session.scalar(select(Area.path).where(Area.id == area_id))
    if path is not None:
        await live.announce(session, path)
    return alert
