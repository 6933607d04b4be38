"""Fixtures for the sync engine's tests: a small world (area tree, users of each role,
devices with tokens) and a raw protocol device that builds requests by hand, so the tests
see exactly what travels."""

from __future__ import annotations

import gzip
import itertools
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.accounts.models import Device, User
from server.accounts.passwords import hash_token, new_token
from server.areas.models import Area, Facility
from server.db import transaction
from server.models import Base
from server.sync import hlc as hlcmod
from server.sync.models import SyncState
from tests.factories import make_area_tree, make_facility, make_user

DB = async_sessionmaker[AsyncSession]


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class Dev:
    """One device speaking the protocol by hand."""

    client: Any
    token: str
    device_id: uuid.UUID
    user: User
    clock: Any = now_ms  # the device's wall clock, ms
    cursor: str | None = None
    last_hlc: str = ""
    rows: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    @property
    def node(self) -> str:
        return self.device_id.hex[:8]

    def tick(self) -> str:
        self.last_hlc = hlcmod.tick(self.last_hlc, self.clock(), self.node)
        return self.last_hlc

    def put(
        self, col: str, rid: str | uuid.UUID | None = None, base: int | None = None, **data: Any
    ) -> dict[str, Any]:
        return self.mutation(col, str(rid or uuid.uuid4()), "put", base, data)

    def delete(self, col: str, rid: str | uuid.UUID, base: int | None = None) -> dict[str, Any]:
        return self.mutation(col, str(rid), "del", base, {})

    def mutation(
        self, col: str, rid: str, op: str, base: int | None, data: dict[str, Any]
    ) -> dict[str, Any]:
        m: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "col": col,
            "rid": rid,
            "op": op,
            "hlc": self.tick(),
            "at": self.clock(),
            "data": data,
        }
        if base is not None:
            m["base"] = base
        return m

    def body(self, mutations: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "protocol": 1,
            "schema": 1,
            "app": "test/1",
            "clock": self.clock(),
            "cursor": self.cursor,
            "pending": len(mutations or []),
            "mutations": mutations or [],
        }
        body.update(extra)
        return body

    async def post(
        self, body: Any, *, gzipped: bool = False, headers: dict[str, str] | None = None
    ) -> Any:
        raw = body if isinstance(body, bytes) else msgspec.json.encode(body)
        sent = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        if gzipped:
            raw = gzip.compress(raw)
            sent["Content-Encoding"] = "gzip"
        sent.update(headers or {})
        return await self.client.post("/api/sync", content=raw, headers=sent)

    async def sync(
        self, mutations: list[dict[str, Any]] | None = None, *, keep: bool = True, **extra: Any
    ) -> dict[str, Any]:
        """One request; asserts 200; applies changes/removals to ``rows`` and keeps the
        cursor (``keep=False`` leaves local state alone, as a lost response would)."""
        response = await self.post(self.body(mutations, **extra))
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        if keep:
            self.absorb(answer, mutations or [])
        return answer

    def absorb(self, answer: dict[str, Any], sent: list[dict[str, Any]] | None = None) -> None:
        """Apply an answer as a client must (docs/sync-protocol.md, "What a client must do")."""
        by_id = {m["id"]: m for m in sent or []}
        for result in answer.get("results", []):
            m = by_id.get(result["id"])
            if m is None or result["status"] != "applied":
                continue
            records = self.rows.setdefault(m["col"], {})
            if m["op"] == "del":
                records.pop(m["rid"], None)
            else:
                record = records.setdefault(m["rid"], {"id": m["rid"]})
                record.update(m["data"])
                record.update(result.get("set") or {})
                record["rev"] = result["rev"]
        if answer.get("reset"):
            self.rows, self.cursor = {}, None
            return
        for col, ids in answer.get("removed", {}).items():
            for rid in ids:
                self.rows.get(col, {}).pop(str(rid), None)
        for col, page in answer.get("changes", {}).items():
            for row in page["rows"]:
                record = dict(zip(page["cols"], row, strict=True))
                self.rows.setdefault(col, {})[str(record["id"])] = record
        self.cursor = answer["cursor"]

    async def pull_all(self, limit: int | None = None) -> list[dict[str, Any]]:
        answers = []
        for _ in range(1000):
            extra = {"limit": limit} if limit else {}
            answer = await self.sync(**extra)
            answers.append(answer)
            if not answer.get("more") and not answer.get("reset"):
                return answers
        raise AssertionError("pull did not end")


@dataclass
class World:
    db: DB
    areas: dict[str, Area]
    facility: Facility
    users: dict[str, User]
    tokens: dict[str, tuple[str, uuid.UUID]]

    def dev(self, client: Any, who: str, clock: Any = now_ms) -> Dev:
        token, device_id = self.tokens[who]
        return Dev(client, token, device_id, self.users[who], clock=clock)


#: who: (role, area key, with the facility)
PEOPLE = {
    "worker": ("grid_worker", "grid", False),
    "worker_b": ("grid_worker", "grid", False),
    "worker2": ("grid_worker", "grid2", False),
    "supervisor": ("supervisor", "town", False),
    "admin": ("admin", "city", False),
    "sentinel": ("sentinel", "village", True),
    "township": ("township_health", "town", False),
}


async def make_world(db: DB) -> World:
    async with transaction(db) as s:
        if await s.get(SyncState, 1) is None:
            s.add(SyncState(id=1, last_rev=0, horizon_rev=0))
        areas = await make_area_tree(s)
        facility = await make_facility(s, areas["village"])
        users: dict[str, User] = {}
        tokens: dict[str, tuple[str, uuid.UUID]] = {}
        for who, (role, area_key, with_facility) in PEOPLE.items():
            user = await make_user(
                s, role, areas[area_key], facility=facility if with_facility else None
            )
            token, device_id = new_token(), uuid.uuid4()
            s.add(Device(id=device_id, user_id=user.id, name=who, token_hash=hash_token(token)))
            users[who], tokens[who] = user, (token, device_id)
    return World(db, areas, facility, users, tokens)


async def count_rows(db: DB) -> dict[str, int]:
    """Rows per table, to prove a refused request wrote nothing."""
    counts: dict[str, int] = {}
    async with db() as s:
        for table in Base.metadata.sorted_tables:
            counts[table.name] = int(
                (await s.execute(select(func.count()).select_from(table))).scalar_one()
            )
        counts["last_rev"] = int(
            (await s.execute(select(SyncState.last_rev).where(SyncState.id == 1))).scalar_one()
        )
    return counts


_names = itertools.count(1)


def household(dev: Dev, area: Area, rid: Any = None, **data: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {"area_id": area.id, "head_name": f"户主{next(_names)}"}
    fields.update(data)
    return dev.put("households", rid, **fields)


def person(dev: Dev, household_id: Any, rid: Any = None, **data: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {"household_id": str(household_id), "name": f"居民{next(_names)}"}
    fields.update(data)
    return dev.put("persons", rid, **fields)
