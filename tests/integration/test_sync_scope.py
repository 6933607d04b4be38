"""Scope: what a device receives and may change follows its user's place in the area tree;
a scope change resets the device without losing its pending edits."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update

from server.accounts.models import User
from server.db import transaction
from server.people.models import Household, Person
from server.quarantine.models import Measure
from tests.factories import (
    make_fever_report,
    make_household,
    make_measure,
    make_person,
    make_visit,
)
from tests.integration.sync_helpers import World, household, make_world


async def ledger(w: World) -> dict[str, dict[str, set[str]]]:
    """Two households with a person, a measure and a visit in each grid; a fever report in
    the village. Returns ids by grid key and collection."""
    made: dict[str, dict[str, set[str]]] = {}
    async with transaction(w.db) as s:
        for key in ("grid", "grid2"):
            ids = made.setdefault(key, {})
            for _ in range(2):
                h = await make_household(s, w.areas[key])
                p = await make_person(s, h)
                m = await make_measure(s, p)
                v = await make_visit(s, h)
                for col, row in (("households", h), ("persons", p), ("measures", m), ("visits", v)):
                    ids.setdefault(col, set()).add(str(row.id))
        report = await make_fever_report(
            s, w.facility, datetime(2026, 11, 29, 1, tzinfo=UTC), area=w.areas["village"]
        )
        made["village"] = {"fever_reports": {str(report.id)}}
    return made


def held(rows: dict[str, dict[str, Any]], col: str) -> set[str]:
    return set(rows.get(col, {}))


async def test_pulls_carry_only_the_users_subtree_and_collections(db: Any, client: Any) -> None:
    w = await make_world(db)
    made = await ledger(w)
    worker, worker2 = w.dev(client, "worker"), w.dev(client, "worker2")
    sup, sentinel = w.dev(client, "supervisor"), w.dev(client, "sentinel")
    for dev in (worker, worker2, sup, sentinel):
        await dev.pull_all(limit=3)  # snapshot, paged
    for col in ("households", "persons", "measures", "visits"):
        assert held(worker.rows, col) == made["grid"][col]
        assert held(worker2.rows, col) == made["grid2"][col]
        assert held(sup.rows, col) == made["grid"][col] | made["grid2"][col]
        assert held(sentinel.rows, col) == set()  # not the sentinel's collections
    assert held(sentinel.rows, "fever_reports") == made["village"]["fever_reports"]
    assert held(worker.rows, "fever_reports") == set()
    grid, grid2 = w.areas["grid"], w.areas["grid2"]
    assert {int(i) for i in held(worker.rows, "areas")} == {
        a.id for k, a in w.areas.items() if k != "grid2"
    }  # its grid and the grid's ancestors, not the neighbour grid
    assert str(grid2.id) not in held(worker.rows, "areas")

    # the feed keeps to the scope as well: new rows in both grids
    async with transaction(db) as s:
        h2 = await make_household(s, grid2)
        h1 = await make_household(s, grid)
    await worker.pull_all()
    await worker2.pull_all()
    assert str(h1.id) in held(worker.rows, "households")
    assert str(h2.id) not in held(worker.rows, "households")
    assert str(h2.id) in held(worker2.rows, "households")
    for dev, key in ((worker, "grid"), (worker2, "grid2")):
        for col in ("households", "persons", "measures", "visits"):
            assert {r["area_id"] for r in dev.rows[col].values()} == {w.areas[key].id}


async def test_writes_outside_the_scope_are_rejected(db: Any, client: Any) -> None:
    w = await make_world(db)
    made = await ledger(w)
    worker, sup = w.dev(client, "worker"), w.dev(client, "supervisor")
    foreign = next(iter(made["grid2"]["persons"]))
    answer = await worker.sync(
        [
            worker.put("persons", foreign, base=1, notes="x"),
            household(worker, w.areas["grid2"]),
            worker.put(
                "fever_events",
                report_id=next(iter(made["village"]["fever_reports"])),
                kind="acknowledged",
                at="2026-11-29T01:00:00Z",
            ),
        ]
    )
    assert [(r["status"], r["code"]) for r in answer["results"]] == [
        ("rejected", "out_of_scope"),
        ("rejected", "out_of_scope"),
        ("rejected", "forbidden"),
    ]
    # a supervisor may write in both grids, but records belong to grids, not villages
    answer = await sup.sync([household(sup, w.areas["grid2"]), household(sup, w.areas["village"])])
    assert [(r["status"], r.get("code"), r.get("field")) for r in answer["results"]] == [
        ("applied", None, None),
        ("rejected", "invalid", "area_id"),
    ]


async def test_a_person_moved_to_another_grid_moves_with_its_measures(db: Any, client: Any) -> None:
    w = await make_world(db)
    made = await ledger(w)
    worker, worker2, sup = (w.dev(client, k) for k in ("worker", "worker2", "supervisor"))
    for dev in (worker, worker2, sup):
        await dev.pull_all()
    async with db() as s:
        pid = next(iter(made["grid"]["persons"]))
        moved = await s.get(Person, uuid.UUID(pid))
        assert moved is not None
        mid = str(
            (await s.execute(select(Measure.id).where(Measure.person_id == moved.id))).scalar_one()
        )
    target = next(iter(made["grid2"]["households"]))
    rev = sup.rows["persons"][pid]["rev"]
    answer = await sup.sync([sup.put("persons", pid, base=rev, household_id=target)])
    assert answer["results"][0]["status"] == "applied"
    assert sup.rows["persons"][pid]["area_id"] == w.areas["grid2"].id  # not echo-suppressed
    assert "removed" not in answer  # the supervisor sees both grids: nothing to drop

    out = await worker.sync()
    assert sorted(out["removed"]["persons"]) == [pid]
    assert out["removed"]["measures"] == [mid]
    assert pid not in held(worker.rows, "persons")
    arrived = await worker2.sync()
    assert "removed" not in arrived
    assert pid in held(worker2.rows, "persons")
    assert mid in held(worker2.rows, "measures")
    assert worker2.rows["measures"][mid]["area_id"] == w.areas["grid2"].id


async def test_scope_change_resets_and_keeps_pending_edits(db: Any, client: Any) -> None:
    w = await make_world(db)
    made = await ledger(w)
    worker = w.dev(client, "worker")
    await worker.pull_all()
    assert held(worker.rows, "households") == made["grid"]["households"]
    cursor_before = worker.cursor

    # the worker is moved to the other grid
    async with transaction(db) as s:
        await s.execute(
            update(User)
            .where(User.id == worker.user.id)
            .values(area_id=w.areas["grid2"].id, scope_version=User.scope_version + 1)
        )
    old_hid = next(iter(made["grid"]["households"]))
    new_hid = next(iter(made["grid2"]["households"]))
    pending = [
        worker.put("households", old_hid, base=1, notes="edited offline"),
        worker.put("households", new_hid, base=1, notes="first edit in the new grid"),
    ]
    answer = await worker.sync(pending)
    assert answer["reset"] == "scope"
    assert answer["cursor"] == ""
    assert "changes" not in answer
    # the pending edits were processed, each with an answer, before the reset
    assert [(r["status"], r.get("code")) for r in answer["results"]] == [
        ("rejected", "out_of_scope"),
        ("applied", None),
    ]
    assert worker.cursor is None
    assert worker.rows == {}
    await worker.pull_all()
    assert held(worker.rows, "households") == made["grid2"]["households"]
    assert held(worker.rows, "persons") == made["grid2"]["persons"]
    assert worker.rows["households"][new_hid]["notes"] == "first edit in the new grid"
    assert worker.cursor != cursor_before
    async with db() as s:
        stored = await s.get(Household, uuid.UUID(old_hid))
    assert stored is not None
    assert stored.notes != "edited offline"
