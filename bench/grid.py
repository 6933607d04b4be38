"""The benchmark's grid, the size the targets (bench/netsim.py) are set for, and a day's work
on it.

150 households, 640 persons, 30 measures, 840 checks, 150 visits, 14 daily reports, with
names, addresses and ID numbers drawn like the demo county's (server.seed.names). Rows are
bulk-inserted with revs from RevAllocator, as every write to a synced table must be.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.accounts.models import Device, User
from server.accounts.passwords import hash_password, hash_token, new_token
from server.areas.models import Area, Facility
from server.config import DEFAULT_TIMEZONE
from server.db import transaction
from server.people.models import Household, Person
from server.quarantine.models import Check, Measure, Policy
from server.quarantine.rules import DEFAULT_POLICIES
from server.reports.models import DailyReport
from server.reports.rules import daily_report_id
from server.seed import names
from server.sync.revs import RevAllocator
from server.visits.models import Campaign, Visit
from wangge_client import SyncClient

TZ = ZoneInfo(DEFAULT_TIMEZONE)
PASSWORD = "bench-pass-1"
HOUSEHOLDS, PERSONS, MEASURES, DAYS, VISITS = 150, 640, 30, 14, 150
Row = dict[str, Any]


@dataclass
class GridData:
    grid_id: int
    phones: dict[str, str]  # role label -> phone
    households: list[Row] = field(default_factory=list)
    persons: list[Row] = field(default_factory=list)
    measures: list[Row] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


# --------------------------------------------------------------------------- the grid


def _synced(rng: random.Random, area_id: int, at: datetime, author: int) -> Row:
    rid = uuid.UUID(int=rng.getrandbits(128), version=4)
    return {
        "id": rid,
        "deleted": False,
        "versions": {},
        "created_at": at,
        "updated_at": at,
        "area_id": area_id,
        "created_by": author,
        "updated_by": author,
    }


def _sizes(rng: random.Random) -> list[int]:
    """150 household sizes of 2 to 6 persons summing to exactly 640."""
    sizes = rng.choices((2, 3, 4, 5, 6), weights=(12, 22, 30, 22, 14), k=HOUSEHOLDS)
    while (total := sum(sizes)) != PERSONS:
        i = rng.randrange(HOUSEHOLDS)
        step = 1 if total < PERSONS else -1
        if 2 <= sizes[i] + step <= 7:
            sizes[i] += step
    return sizes


def grid_rows(
    seed: int, today: date, users: dict[str, int]
) -> tuple[GridData, dict[Any, list[Row]]]:
    """The target grid as rows per model: 150 households, 640 persons, 30 measures,
    840 checks, 150 visits, 14 daily reports, the area path, facilities, policies."""
    rng = random.Random(f"bench:{seed}")
    now = datetime.now(UTC)
    made = now - timedelta(days=60)
    author = users["worker"]

    def at(day: date, minutes: int) -> datetime:
        return (
            datetime.combine(day, datetime.min.time(), TZ) + timedelta(minutes=minutes)
        ).astimezone(UTC)

    grid = 5
    data = GridData(grid_id=grid, phones={})
    clan = names.surname(rng)
    village = names.village_name(rng, clan)
    households, persons, measures, checks, visits, reports = [], [], [], [], [], []
    for n, size in enumerate(_sizes(rng)):
        family = clan if rng.random() < 0.5 else names.surname(rng)
        phone = names.mobile(rng)
        hh = _synced(rng, grid, made, author) | {
            "head_name": "",
            "address": f"青石镇{village}3组{n + 1}号",
            "doorplate": f"3组{n + 1}号",
            "phone": phone,
            "notes": "",
        }
        for k in range(size):
            sex = rng.choice(("male", "female"))
            born = rng.randint(1940, 2022)
            relation = names.RELATIONS[min(k, len(names.RELATIONS) - 1)]
            persons.append(
                _synced(rng, grid, made, author)
                | {
                    "household_id": hh["id"],
                    "name": names.person_name(rng, family, sex, born),
                    "sex": sex,
                    "birth_year": born,
                    "id_number": names.id_number(rng, "419921", born, sex),
                    "phone": phone
                    if k == 0
                    else (names.mobile(rng) if rng.random() < 0.5 else None),
                    "relation": relation,
                    "category": "resident",
                    "arrival_date": None,
                    "origin": "",
                    "certificate_date": None,
                    "measure": "none",
                    "notes": "",
                }
            )
        hh["head_name"] = persons[-size]["name"]
        households.append(hh)
    policies = {p.kind: i for i, p in enumerate(DEFAULT_POLICIES, start=1)}
    for person in rng.sample([p for p in persons if 1960 < p["birth_year"] < 2004], MEASURES):
        kind = rng.choice(("home_quarantine", "health_monitoring", "central_quarantine"))
        start = today - timedelta(days=DAYS - 1)
        person |= {
            "category": "returnee_low",
            "arrival_date": start,
            "measure": kind,
            "origin": rng.choice(names.LOW_RISK_ORIGINS),
        }
        measure = _synced(rng, grid, at(start, 600), author) | {
            "person_id": person["id"],
            "kind": kind,
            "policy_id": policies[kind],
            "start_date": start,
            "end_date": start + timedelta(days=14),
            "status": "active",
            "place": "县集中隔离点" if kind == "central_quarantine" else "",
        }
        measures.append(measure)
        for d in range(DAYS):
            day = today - timedelta(days=DAYS - d)
            for slot, minutes in (("morning", 480), ("evening", 1080)):
                checks.append(
                    _synced(rng, grid, at(day, minutes), author)
                    | {
                        "measure_id": measure["id"],
                        "person_id": person["id"],
                        "check_date": day,
                        "slot": slot,
                        "temperature": round(rng.uniform(36.0, 37.1), 1),
                        "symptoms": [],
                        "at_home": True,
                        "needs": rng.choice(("", "", "", "代购药品")),
                        "checked_at": at(day, minutes + rng.randint(0, 90)),
                    }
                )
    for hh in households[:VISITS]:
        when = at(today - timedelta(days=rng.randint(1, 10)), rng.randint(480, 1080))
        visits.append(
            _synced(rng, grid, when, author)
            | {
                "household_id": hh["id"],
                "visited_at": when,
                "outcome": "visited",
                "checklist": {"members": True, "returnees": rng.random() < 0.2, "fever": False},
                "notes": "",
            }
        )
    for d in range(1, DAYS + 1):
        day = today - timedelta(days=d)
        row = _synced(rng, grid, at(day, 1200), author)
        row |= {
            "id": daily_report_id(grid, day),
            "report_date": day,
            "is_zero": d % 3 == 0,
            "households_visited": rng.randint(5, 20),
            "new_returnees": rng.randint(0, 2),
            "under_measure": MEASURES,
            "checks_done": 2 * MEASURES,
            "fever_found": 0,
            "notes": "",
            "submitted_at": at(day, 1200),
        }
        reports.append(row)
    data.households, data.persons, data.measures = households, persons, measures
    rows: dict[Any, list[Row]] = {
        Household: households,
        Person: persons,
        Measure: measures,
        Check: checks,
        Visit: visits,
        DailyReport: reports,
    }
    data.counts = {m.__tablename__: len(r) for m, r in rows.items()}
    return data, rows


async def load_grid(db: async_sessionmaker[AsyncSession], seed: int) -> GridData:
    """Areas, facilities, policies, users and the grid's records, revs from RevAllocator."""
    today = datetime.now(TZ).date()
    phones = {"worker": "13900000001", "colleague": "13900000002", "supervisor": "13900000003"}
    async with transaction(db) as session:
        alloc = RevAllocator(session)
        made = datetime.now(UTC) - timedelta(days=90)
        tree = [
            ("city", "示范市", None),
            ("county", "示范县", 1),
            ("town", "青石镇", 2),
            ("village", "东庄村", 3),
            ("grid", "第三网格", 4),
        ]
        for i, (level, name, parent) in enumerate(tree, start=1):
            path = "/" + "/".join(str(k) for k in range(1, i + 1)) + "/"
            await session.execute(
                insert(Area),
                [
                    {
                        "id": i,
                        "parent_id": parent,
                        "level": level,
                        "name": name,
                        "code": f"B{i}",
                        "path": path,
                        "lead_name": "张伟" if level == "grid" else None,
                        "lead_phone": phones["worker"] if level == "grid" else None,
                        "rev": await alloc.next(),
                        "created_at": made,
                    }
                ],
            )
        await session.execute(
            insert(Facility),
            [
                {
                    "id": 1,
                    "area_id": 4,
                    "kind": "village_clinic",
                    "name": "东庄村卫生室",
                    "phone": "0398-5551234",
                    "rev": await alloc.next(),
                    "created_at": made,
                },
                {
                    "id": 2,
                    "area_id": 3,
                    "kind": "township_health_centre",
                    "name": "青石镇卫生院",
                    "phone": "0398-5554321",
                    "rev": await alloc.next(),
                    "created_at": made,
                },
            ],
        )
        await session.execute(
            insert(Policy),
            [
                {
                    "id": i,
                    "kind": p.kind,
                    "version": p.version,
                    "duration_days": p.duration_days,
                    "test_days": list(p.test_days),
                    "checks_per_day": p.checks_per_day,
                    "effective_from": p.effective_from,
                    "note": "",
                    "rev": await alloc.next(),
                    "created_at": made,
                }
                for i, p in enumerate(DEFAULT_POLICIES, start=1)
            ],
        )
        await session.execute(
            insert(Campaign),
            [
                {
                    "id": 1,
                    "area_id": 2,
                    "name": "冬春返乡人员排查",
                    "starts_on": datetime.now(UTC) - timedelta(days=10),
                    "ends_on": None,
                }
            ],
        )
        users: dict[str, int] = {}
        pw = hash_password(PASSWORD)
        for n, (label, role, area) in enumerate(
            (
                ("worker", "grid_worker", 5),
                ("colleague", "grid_worker", 5),
                ("supervisor", "supervisor", 3),
            ),
            start=1,
        ):
            await session.execute(
                insert(User),
                [
                    {
                        "id": n,
                        "phone": phones[label],
                        "name": f"{label}{n}",
                        "role": role,
                        "area_id": area,
                        "password_hash": pw,
                    }
                ],
            )
            users[label] = n
        data, rows = grid_rows(seed, today, users)
        data.phones = phones
        for model, batch in rows.items():
            for row in batch:
                row["rev"] = await alloc.next()
            await session.execute(insert(model), batch)
        await alloc.flush()
    return data


async def device(db: async_sessionmaker[AsyncSession], user_id: int, name: str) -> tuple[str, str]:
    """A device row made directly (when POST /api/auth/token is not there)."""
    token, device_id = new_token(), uuid.uuid4()
    async with transaction(db) as session:
        session.add(Device(id=device_id, user_id=user_id, name=name, token_hash=hash_token(token)))
    return str(device_id), token


# --------------------------------------------------------------------------- scenarios


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _check(measure: Row, day: date, slot: str, rng: random.Random) -> Row:
    return {
        "measure_id": str(measure["id"]),
        "person_id": str(measure["person_id"]),
        "check_date": day.isoformat(),
        "slot": slot,
        "temperature": round(rng.uniform(36.0, 37.1), 1),
        "symptoms": [],
        "at_home": True,
        "needs": "",
        "checked_at": _iso(datetime.now(UTC)),
    }


def _visit(household: Row) -> Row:
    return {
        "household_id": str(household["id"]),
        "visited_at": _iso(datetime.now(UTC)),
        "outcome": "visited",
        "checklist": {"members": True, "returnees": False, "fever": False},
        "notes": "",
    }


def day_edits(client: SyncClient, grid: GridData, rng: random.Random) -> None:
    """86 records: 56 checks, 12 visits, 10 person edits, 8 other."""
    today = datetime.now(TZ).date()
    for measure in grid.measures[:28]:
        for slot in ("morning", "evening"):
            client.put("checks", None, _check(measure, today, slot, rng))
    for household in grid.households[:12]:
        client.put("visits", None, _visit(household))
    plain = [p for p in grid.persons if p["measure"] == "none"]
    for person in plain[:10]:
        client.put("persons", str(person["id"]), {"phone": names.mobile(rng)})
    for household in grid.households[20:23]:
        client.put("households", str(household["id"]), {"notes": "已张贴防疫告知书"})
    home = grid.households[30]
    client.put(
        "persons",
        None,
        {
            "household_id": str(home["id"]),
            "name": "王小宝",
            "sex": "male",
            "birth_year": today.year,
            "id_number": None,
            "phone": None,
            "relation": "孙子女",
            "category": "resident",
            "arrival_date": None,
            "origin": "",
            "certificate_date": None,
            "measure": "none",
            "notes": "新生儿",
        },
    )
    returnee = client.put(
        "persons",
        None,
        {
            "household_id": str(home["id"]),
            "name": "王建军",
            "sex": "male",
            "birth_year": 1990,
            "id_number": names.id_number(rng, "419921", 1990, "male"),
            "phone": names.mobile(rng),
            "relation": "子女",
            "category": "returnee_low",
            "arrival_date": today.isoformat(),
            "origin": "广东省深圳市",
            "certificate_date": None,
            "measure": "health_monitoring",
            "notes": "",
        },
    )
    client.put(
        "measures",
        None,
        {
            "person_id": returnee,
            "kind": "health_monitoring",
            "policy_id": 3,
            "start_date": today.isoformat(),
            "end_date": (today + timedelta(days=14)).isoformat(),
            "status": "active",
            "place": "",
        },
    )
    client.put("measures", str(grid.measures[0]["id"]), {"place": "家中东屋"})
    client.put(
        "daily_reports",
        str(daily_report_id(grid.grid_id, today)),
        {
            "report_date": today.isoformat(),
            "is_zero": False,
            "households_visited": 12,
            "new_returnees": 1,
            "under_measure": MEASURES + 1,
            "checks_done": 56,
            "fever_found": 0,
            "notes": "",
            "submitted_at": _iso(datetime.now(UTC)),
        },
    )


def colleague_edits(client: SyncClient, grid: GridData, rng: random.Random) -> None:
    """20 records another device writes the same day: 4 checks, 6 visits, 6 person edits,
    4 household edits."""
    today = datetime.now(TZ).date()
    for measure in grid.measures[28:30]:
        for slot in ("morning", "evening"):
            client.put("checks", None, _check(measure, today, slot, rng))
    for household in grid.households[40:46]:
        client.put("visits", None, _visit(household))
    for person in [p for p in grid.persons if p["measure"] == "none"][50:56]:
        client.put("persons", str(person["id"]), {"notes": "外出务工"})
    for household in grid.households[50:54]:
        client.put("households", str(household["id"]), {"phone": names.mobile(rng)})
