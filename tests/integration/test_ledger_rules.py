"""The server refuses what the app refuses: each value rule per mutation, with `invalid`
and the field; a zero report never replaces findings; a report's corrections are kept; an
ID number edited on two phones waits for a supervisor."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from server.audit.models import AuditEntry
from server.people.models import Person
from server.reports.rules import daily_report_id
from server.sync.models import Conflict
from tests.integration.sync_helpers import Dev, World, household, make_world, person

VALID_ID = "11010519491231002X"
TOMORROW = (date.today() + timedelta(days=2)).isoformat()  # after today in every zone


def outcome(answer: dict[str, Any]) -> tuple[str, str | None, str | None]:
    (r,) = answer["results"]
    return r["status"], r.get("code"), r.get("field")


async def ledger(w: World, client: Any) -> tuple[Dev, str, str]:
    dev = w.dev(client, "worker")
    await dev.sync()
    h = household(dev, w.areas["grid"], phone="13812345678")
    p = person(dev, h["rid"], id_number=VALID_ID, phone="0398-2345678")
    answer = await dev.sync([h, p])
    assert [r["status"] for r in answer["results"]] == ["applied", "applied"]
    return dev, h["rid"], p["rid"]


@pytest.mark.parametrize(
    ("col", "data", "field"),
    [
        ("persons", {"id_number": "12345"}, "id_number"),
        ("persons", {"id_number": "41152319900101003X"}, "id_number"),  # check digit
        ("persons", {"id_number": "110101202902300010"}, "id_number"),  # no such birth date
        ("persons", {"phone": "123"}, "phone"),
        ("persons", {"phone": "12812345678"}, "phone"),
        ("persons", {"arrival_date": TOMORROW}, "arrival_date"),
        ("persons", {"certificate_date": TOMORROW}, "certificate_date"),
        ("households", {"phone": "123"}, "phone"),
    ],
)
async def test_invalid_values_are_refused_on_insert_and_update(
    db: Any, client: Any, col: str, data: dict[str, Any], field: str
) -> None:
    w = await make_world(db)
    dev, hid, pid = await ledger(w, client)
    if col == "persons":
        insert = person(dev, hid, **data)
    else:
        insert = household(dev, w.areas["grid"], **data)
    assert outcome(await dev.sync([insert])) == ("rejected", "invalid", field)
    rid = pid if col == "persons" else hid
    edit = dev.put(col, rid, base=dev.rows[col][rid]["rev"], **data)
    assert outcome(await dev.sync([edit])) == ("rejected", "invalid", field)


async def test_valid_values_pass(db: Any, client: Any) -> None:
    w = await make_world(db)
    dev, _hid, pid = await ledger(w, client)
    rev = dev.rows["persons"][pid]["rev"]
    edit = dev.put(
        "persons",
        pid,
        base=rev,
        id_number="11010519491231002x",
        phone="010-12345678-123",
        arrival_date=date.today().isoformat(),
    )
    assert outcome(await dev.sync([edit]))[0] == "applied"


async def test_fever_report_numbers_are_checked(db: Any, client: Any) -> None:
    w = await make_world(db)
    sentinel = w.dev(client, "sentinel")
    base = {
        "facility_id": w.facility.id,
        "patient_name": "赵六",
        "seen_at_device": "2026-11-29T01:00:00Z",
    }
    bad_phone = sentinel.put("fever_reports", **base, patient_phone="138")
    assert outcome(await sentinel.sync([bad_phone])) == ("rejected", "invalid", "patient_phone")
    bad_id = sentinel.put("fever_reports", **base, patient_id_number="110101199001011234")
    assert outcome(await sentinel.sync([bad_id])) == (
        "rejected",
        "invalid",
        "patient_id_number",
    )
    good = sentinel.put(
        "fever_reports", **base, patient_phone="13812345678", patient_id_number=VALID_ID
    )
    assert outcome(await sentinel.sync([good]))[0] == "applied"


async def test_a_stored_value_from_before_the_rules_does_not_block_other_edits(
    db: Any, client: Any
) -> None:
    w = await make_world(db)
    dev, _hid, pid = await ledger(w, client)
    async with db() as s, s.begin():
        await s.execute(update(Person).where(Person.id == uuid.UUID(pid)).values(phone="138"))
    await dev.sync()
    rev = dev.rows["persons"][pid]["rev"]
    assert outcome(await dev.sync([dev.put("persons", pid, base=rev, notes="复查")]))[0] == (
        "applied"
    )


async def test_a_returnee_needs_the_measure_or_a_reason(db: Any, client: Any) -> None:
    w = await make_world(db)
    dev, hid, _pid = await ledger(w, client)
    arrived = date.today().isoformat()
    returnee = {"category": "returnee_mid_high", "arrival_date": arrived, "origin": "某地"}
    none = person(dev, hid, **returnee, measure="none")
    assert outcome(await dev.sync([none])) == ("rejected", "invalid", "measure")
    kept = person(dev, hid, **returnee, measure="central_quarantine")
    assert outcome(await dev.sync([kept]))[0] == "applied"
    # a resident turning into a low-risk returnee without a certificate needs monitoring
    resident = person(dev, hid)
    await dev.sync([resident])
    rev = dev.rows["persons"][resident["rid"]]["rev"]
    edit = dev.put("persons", resident["rid"], base=rev, category="returnee_low")
    assert outcome(await dev.sync([edit])) == ("rejected", "invalid", "measure")


async def test_a_zero_report_cannot_replace_findings(db: Any, client: Any) -> None:
    w = await make_world(db)
    grid = w.areas["grid"]
    a, b = w.dev(client, "worker"), w.dev(client, "worker_b")
    rid = str(daily_report_id(grid.id, date(2026, 11, 29)))
    common = {"area_id": grid.id, "report_date": "2026-11-29"}
    found = a.put("daily_reports", rid, **common, is_zero=False, new_returnees=1, fever_found=1)
    assert outcome(await a.sync([found]))[0] == "applied"
    zero = {"is_zero": True, "new_returnees": 0, "fever_found": 0}
    answer = await b.sync([b.put("daily_reports", rid, **common, **zero)])
    assert outcome(answer) == ("rejected", "zero_over_findings", "is_zero")
    assert "零报告" in answer["results"][0]["message"]
    # the worker corrects the report instead: counts first, then it may be a zero report
    await a.sync()
    rev = a.rows["daily_reports"][rid]["rev"]
    fixed = a.put("daily_reports", rid, base=rev, new_returnees=0, fever_found=0)
    assert outcome(await a.sync([fixed]))[0] == "applied"
    rev = a.rows["daily_reports"][rid]["rev"]
    assert outcome(await a.sync([a.put("daily_reports", rid, base=rev, is_zero=True)]))[0] == (
        "applied"
    )
    async with db() as s:
        entries = (
            (
                await s.execute(
                    select(AuditEntry)
                    .where(AuditEntry.action == "daily_report_corrected")
                    .order_by(AuditEntry.id)
                )
            )
            .scalars()
            .all()
        )
    assert [e.detail["previous"] for e in entries] == [
        {"new_returnees": 1, "fever_found": 1},
        {"is_zero": False},
    ]
    assert all(e.entity_id == rid for e in entries)


async def test_an_id_number_edited_on_two_phones_waits_for_review(db: Any, client: Any) -> None:
    w = await make_world(db)
    a, b = w.dev(client, "worker"), w.dev(client, "worker_b")
    _a, _hid, pid = await ledger(w, client)
    await a.sync()
    await b.sync()
    rev = b.rows["persons"][pid]["rev"]
    first = a.put("persons", pid, base=rev, id_number="110101199001011237")
    assert outcome(await a.sync([first]))[0] == "applied"
    answer = await b.sync([b.put("persons", pid, base=rev, id_number="110101199202021116")])
    assert outcome(answer)[0] == "conflict"
    assert answer["results"][0]["held"] == ["id_number"]
    async with db() as s:
        (conflict,) = (await s.execute(select(Conflict))).scalars()
        stored = await s.get(Person, uuid.UUID(pid))
    assert (conflict.field, conflict.status, conflict.critical) == ("id_number", "pending", True)
    assert stored is not None
    assert stored.id_number == "110101199001011237"


async def test_returnee_fields_sync_and_a_contact_is_of_the_household(db: Any, client: Any) -> None:
    w = await make_world(db)
    dev, hid, pid = await ledger(w, client)
    other = household(dev, w.areas["grid"])
    stranger = person(dev, other["rid"])
    await dev.sync([other, stranger])
    journey = {
        "category": "returnee_mid_high",
        "arrival_date": date.today().isoformat(),
        "origin_province": "河北省",
        "origin_city": "石家庄市",
        "origin_district": "藁城区",
        "transport": "G1234次列车",
        "itinerary": "石家庄—郑州—本县",
        "health_code": "yellow",
        "quarantine_place": "县隔离点",
        "measure": "home_quarantine",
        "measure_reason": "独居老人，居家隔离",
    }
    contact = person(dev, hid, **journey, contact_of=pid)
    assert outcome(await dev.sync([contact]))[0] == "applied"
    async with db() as s:
        row = await s.get(Person, uuid.UUID(contact["rid"]))
    assert row is not None
    assert (row.origin_district, row.health_code, row.contact_of) == (
        "藁城区",
        "yellow",
        uuid.UUID(pid),
    )
    wrong = person(dev, hid, contact_of=stranger["rid"])
    assert outcome(await dev.sync([wrong])) == ("rejected", "invalid", "contact_of")
    bad_code = person(dev, hid, health_code="purple")
    assert outcome(await dev.sync([bad_code])) == ("rejected", "invalid", "health_code")


async def test_risk_areas_reach_every_role_read_only(db: Any, client: Any) -> None:
    from server.people.models import RiskArea

    w = await make_world(db)
    async with db() as s, s.begin():
        s.add(
            RiskArea(
                province="河北省",
                city="石家庄市",
                district="",
                level="high",
                effective_from=date(2026, 11, 1),
                effective_to=None,
                rev=0,
            )
        )
    for who in ("worker", "sentinel", "township"):
        dev = w.dev(client, who)
        await dev.pull_all()
        (area,) = dev.rows["risk_areas"].values()
        assert (area["province"], area["level"], area["effective_from"]) == (
            "河北省",
            "high",
            "2026-11-01",
        )
    admin = w.dev(client, "admin")
    answer = await admin.sync([admin.put("risk_areas", 1, province="x")])
    assert outcome(answer)[:2] == ("rejected", "forbidden")


async def test_a_released_returnee_goes_back_to_no_measure(db: Any, client: Any) -> None:
    w = await make_world(db)
    dev, hid, _pid = await ledger(w, client)
    today = date.today().isoformat()
    p = person(
        dev, hid, category="returnee_abroad", arrival_date=today, measure="central_quarantine"
    )
    m = dev.put(
        "measures", person_id=p["rid"], kind="central_quarantine", start_date=today, status="active"
    )
    await dev.sync([p, m])
    await dev.sync([dev.put("measures", m["rid"], base=dev.rows["measures"][m["rid"]]["rev"],
                            status="released", end_date=today)])  # fmt: skip
    rev = dev.rows["persons"][p["rid"]]["rev"]
    release = dev.put("persons", p["rid"], base=rev, measure="none")
    assert outcome(await dev.sync([release]))[0] == "applied"
