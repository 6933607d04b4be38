"""The outcome of each mutation: applied, merged, conflict, rejected with each code;
replays, echo suppression, tombstones, append-only facts, daily reports, fever reports."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete, func, select

from server.audit.models import AuditEntry
from server.db import transaction
from server.fever.models import FeverReport
from server.people.models import Household, Person
from server.registry import REGISTRY
from server.reports.rules import daily_report_id
from server.sync.models import Conflict, SyncMutation, SyncState
from tests.integration.sync_helpers import (
    Dev,
    World,
    count_rows,
    household,
    iso,
    make_world,
    now_ms,
    person,
)

FULL_HOUSEHOLD = {"address": "一组3号", "doorplate": "3", "phone": None, "notes": ""}


def results(answer: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(r["status"], r.get("code")) for r in answer["results"]]


def ids_in(answer: dict[str, Any], col: str) -> set[str]:
    page = answer.get("changes", {}).get(col)
    return {row[0] for row in page["rows"]} if page else set()


async def seeded(w: World, client: Any) -> tuple[Dev, str, str]:
    """A worker with one household and one person in grid A, fully synced."""
    dev = w.dev(client, "worker")
    await dev.sync()
    h = household(dev, w.areas["grid"], **FULL_HOUSEHOLD)
    p = person(dev, h["rid"])
    await dev.sync([h, p])
    return dev, h["rid"], p["rid"]


async def test_applied_writes_are_confirmed_not_echoed(db: Any, client: Any) -> None:
    w = await make_world(db)
    dev = w.dev(client, "worker")
    await dev.sync()
    m = household(dev, w.areas["grid"], **FULL_HOUSEHOLD)
    answer = await dev.sync([m])
    assert results(answer) == [("applied", None)]
    rev = answer["results"][0]["rev"]
    assert m["rid"] not in ids_in(answer, "households")  # all fields sent: no echo

    edit = dev.put("households", m["rid"], base=rev, notes="门口有狗")
    answer = await dev.sync([edit])
    assert results(answer) == [("applied", None)]
    assert answer["results"][0]["rev"] > rev
    assert "changes" not in answer

    other = w.dev(client, "worker_b")
    await other.sync()
    assert other.rows["households"][m["rid"]]["notes"] == "门口有狗"
    assert other.rows["households"][m["rid"]]["rev"] == answer["results"][0]["rev"]


async def test_echoes_are_sent_when_the_device_lacks_something(db: Any, client: Any) -> None:
    w = await make_world(db)
    dev = w.dev(client, "worker")
    await dev.sync()
    h = household(dev, w.areas["grid"], **FULL_HOUSEHOLD)
    await dev.sync([h])
    # a person sent with every writable field still lacks its area, derived by the server
    fields = dict.fromkeys(REGISTRY["persons"].writable)
    fields |= {"household_id": h["rid"], "name": "李四", "relation": "", "origin": ""}
    fields |= {"category": "resident", "measure": "none", "notes": ""}
    texts = ("origin_province", "origin_city", "origin_district", "transport", "itinerary")
    fields |= dict.fromkeys((*texts, "quarantine_place", "measure_reason"), "")
    p = dev.put("persons", **fields)
    answer = await dev.sync([p])
    assert answer["results"][0]["status"] == "applied"
    assert dev.rows["persons"][p["rid"]]["area_id"] == w.areas["grid"].id
    # a device re-pulling from scratch (after a reset) holds nothing: its edit comes whole
    fresh = w.dev(client, "worker_b")
    rev = dev.rows["households"][h["rid"]]["rev"]
    answer = await fresh.sync([fresh.put("households", h["rid"], base=rev, notes="走访过")])
    assert answer["results"][0]["status"] == "applied"
    assert (
        fresh.rows["households"][h["rid"]]["head_name"]
        == dev.rows["households"][h["rid"]]["head_name"]
    )


async def test_a_new_record_with_omitted_fields_is_echoed_whole(db: Any, client: Any) -> None:
    w = await make_world(db)
    dev = w.dev(client, "worker")
    await dev.sync()
    m = household(dev, w.areas["grid"])  # only area_id and head_name
    answer = await dev.sync([m])
    # the defaults the server filled travel in the result, not as a whole row
    assert m["rid"] not in ids_in(answer, "households")
    assert answer["results"][0]["set"]["doorplate"] == ""
    assert dev.rows["households"][m["rid"]]["doorplate"] == ""


async def test_replay_after_a_lost_response_returns_the_stored_outcome(
    db: Any, client: Any
) -> None:
    w = await make_world(db)
    dev, hid, pid = await seeded(w, client)
    batch = [
        dev.put("persons", pid, base=dev.rows["persons"][pid]["rev"], name="改名"),
        person(dev, hid),
        dev.put("persons", str(uuid.uuid4()), base=3, name="x"),  # not_found
    ]
    first = await dev.sync(batch, keep=False)  # the answer is lost on the way back
    before = await count_rows(db)
    again = await dev.sync(batch)
    assert again["results"] == first["results"]
    assert [r["status"] for r in again["results"]] == ["applied", "applied", "rejected"]
    after = await count_rows(db)
    assert after == before  # nothing written by the replay
    async with db() as s:
        stored = (await s.execute(select(func.count()).select_from(SyncMutation))).scalar_one()
    assert stored == 5  # 2 from seeding + 3, each once


async def test_duplicate_ids_within_one_request_apply_once(db: Any, client: Any) -> None:
    w = await make_world(db)
    dev = w.dev(client, "worker")
    m = household(dev, w.areas["grid"], **FULL_HOUSEHOLD)
    answer = await dev.sync([m, m])
    assert answer["results"][0] == answer["results"][1]
    async with db() as s:
        assert (await s.execute(select(func.count()).select_from(Household))).scalar_one() == 1


async def test_every_rejection_code(db: Any, client: Any) -> None:
    w = await make_world(db)
    dev, hid, pid = await seeded(w, client)
    other_grid = w.areas["grid2"]
    sup = w.dev(client, "supervisor")
    foreign = household(sup, other_grid)
    await sup.sync([foreign])
    deleted = household(dev, w.areas["grid"])
    measure = dev.put("measures", person_id=pid, kind="home_quarantine", start_date="2026-11-20")
    visit = dev.put("visits", household_id=hid, visited_at="2026-11-29T02:00:00Z")
    await dev.sync([deleted, measure, visit])
    await dev.sync([dev.delete("households", deleted["rid"])])

    cases: list[tuple[dict[str, Any], str, str | None]] = [
        (dev.put("areas", str(uuid.uuid4()), name="x"), "forbidden", None),
        (dev.put("conflicts", str(uuid.uuid4()), field="x"), "forbidden", None),
        (dev.put("households", foreign["rid"], base=1, notes="x"), "out_of_scope", None),
        (household(dev, other_grid), "out_of_scope", "area_id"),
        (person(dev, foreign["rid"]), "out_of_scope", "household_id"),
        (dev.put("households", str(uuid.uuid4()), base=5, notes="x"), "not_found", None),
        (dev.delete("households", str(uuid.uuid4())), "not_found", None),
        (dev.put("households", deleted["rid"], base=1, notes="x"), "record_deleted", None),
        (dev.put("visits", visit["rid"], notes="changed"), "append_only", None),
        (dev.delete("visits", visit["rid"]), "append_only", None),
        (dev.put("households", hid, base=1, head_name=""), "invalid", "head_name"),
        (dev.put("households", hid, base=1, phone=12), "invalid", "phone"),
        (dev.put("persons", pid, base=1, category="alien"), "invalid", "category"),
        (dev.put("persons", pid, base=1, birth_year=10**12), "invalid", "birth_year"),
        (dev.put("persons", pid, base=1, arrival_date="yesterday"), "invalid", "arrival_date"),
        (
            dev.put("visits", household_id=hid, visited_at="2026-11-29T02:00:00"),
            "invalid",
            "visited_at",
        ),  # a time without a zone
        (dev.put("households", "NOT-A-UUID", head_name="x"), "invalid", "rid"),
        (dev.put("households", hid.upper(), base=1, notes="x"), "invalid", "rid"),
        (dev.put("persons", household_id=hid), "invalid", "name"),  # required
        (dev.put("households", hid, base=1, colour="red"), "unknown_field", "colour"),
        (dev.put("persons", pid, base=1, area_id=6), "read_only", "area_id"),
        (dev.put("households", hid, base=1, rev=99), "read_only", "rev"),
        (dev.put("households", hid, base=1, area_id=other_grid.id), "immutable", "area_id"),
        (person(dev, str(uuid.uuid4())), "bad_reference", "household_id"),
        (person(dev, deleted["rid"]), "bad_reference", "household_id"),
        (dev.put("households", area_id=99999, head_name="x"), "bad_reference", "area_id"),
        (dev.delete("households", hid), "has_dependents", None),
        (dev.delete("persons", pid), "has_dependents", None),
        (
            dev.put(
                "daily_reports",
                str(uuid.uuid4()),
                area_id=w.areas["grid"].id,
                report_date="2026-11-29",
            ),
            "id_mismatch",
            None,
        ),
    ]
    bad_hlc = dev.put("households", hid, base=1, notes="x")
    bad_hlc["hlc"] = "yesterday"
    cases.append((bad_hlc, "invalid", "hlc"))
    bad_id = dev.put("households", hid, base=1, notes="x")
    bad_id["id"] = "not-a-uuid"
    cases.append((bad_id, "invalid", "id"))
    before = await count_rows(db)
    answer = await dev.sync([m for m, _code, _field in cases])
    got = [(r["status"], r.get("code"), r.get("field")) for r in answer["results"]]
    assert got == [("rejected", code, field) for _m, code, field in cases]
    assert all(r["message"] for r in answer["results"])
    after = await count_rows(db)
    # rejected mutations are recorded (all but the one without a usable id), nothing else
    assert after["sync_mutations"] == before["sync_mutations"] + len(cases) - 1
    assert after["last_rev"] == before["last_rev"]
    async with db() as s:
        row = await s.get(SyncMutation, uuid.UUID(cases[10][0]["id"]))
    assert row is not None
    assert (row.status, row.code, row.field, row.payload) == (
        "rejected",
        "invalid",
        "head_name",
        {"head_name": ""},
    )
    # and a replay answers the same
    assert (await dev.sync([m for m, _c, _f in cases]))["results"] == answer["results"]


async def test_roles_without_write_right_are_forbidden(db: Any, client: Any) -> None:
    w = await make_world(db)
    dev, hid, _pid = await seeded(w, client)
    sentinel = w.dev(client, "sentinel")
    township = w.dev(client, "township")
    answer = await sentinel.sync([household(sentinel, w.areas["grid"])])
    assert results(answer) == [("rejected", "forbidden")]
    answer = await township.sync([township.put("households", hid, base=1, notes="x")])
    assert results(answer) == [("rejected", "forbidden")]
    answer = await dev.sync(
        [
            dev.put(
                "fever_reports",
                facility_id=w.facility.id,
                patient_name="x",
                seen_at_device="2026-11-29T01:00:00Z",
            )
        ]
    )
    assert results(answer) == [("rejected", "forbidden")]


async def test_append_only_facts_deduplicate(db: Any, client: Any) -> None:
    w = await make_world(db)
    dev, hid, _pid = await seeded(w, client)
    visit = dev.put(
        "visits",
        household_id=hid,
        visited_at="2026-11-29T02:00:00Z",
        outcome="visited",
        checklist={"temperature_taken": True},
        notes="",
    )
    first = await dev.sync([visit])
    assert results(first) == [("applied", None)]
    same_fact = dict(visit, id=str(uuid.uuid4()))  # resent under a new mutation id
    again = await dev.sync([same_fact])
    assert results(again) == [("applied", None)]
    assert again["results"][0]["rev"] == first["results"][0]["rev"]
    async with db() as s:
        count = (await s.execute(select(func.count()).select_from(Person))).scalar_one()
        assert count == 1


async def test_deletes_are_tombstones_that_reach_other_devices(db: Any, client: Any) -> None:
    w = await make_world(db)
    dev, hid, pid = await seeded(w, client)
    other = w.dev(client, "worker_b")
    await other.sync()
    assert pid in other.rows["persons"]
    rev = dev.rows["persons"][pid]["rev"]
    answer = await dev.sync([dev.delete("persons", pid, base=rev)])
    assert results(answer) == [("applied", None)]
    assert "removed" not in answer  # the deleting device knows
    pulled = await other.sync()
    assert pulled["removed"] == {"persons": [pid]}
    assert pid not in other.rows["persons"]
    again = await dev.sync([dev.delete("persons", pid)])
    assert results(again) == [("applied", None)]  # already gone: fulfilled
    async with db() as s:
        row = await s.get(Person, uuid.UUID(pid))
    assert row is not None
    assert row.deleted
    fresh = w.dev(client, "worker_b")
    snapshot = await fresh.sync()
    assert pid not in ids_in(snapshot, "persons")  # snapshots leave tombstones out
    # the household is free to go now
    assert results(await dev.sync([dev.delete("households", hid)])) == [("applied", None)]


async def test_daily_reports_from_two_phones_merge(db: Any, client: Any) -> None:
    w = await make_world(db)
    grid = w.areas["grid"]
    a = w.dev(client, "worker")
    b = w.dev(client, "worker_b", clock=lambda: now_ms() - 60_000)  # a minute slow
    rid = str(daily_report_id(grid.id, date(2026, 11, 29)))
    common = {"area_id": grid.id, "report_date": "2026-11-29"}
    ma = a.put("daily_reports", rid, **common, is_zero=True, notes="无异常")
    mb = b.put("daily_reports", rid, **common, is_zero=True, checks_done=4)
    assert results(await a.sync([ma])) == [("applied", None)]
    answer = await b.sync([mb])
    assert results(answer) == [("merged", None)]  # same id, equal values merge silently
    assert "conflicts" not in answer["results"][0]
    row = b.rows["daily_reports"][rid]
    assert (row["is_zero"], row["notes"], row["checks_done"]) == (True, "无异常", 4)
    # same field, different values: the later clock wins, the loser is kept
    mc = a.put("daily_reports", rid, **common, notes="晚报")
    md = b.put("daily_reports", rid, **common, notes="早报")
    await a.sync([mc])
    answer = await b.sync([md])
    assert results(answer) == [("merged", None)]
    async with db() as s:
        (conflict,) = (await s.execute(select(Conflict))).scalars()
    assert (conflict.field, conflict.status, conflict.critical) == ("notes", "auto_resolved", False)
    assert (conflict.kept_value, conflict.proposed_value, conflict.resolution_value) == (
        "晚报",
        "早报",
        "晚报",
    )
    assert conflict.proposed_by == w.users["worker_b"].id
    assert conflict.kept_by == w.users["worker"].id
    assert b.rows["daily_reports"][rid]["notes"] == "晚报"


async def test_fever_report_events_advance_the_report(db: Any, client: Any) -> None:
    w = await make_world(db)
    sentinel, township = w.dev(client, "sentinel"), w.dev(client, "township")
    seen = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)
    report = sentinel.put(
        "fever_reports",
        facility_id=w.facility.id,
        patient_name="赵六",
        age=40,
        temperature=38.4,
        seen_at_device=iso(seen),
    )
    answer = await sentinel.sync([report])
    assert results(answer) == [("applied", None)]
    assert report["rid"] in ids_in(answer, "fever_reports")  # server-set fields: echoed
    row = sentinel.rows["fever_reports"][report["rid"]]
    assert row["state"] == "reported"
    assert row["received_at"] is not None

    rid = report["rid"]
    events = [
        township.put("fever_events", report_id=rid, kind="sampled", at=iso(seen)),
        township.put("fever_events", report_id=rid, kind="acknowledged", at=iso(seen)),
        township.put(
            "fever_events", report_id=rid, kind="resulted", at=iso(seen), result="negative"
        ),
    ]
    answer = await township.sync(events)
    assert results(answer) == [("applied", None)] * 3
    assert township.rows["fever_reports"][rid]["state"] == "resulted"
    assert township.rows["fever_reports"][rid]["result"] == "negative"
    # a different second result is held for review, the first stays
    second = township.put(
        "fever_events", report_id=rid, kind="resulted", at=iso(seen), result="positive"
    )
    answer = await township.sync([second])
    assert answer["results"][0]["status"] == "conflict"
    assert answer["results"][0]["held"] == ["result"]
    async with db() as s:
        stored = await s.get(FeverReport, uuid.UUID(rid))
        conflict = (await s.execute(select(Conflict))).scalar_one()
    assert stored is not None
    assert stored.result == "negative"
    assert (conflict.status, conflict.proposed_value) == ("pending", "positive")
    bad = township.put("fever_events", report_id=rid, kind="sent", at=iso(seen), result="negative")
    assert results(await township.sync([bad])) == [("rejected", "invalid")]


async def test_high_risk_arrivals_write_a_special_report(db: Any, client: Any) -> None:
    w = await make_world(db)
    dev, hid, pid = await seeded(w, client)
    # each with the measure its category requires (else the write is refused)
    new = person(dev, hid, category="returnee_abroad", measure="central_quarantine")
    changed = dev.put(
        "persons",
        pid,
        base=dev.rows["persons"][pid]["rev"],
        category="returnee_mid_high",
        measure="central_quarantine",
    )
    plain = person(dev, hid, category="returnee_low", measure="health_monitoring")
    await dev.sync([new, changed, plain])
    async with db() as s:
        entries = (
            (await s.execute(select(AuditEntry).where(AuditEntry.action == "special_report")))
            .scalars()
            .all()
        )
    assert sorted(e.entity_id for e in entries if e.entity_id) == sorted([new["rid"], pid])
    assert {e.area_id for e in entries} == {w.areas["grid"].id}


async def test_a_batch_applies_in_order(db: Any, client: Any) -> None:
    w = await make_world(db)
    dev = w.dev(client, "worker")
    h = household(dev, w.areas["grid"], **FULL_HOUSEHOLD)
    p = person(dev, h["rid"], name="先")
    # edits chained on the device's own unconfirmed write: no conflict with itself
    e1 = dev.put("persons", p["rid"], name="后")
    e2 = dev.put("persons", p["rid"], notes="备注")
    answer = await dev.sync([h, p, e1, e2])
    assert [r["status"] for r in answer["results"]] == ["applied"] * 4
    async with transaction(db) as s:
        row = await s.get(Person, uuid.UUID(p["rid"]))
        assert row is not None
        assert (row.name, row.notes) == ("后", "备注")
        assert (await s.execute(select(func.count()).select_from(Conflict))).scalar_one() == 0


async def test_the_first_write_ever_starts_the_counter(db: Any, client: Any) -> None:
    w = await make_world(db)
    async with transaction(db) as s:
        await s.execute(delete(SyncState))  # a database nobody has written to yet
    dev = w.dev(client, "worker")
    answer = await dev.sync([household(dev, w.areas["grid"])])
    assert answer["results"][0]["rev"] == 1
    assert answer["cursor"] == "F1.1.1"
    assert not (await dev.sync()).get("reset")
