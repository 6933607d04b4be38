"""Nothing a device can put in ``data`` makes the server answer 500 or fail a whole batch:
every field of every collection, sent odd values on a new record and on an existing one,
gets a per-mutation outcome, and the data stays readable by every device."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from server.registry import REGISTRY
from server.reports.rules import daily_report_id
from server.sync.spec.codes import REJECTIONS
from server.sync.wire import MAX_MUTATIONS
from tests.integration.sync_helpers import Dev, make_world

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
