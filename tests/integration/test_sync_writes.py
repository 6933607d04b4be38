"""Page writes (server/sync/writes.py) take the device path: checked, hooks run, change
numbers given, idempotent by mutation id, pulled by every device in scope."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from server.accounts.guard import principal_for
from server.db import transaction
from server.fever.models import FeverEvent
from server.registry import REGISTRY
from server.sync.writes import PageWrite, write
from tests.integration.sync_helpers import count_rows, iso, make_world


async def test_a_page_write_runs_the_hooks_and_reaches_devices(db: Any, client: Any) -> None:
    w = await make_world(db)
    sentinel = w.dev(client, "sentinel")
    seen = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)
    report = sentinel.put(
        "fever_reports", facility_id=w.facility.id, patient_name="赵六", seen_at_device=iso(seen)
    )
    await sentinel.sync([report])
    key = str(uuid.uuid4())
    change = PageWrite(
        "fever_events",
        str(uuid.uuid4()),
        {"report_id": report["rid"], "kind": "acknowledged", "at": iso(seen)},
        mutation_id=key,
    )
    for _attempt in range(2):  # a form sent twice has the effect of one
        async with transaction(db) as s:
            user = w.users["township"]
            (result,) = await write(s, REGISTRY, user, await principal_for(s, user), [change])
        assert result.status == "applied", result
    async with db() as s:
        events = (await s.execute(FeverEvent.__table__.select())).all()
    assert len(events) == 1
    await sentinel.sync()
    assert sentinel.rows["fever_reports"][report["rid"]]["state"] == "acknowledged"
    assert change.record_id in sentinel.rows["fever_events"]


async def test_a_page_write_is_refused_like_a_device_write(db: Any, client: Any) -> None:
    w = await make_world(db)
    before = await count_rows(db)
    change = PageWrite(
        "households", str(uuid.uuid4()), {"area_id": w.areas["grid2"].id, "head_name": "x"}
    )
    async with transaction(db) as s:
        user = w.users["sentinel"]  # a sentinel may not change the ledger
        (result,) = await write(s, REGISTRY, user, await principal_for(s, user), [change])
    assert (result.status, result.code) == ("rejected", "forbidden")
    after = await count_rows(db)
    assert {k: v for k, v in after.items() if k != "sync_mutations"} == {
        k: v for k, v in before.items() if k != "sync_mutations"
    }
