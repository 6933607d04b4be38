"""Honest time: a device whose clock is a year fast cannot win conflicts, its fever times are
corrected, and every sync measures and stores its clock offset."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from server.accounts.models import Device
from server.fever.models import FeverReport
from server.people.models import Person
from server.sync import routes
from server.sync.models import Conflict, SyncMutation
from tests.integration.sync_helpers import household, iso, make_world, person

YEAR = timedelta(days=365)
YEAR_MS = int(YEAR.total_seconds() * 1000)
T0 = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)


class ServerClock:
    """The server's wall clock, moved by the test (never slept on)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def ms(self) -> int:
        return int(self.now.timestamp() * 1000)


@pytest.fixture
def server_clock(monkeypatch: pytest.MonkeyPatch) -> ServerClock:
    clock = ServerClock(T0)
    monkeypatch.setattr(routes, "utcnow", clock)
    return clock


async def test_a_year_fast_clock_does_not_beat_a_later_honest_edit(
    db: Any, client: Any, server_clock: ServerClock
) -> None:
    w = await make_world(db)
    honest = w.dev(client, "worker", clock=server_clock.ms)
    fast = w.dev(client, "worker_b", clock=lambda: server_clock.ms() + YEAR_MS)
    h = household(honest, w.areas["grid"])
    p = person(honest, h["rid"], phone="13000000000")
    await honest.sync([h, p])
    await fast.sync()
    base = fast.rows["persons"][p["rid"]]["rev"]

    # both edit the phone from the same version; the fast phone's edit reaches the server first
    fast_edit = fast.put("persons", p["rid"], base=base, phone="13100000001")
    answer = await fast.sync([fast_edit])
    assert answer["results"][0]["status"] == "applied"
    assert answer["clock_offset"] == YEAR_MS

    server_clock.now += timedelta(minutes=10)  # ten minutes later, the honest edit
    honest_edit = honest.put("persons", p["rid"], base=base, phone="13100000002")
    answer = await honest.sync([honest_edit])
    assert answer["results"][0]["status"] == "merged"
    async with db() as s:
        row = await s.get(Person, uuid.UUID(p["rid"]))
        conflict = (await s.execute(select(Conflict))).scalar_one()
        stored = await s.get(SyncMutation, uuid.UUID(fast_edit["id"]))
        device = await s.get(Device, fast.device_id)
    assert row is not None
    assert row.phone == "13100000002"  # without the clamp, a year-ahead clock would have won
    assert (conflict.kept_value, conflict.resolution_value) == ("13100000001", "13100000002")
    # the fast edit competed with its clock lowered to receipt + 5 minutes ...
    assert conflict.kept_hlc is not None
    assert int(conflict.kept_hlc[:13]) == server_clock.ms() - 5 * 60_000
    # ... while the mutation log keeps what the device said, and when the server got it
    assert stored is not None
    assert stored.hlc == fast_edit["hlc"]
    assert stored.device_time == datetime.fromtimestamp(fast_edit["at"] / 1000, UTC)
    assert stored.received_at == T0
    assert device is not None
    assert device.clock_offset_ms == YEAR_MS


async def test_fever_times_of_a_wrong_clock_are_corrected(
    db: Any, client: Any, server_clock: ServerClock
) -> None:
    w = await make_world(db)
    offset = timedelta(days=1, minutes=7)  # the phone is a day and 7 minutes fast
    sentinel = w.dev(
        client, "sentinel", clock=lambda: int((server_clock() + offset).timestamp() * 1000)
    )
    seen_by_phone = server_clock() + offset - timedelta(minutes=30)  # seen 30 minutes ago
    report = sentinel.put(
        "fever_reports",
        facility_id=w.facility.id,
        patient_name="赵六",
        seen_at_device=iso(seen_by_phone),
    )
    await sentinel.sync([report])
    async with db() as s:
        stored = await s.get(FeverReport, uuid.UUID(report["rid"]))
    assert stored is not None
    assert stored.seen_at_device == seen_by_phone
    assert stored.seen_at == T0 - timedelta(minutes=30)  # the two-hour clock starts here
    assert stored.received_at == T0
    row = sentinel.rows["fever_reports"][report["rid"]]
    assert datetime.fromisoformat(row["seen_at"]) == T0 - timedelta(minutes=30)

    # a clock within two minutes is taken as it is
    near = w.dev(client, "township", clock=lambda: server_clock.ms() + 90_000)
    seen = server_clock() - timedelta(minutes=5)
    other = near.put(
        "fever_reports", facility_id=w.facility.id, patient_name="钱七", seen_at_device=iso(seen)
    )
    await near.sync([other])
    async with db() as s:
        stored = await s.get(FeverReport, uuid.UUID(other["rid"]))
    assert stored is not None
    assert stored.seen_at == seen
