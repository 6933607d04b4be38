"""Nothing a device can send makes the server answer 500.

* Every field of every collection, sent odd values on a new record and on an existing one,
  gets a per-mutation outcome, and the data stays readable by every device.
* Hypothesis fuzzes the whole body of ``POST /api/sync`` with a valid device token: random
  JSON trees, and valid requests mutated at a random place (wrong types, huge numbers,
  unicode, NUL, nesting a few hundred levels deep, unknown collections and fields, bad
  cursors, keys dropped), sent plain, gzipped, as gzip garbage or truncated gzip. Every
  answer is below 500, and a refused request wrote nothing (every table's row count, the
  change counter and the device row are as before).

``make test`` runs a small budget on SQLite and PostgreSQL; ``make soak`` a large one.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, event, given, settings
from sqlalchemy import select

from server.accounts.models import Device
from server.registry import REGISTRY
from server.reports.rules import daily_report_id
from server.sync.spec.codes import REJECTIONS
from server.sync.wire import MAX_MUTATIONS
from tests.integration.sync_fuzz_strategies import (
    TRANSPORTS,
    json_trees,
    mutated_bodies,
    wire_bytes,
)
from tests.integration.sync_helpers import DB, Dev, World, count_rows, household, make_world

SOAK = os.environ.get("WANGGE_SOAK") == "1"
#: hypothesis examples per test and database (random trees, mutated requests)
MODEST = (25, 75)
MANY = (1500, 4000)

ODD: list[Any] = [
    None,
    "",
    "x" * 3000,
    "a\x00b",
    -1,
    2**70,
    1.5,
    True,
    [1, "a", None],
    {"k": "\x00", "n": {"deep": [1]}},
    "2026-02-30",
    "2026-11-29T25:00:00Z",
    "00000000-0000-0000-0000-000000000000",
]


async def base_records(
    admin: Dev, grid: int, facility: int
) -> dict[str, tuple[str, dict[str, Any]]]:
    """One valid record per collection: id and the data that created it."""
    made: dict[str, tuple[str, dict[str, Any]]] = {}
    day = date(2026, 11, 29)

    def add(col: str, rid: str | None = None, **data: Any) -> dict[str, Any]:
        m = admin.put(col, rid, **data)
        made[col] = (m["rid"], data)
        return m

    h = add("households", area_id=grid, head_name="户主")
    p = add("persons", household_id=h["rid"], name="居民")
    ms = add("measures", person_id=p["rid"], kind="home_quarantine", start_date="2026-11-20")
    v = add("visits", household_id=h["rid"], visited_at="2026-11-29T01:00:00Z")
    c = add(
        "checks",
        measure_id=ms["rid"],
        person_id=p["rid"],
        check_date="2026-11-29",
        slot="morning",
        checked_at="2026-11-29T01:00:00Z",
    )
    t = add("tests", person_id=p["rid"])
    d = add("daily_reports", str(daily_report_id(grid, day)), area_id=grid, report_date=str(day))
    f = add(
        "fever_reports",
        facility_id=facility,
        patient_name="病人",
        seen_at_device="2026-11-29T01:00:00Z",
    )
    e = add("fever_events", report_id=f["rid"], kind="acknowledged", at="2026-11-29T01:00:00Z")
    answer = await admin.sync([h, p, ms, v, c, t, d, f, e])
    assert [r["status"] for r in answer["results"]] == ["applied"] * 9, answer["results"]
    return made


async def test_odd_values_in_every_field_get_an_outcome_never_a_500(db: Any, client: Any) -> None:
    w = await make_world(db)
    admin = w.dev(client, "admin")
    await admin.sync()
    made = await base_records(admin, w.areas["grid"].id, w.facility.id)
    mutations: list[dict[str, Any]] = []
    for col, (rid, data) in made.items():
        for field in sorted(REGISTRY[col].writable):
            for value in ODD:
                fresh = dict(data, **{field: value})
                new_id = str(uuid.uuid4())
                mutations.append(admin.put(col, new_id, **fresh))
                mutations.append(admin.put(col, rid, base=1, **{field: value}))
    mutations.append(admin.put("households", rid=made["households"][0], base=1, **{"x\x00": 1}))
    broken = admin.put("households", area_id=1, head_name="x")
    mutations += [dict(broken, rid="a\x00"), dict(broken, hlc="\x00"), dict(broken, id="\x00")]
    for start in range(0, len(mutations), MAX_MUTATIONS):
        batch = mutations[start : start + MAX_MUTATIONS]
        response = await admin.post(admin.body(batch, app="odd\x00app"))
        assert response.status_code == 200, response.text[:500]
        for result in response.json()["results"]:
            assert result["status"] in {"applied", "merged", "conflict", "rejected"}
            if result["status"] == "rejected":
                assert result["code"] in REJECTIONS
    # everything stored can still be served, whole, to a device starting from nothing
    fresh = w.dev(client, "supervisor")
    answers = await fresh.pull_all(limit=500)
    assert all(not a.get("reset") for a in answers)
    assert made["persons"][0] in fresh.rows["persons"]


# --------------------------------------------------------------------------- body fuzzer


@dataclass
class Target:
    world: World
    dev: Dev
    grid: int


async def state_of(db: DB, dev: Dev) -> dict[str, Any]:
    """What a refused request must leave alone: row counts, the counter, the device row."""
    counts: dict[str, Any] = dict(await count_rows(db))
    async with db() as s:
        device = (await s.execute(select(Device).where(Device.id == dev.device_id))).scalar_one()
        counts["device"] = (device.last_seen_at, device.last_cursor, device.pending_count)
    return counts


@pytest.fixture
async def target(db: DB, client: Any) -> Target:
    world = await make_world(db)
    dev = world.dev(client, "admin")
    await dev.sync()
    return Target(world, dev, world.areas["grid"].id)


def valid_body(t: Target) -> dict[str, Any]:
    """A request that would be accepted: a new household, a person in it, a visit."""
    h = household(t.dev, t.world.areas["grid"])
    p = t.dev.put("persons", None, household_id=h["rid"], name="居民")
    v = t.dev.put("visits", None, household_id=h["rid"], visited_at="2026-11-29T01:00:00Z")
    return t.dev.body([h, p, v], limit=50)


async def send_and_check(t: Target, db: DB, body: Any, transport: str, garbage: bytes) -> None:
    before = await state_of(db, t.dev)
    raw, headers = wire_bytes(body, transport, garbage)
    response = await t.dev.post(raw, headers=headers)
    event(f"status {response.status_code}")
    assert response.status_code < 500, (response.status_code, response.text[:400])
    if response.status_code == 200:
        for result in response.json().get("results", []):
            assert result["status"] in {"applied", "merged", "conflict", "rejected"}
            if result["status"] == "rejected":
                assert result["code"] in REJECTIONS, result
        return
    assert "error" in response.json(), response.text[:400]
    assert await state_of(db, t.dev) == before, f"a refused request ({response.status_code}) wrote"


FUZZ_SETTINGS = {
    "deadline": None,
    "database": None,
    "suppress_health_check": list(HealthCheck),
}


def budget(index: int, soak: bool) -> int:
    return (MANY if soak or SOAK else MODEST)[index]


random_bodies = st.one_of(
    json_trees,
    st.dictionaries(st.text(max_size=10), json_trees, max_size=6).map(
        lambda extra: {"protocol": 1, "schema": 1, **extra}
    ),
    st.binary(max_size=200),
)


async def _random_tree(t: Target, db: DB, body: Any, transport: str, garbage: bytes) -> None:
    await send_and_check(t, db, body, transport, garbage)


async def _mutated(t: Target, db: DB, data: st.DataObject, transport: str, garbage: bytes) -> None:
    body = data.draw(mutated_bodies(valid_body(t)))
    await send_and_check(t, db, body, transport, garbage)


@settings(max_examples=budget(0, False), **FUZZ_SETTINGS)
@given(body=random_bodies, transport=st.sampled_from(TRANSPORTS), garbage=st.binary(max_size=40))
async def test_random_json_never_answers_500(
    target: Target, db: DB, body: Any, transport: str, garbage: bytes
) -> None:
    await _random_tree(target, db, body, transport, garbage)


@settings(max_examples=budget(1, False), **FUZZ_SETTINGS)
@given(data=st.data(), transport=st.sampled_from(TRANSPORTS), garbage=st.binary(max_size=40))
async def test_mutated_requests_never_answer_500(
    target: Target, db: DB, data: st.DataObject, transport: str, garbage: bytes
) -> None:
    await _mutated(target, db, data, transport, garbage)


@pytest.mark.soak
@pytest.mark.timeout(3600)
@settings(max_examples=budget(0, True), **FUZZ_SETTINGS)
@given(body=random_bodies, transport=st.sampled_from(TRANSPORTS), garbage=st.binary(max_size=40))
async def test_random_json_never_answers_500_soak(
    target: Target, db: DB, body: Any, transport: str, garbage: bytes
) -> None:
    await _random_tree(target, db, body, transport, garbage)


@pytest.mark.soak
@pytest.mark.timeout(3600)
@settings(max_examples=budget(1, True), **FUZZ_SETTINGS)
@given(data=st.data(), transport=st.sampled_from(TRANSPORTS), garbage=st.binary(max_size=40))
async def test_mutated_requests_never_answer_500_soak(
    target: Target, db: DB, data: st.DataObject, transport: str, garbage: bytes
) -> None:
    await _mutated(target, db, data, transport, garbage)


# --------------------------------------------------- 500s found by the fuzzers, now 400s


async def test_json_nested_a_thousand_levels_is_a_400(target: Target, db: DB) -> None:
    body = target.dev.body([])
    body["mutations"] = ["NEST"]
    # spliced in as text: the standard library's encoder itself recurses too deep for it
    raw = json.dumps(body).replace('"NEST"', "[" * 1000 + "]" * 1000)
    before = await state_of(db, target.dev)
    response = await target.dev.post(raw.encode())
    assert response.status_code == 400, response.text[:300]
    assert await state_of(db, target.dev) == before
