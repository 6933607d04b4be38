"""Two server processes on one PostgreSQL: writers never queue on one row, and a pull
never skips a change that commits late (docs/sync-protocol.md, "Pulling changes").

Grid workers' devices push batches of new visits and an edit of one of their households
through both processes at once (each sync goes to either), while a village supervisor's
device pulls again and again, also through either. Both processes pause a random moment
between stamping a batch's revs and committing it (WANGGE_TEST_STAMP_PAUSE_MS), so
commits land out of step with pulls all the time. Afterwards the reader pulls until quiet
and its replica must equal what a fresh full pull gives: a record whose change it skipped
would be missing or stale there. The reader's cursor never goes back, and no response
carries a rev above its own cursor.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.load import populate
from tests.conftest import DATABASES, PG_SERVER_URL
from tests.integration.live_server import LiveServer, migrated_database

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif("postgresql" not in DATABASES, reason="needs PostgreSQL"),
]

WRITERS = 8
SYNCS = 12
BATCH = 5
Replica = dict[str, dict[str, int]]


def body(cursor: str | None, mutations: list[dict[str, Any]]) -> dict[str, Any]:
    now = int(datetime.now(UTC).timestamp() * 1000)
    return {
        "protocol": 1,
        "schema": 1,
        "app": "proc-test",
        "clock": now,
        "cursor": cursor,
        "pending": len(mutations),
        "mutations": mutations,
    }


def mutation(col: str, rid: str, data: dict[str, Any], node: str, n: int) -> dict[str, Any]:
    now = int(datetime.now(UTC).timestamp() * 1000)
    return {
        "id": str(uuid.uuid4()),
        "col": col,
        "rid": rid,
        "op": "put",
        "hlc": f"{now:013d}:{n % 0x10000:04x}:{node}",
        "at": now,
        "data": data,
    }


async def post(http: httpx.AsyncClient, base: str, token: str, req: dict[str, Any]) -> Any:
    resp = await http.post(
        f"{base}/api/sync", json=req, headers={"Authorization": f"Bearer {token}"}
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


def take(replica: Replica, answer: dict[str, Any]) -> None:
    for name, page in (answer.get("changes") or {}).items():
        for row in page["rows"]:
            replica.setdefault(name, {})[row[0]] = row[1]
    for name, ids in (answer.get("removed") or {}).items():
        for rid in ids:
            replica.get(name, {}).pop(rid, None)


def rev_of(cursor: str) -> int:
    return int(cursor.split(".")[2]) if cursor.startswith("F") else -1


async def exercise(bases: list[str], grids: list[dict[str, Any]]) -> None:
    writers, reader = grids[:-1], grids[-1]
    rng = random.Random(13)
    done = asyncio.Event()
    async with httpx.AsyncClient(timeout=120) as http:

        async def write(i: int, grid: dict[str, Any]) -> None:
            node = f"{i + 1:08x}"
            cursor = (await post(http, bases[i % 2], grid["token"], body(None, [])))["cursor"]
            for n in range(SYNCS):
                muts = [
                    mutation(
                        "visits",
                        str(uuid.uuid4()),
                        {
                            "household_id": rng.choice(grid["hh"]),
                            "visited_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                            "outcome": "visited",
                            "checklist": {},
                            "notes": f"{i}-{n}-{k}",
                        },
                        node,
                        n * 10 + k,
                    )
                    for k in range(BATCH)
                ]
                muts.append(
                    mutation(
                        "households", grid["hh"][n % 3], {"notes": f"edit {n}"}, node, n * 10 + 9
                    )
                )
                answer = await post(
                    http, bases[rng.randrange(2)], grid["token"], body(cursor, muts)
                )
                statuses = {r["status"] for r in answer["results"]}
                assert statuses <= {"applied", "merged"}, answer["results"]
                cursor = answer["cursor"]

        async def read() -> Replica:
            replica: Replica = {}
            cursor: str | None = None
            last = -1
            quiet = 0
            while True:
                finished = done.is_set()  # read before the pull: a pull after the last commit
                answer = await post(
                    http, bases[rng.randrange(2)], reader["token"], body(cursor, [])
                )
                take(replica, answer)
                cursor = answer["cursor"]
                at = rev_of(cursor)
                assert at >= last, "the cursor went back"
                if at >= 0:
                    for page in (answer.get("changes") or {}).values():
                        assert all(row[1] <= at for row in page["rows"]), "a rev above the cursor"
                last = at
                if answer.get("more"):
                    continue
                if finished:
                    quiet += 1
                    if quiet == 2:
                        return replica

        async def writers_then_done() -> None:
            await asyncio.gather(*(write(i, g) for i, g in enumerate(writers)))
            done.set()

        _, replica = await asyncio.gather(writers_then_done(), read())

        fresh: Replica = {}
        cursor = None
        while True:
            answer = await post(http, bases[0], reader["token"], body(cursor, []))
            take(fresh, answer)
            cursor = answer["cursor"]
            if not answer.get("more"):
                break
    assert len(fresh["visits"]) == WRITERS * SYNCS * BATCH
    for name in ("visits", "households"):
        assert replica.get(name) == fresh.get(name), f"the reader's {name} differ"


def test_two_processes_write_concurrently_and_a_pull_never_skips(tmp_path: Path) -> None:
    with migrated_database("postgresql", tmp_path, PG_SERVER_URL) as url:
        grids = asyncio.run(populate(url, WRITERS, reader=True))
        servers = [
            LiveServer(url, tmp_path / f"server{i}.log", WANGGE_TEST_STAMP_PAUSE_MS="30")
            for i in range(2)
        ]
        try:
            for server in servers:
                server.start()
            asyncio.run(exercise([s.url for s in servers], grids))
        finally:
            for server in servers:
                server.stop()
