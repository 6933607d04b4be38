"""Crash and restart without loss, with real processes on the loopback.

The server runs as ``python -m server run`` in a subprocess. Simulated phones (the Python
sync client, each with its own user and device) create and edit households, persons and
visits and sync in a loop, through a small TCP proxy in front of the server. Meanwhile the
server process is killed with SIGKILL and started again, many times, at three kinds of
moments: while idle, just after a request reached it (before or during its transaction),
and just after it answered (the transaction committed; the proxy drops the answer, so the
phone never learns the outcome). Phones also throw away some answers themselves. On
PostgreSQL (a private throwaway cluster) the database server itself is crashed
(``pg_ctl -m immediate``) and restarted once as well.

Afterwards every phone syncs until quiet, and:

* zero lost: every mutation id a phone made has its stored outcome in ``sync_mutations``,
  and the outcome a phone was told equals the stored one; nothing was rejected;
* zero duplicated: every record a create made exists exactly once, and no record exists
  that no create made (a replayed create never makes a second one);
* every phone converges: its snapshot equals, collection by collection and field by
  field, what a brand-new device of the same user pulls from the server.

Counts are printed and written to ``bench/results/`` (``crash_<time>.json`` in
``make soak``; a ``.tmp`` file, git-ignored, in ``make test``).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from devkit.network import free_port
from server.accounts.models import Device
from server.accounts.passwords import hash_token, new_token
from server.db import make_engine, make_sessionmaker, transaction
from server.people.models import Household, Person
from server.sync.models import SyncMutation, SyncState
from server.visits.models import Visit
from tests.conftest import DATABASES
from tests.factories import make_area_tree, make_user
from tests.integration.live_server import (
    ROOT,
    KillingProxy,
    LiveServer,
    PrivateCluster,
    migrated_database,
)
from wangge_client import SyncClient, SyncError

SOAK = os.environ.get("WANGGE_SOAK") == "1"
KILLS = 60 if SOAK else 8
PHONES = 4
CREATED = {"households": Household, "persons": Person, "visits": Visit}

pytestmark = pytest.mark.slow


# --------------------------------------------------------------------------- the phones


@dataclass
class Phone:
    client: SyncClient
    witness_token: str
    grid: int
    rng: random.Random
    made: list[str] = field(default_factory=list)  # mutation ids, in order
    creates: dict[str, set[str]] = field(default_factory=dict)  # collection -> record ids
    told: dict[str, str] = field(default_factory=dict)  # mutation id -> status told
    errors: Counter[str] = field(default_factory=Counter)

    def edit(self) -> None:
        c, rng = self.client, self.rng
        households = sorted(c.view("households"))
        confirmed = sorted(c.snapshot.get("households", {}))
        choice = rng.random()
        before = len(c.outbox)
        if choice < 0.3 or not households:
            rid = c.put(
                "households",
                None,
                {"area_id": self.grid, "head_name": f"户{rng.randint(1, 10**6)}"},
            )
            self.creates.setdefault("households", set()).add(rid)
        elif choice < 0.6 and confirmed:
            c.put("households", rng.choice(confirmed), {"notes": f"记{rng.randint(1, 10**6)}"})
        elif choice < 0.8:
            rid = c.put("persons", None, {"household_id": rng.choice(households), "name": "居民"})
            self.creates.setdefault("persons", set()).add(rid)
        else:
            data = {"household_id": rng.choice(households), "visited_at": _now_iso()}
            self.creates.setdefault("visits", set()).add(c.put("visits", None, data))
        self.made.extend(m["id"] for m in c.outbox[before:])

    async def sync(self, *, lose: bool = False) -> bool:
        """One request; False when the server was not there to answer."""
        try:
            summary = await self.client.sync(lose_response=lose)
        except httpx.TransportError as exc:
            self.errors[type(exc).__name__] += 1
            return False
        except SyncError as exc:
            if exc.status not in (409, 503):
                raise
            self.errors[f"{exc.status} {exc.code}"] += 1
            return False
        self.told.update(summary.outcomes)
        self.errors["answer thrown away by the phone"] += lose
        return not lose


def _now_iso() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


async def phone_loop(
    phone: Phone, up: asyncio.Event, stop: asyncio.Event, synced: asyncio.Condition
) -> None:
    while not stop.is_set():
        for _ in range(phone.rng.randint(1, 3)):
            phone.edit()
        lose = phone.rng.random() < 0.1
        if await phone.sync(lose=lose):
            async with synced:
                synced.notify_all()
        elif not lose:
            await up.wait()  # the server is down: wait until it is back
        await asyncio.sleep(0)


# --------------------------------------------------------------------------- the run


@dataclass
class Setup:
    url: str
    grid: int
    phones: list[tuple[str, uuid.UUID, str]]  # token, device id, witness token


async def seed(url: str) -> Setup:
    engine = make_engine(url)
    phones: list[tuple[str, uuid.UUID, str]] = []
    try:
        async with transaction(make_sessionmaker(engine)) as s:
            if await s.get(SyncState, 1) is None:
                s.add(SyncState(id=1, last_rev=0, horizon_rev=0))
            areas = await make_area_tree(s)
            users = [await make_user(s, "grid_worker", areas["grid"]) for _ in range(PHONES - 1)]
            users.append(await make_user(s, "supervisor", areas["town"]))
            for user in users:
                token, witness, device_id = new_token(), new_token(), uuid.uuid4()
                s.add(
                    Device(
                        id=device_id, user_id=user.id, name="phone", token_hash=hash_token(token)
                    )
                )
                s.add(Device(user_id=user.id, name="witness", token_hash=hash_token(witness)))
                phones.append((token, device_id, witness))
            grid = areas["grid"].id
    finally:
        await engine.dispose()
    return Setup(url, grid, phones)


async def chaos(
    setup: Setup, server: LiveServer, kills: int, restart_pg: PrivateCluster | None, seed_value: int
) -> dict[str, Any]:
    rng = random.Random(seed_value)
    up, stop, synced = asyncio.Event(), asyncio.Event(), asyncio.Condition()
    up.set()
    proxy = KillingProxy(server, up)
    await proxy.start()
    moments: Counter[str] = Counter()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{proxy.port}", timeout=20) as http:
        phones = [
            Phone(
                SyncClient(http, token, device_id=str(device_id)),
                witness,
                setup.grid,
                random.Random(rng.random()),
            )
            for token, device_id, witness in setup.phones
        ]
        loops = [asyncio.create_task(phone_loop(p, up, stop, synced)) for p in phones]
        try:
            pg_restart_at = kills // 2 if restart_pg else -1
            for i in range(kills + (restart_pg is not None)):
                async with synced:  # let the phones get some work through first
                    for _ in range(2):
                        await synced.wait()
                if i == pg_restart_at and restart_pg is not None:
                    # the database crashes under a running server, requests in flight
                    up.clear()
                    await asyncio.to_thread(restart_pg.stop, "immediate")
                    await asyncio.to_thread(restart_pg.start)
                    up.set()
                    moments["postgresql_crash_restart"] += 1
                    continue
                moment = rng.choice(["idle", "request", "response", "response"])
                if moment == "idle":
                    up.clear()
                    server.kill()
                else:
                    proxy.fired.clear()
                    proxy.armed = moment
                    await proxy.fired.wait()
                moments[moment] += 1
                await asyncio.to_thread(server.start)
                up.set()
        finally:
            stop.set()
            up.set()
            await asyncio.gather(*loops, return_exceptions=False)
        # quiet: every phone sends what it still holds, then all pull what the others did
        for _ in range(2):
            for phone in phones:
                while True:
                    report = await phone.client.sync_all()
                    phone.told.update(report.total.outcomes)
                    if not phone.client.outbox:
                        break
        figures = await verify(setup, phones, http, moments)
    await proxy.close()
    return figures


async def verify(
    setup: Setup, phones: list[Phone], http: httpx.AsyncClient, moments: Counter[str]
) -> dict[str, Any]:
    engine = make_engine(setup.url)
    try:
        async with make_sessionmaker(engine)() as s:
            stored = {str(m.id): m for m in (await s.execute(select(SyncMutation))).scalars()}
            rows = {
                col: [str(i) for i in (await s.execute(select(model.id))).scalars()]
                for col, model in CREATED.items()
            }
    finally:
        await engine.dispose()
    made = [mid for p in phones for mid in p.made]
    lost = [mid for mid in made if mid not in stored]
    told_wrong = [
        (mid, status, stored[mid].status)
        for p in phones
        for mid, status in p.told.items()
        if mid in stored and stored[mid].status != status
    ]
    rejected = [
        (mid, stored[mid].code)
        for mid in made
        if mid in stored and stored[mid].status == "rejected"
    ]
    created = {col: set().union(*(p.creates.get(col, set()) for p in phones)) for col in CREATED}
    duplicated = sum(len(ids) - len(set(ids)) for ids in rows.values())
    phantom = sum(len(set(rows[col]) - created[col]) for col in CREATED)
    missing = sum(len(created[col] - set(rows[col])) for col in CREATED)
    assert not lost, f"{len(lost)} mutations lost"
    assert not told_wrong, told_wrong[:5]
    assert not rejected, rejected[:5]
    assert duplicated == 0
    assert phantom == 0
    assert missing == 0

    for phone in phones:
        witness = SyncClient(http, phone.witness_token, device_id=str(uuid.uuid4()))
        await witness.sync_all()
        assert not phone.client.outbox
        assert not phone.client.rejected
        for col in set(witness.snapshot) | set(phone.client.snapshot):
            assert phone.client.snapshot.get(col, {}) == witness.snapshot.get(col, {}), col

    return {
        "kills": sum(v for k, v in moments.items() if k != "postgresql_crash_restart"),
        "kill_moments": dict(moments),
        "phones": len(phones),
        "mutations": len(made),
        "records_created": {col: len(ids) for col, ids in created.items()},
        "requests_without_an_answer": dict(sum((p.errors for p in phones), Counter())),
        "lost": len(lost),
        "duplicated": duplicated + phantom,
        "converged": True,
    }


def record(kind: str, figures: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    suffix = "json" if SOAK else "tmp"
    path = ROOT / "bench" / "results" / f"crash_{kind}_{stamp}.{suffix}"
    figures = {"database": kind, "soak": SOAK, "at": stamp, **figures}
    path.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    with capsys.disabled():
        print(f"\ncrash and restart ({kind}): {json.dumps(figures, ensure_ascii=False)}")


@pytest.fixture(params=DATABASES)
def crash_database(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[str, str, PrivateCluster | None]]:
    """SQLite: a file. PostgreSQL: a private cluster (it is crashed once), never the
    machine's."""
    if request.param == "sqlite":
        with migrated_database("sqlite", tmp_path, "") as url:
            yield "sqlite", url, None
        return
    cluster = PrivateCluster()
    try:
        cluster.start()
        with migrated_database("postgresql", tmp_path, cluster.admin_url) as url:
            yield "postgresql", url, cluster
    finally:
        cluster.remove()


@pytest.mark.timeout(3600 if SOAK else 600)
async def test_killed_and_restarted_without_loss(
    crash_database: tuple[str, str, PrivateCluster | None],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    kind, url, cluster = crash_database
    setup = await seed(url)
    server = LiveServer(url, tmp_path / "server.log", WANGGE_SYNC_PAGE_SIZE="50")
    await asyncio.to_thread(server.start)
    started = time.monotonic()
    try:
        figures = await chaos(setup, server, KILLS, cluster, seed_value=len(kind))
    except BaseException:
        print(server.log_tail())
        raise
    finally:
        await asyncio.to_thread(server.stop)
    figures["seconds"] = round(time.monotonic() - started, 1)
    figures["server_starts"] = server.starts
    record(kind, figures, capsys)


async def test_a_database_that_refuses_connections_is_a_sqlalchemy_error() -> None:
    """asyncpg raises a bare OSError while PostgreSQL is down; the engine makes it an
    OperationalError, so the sync answers 503 unavailable instead of 500."""
    engine = make_engine(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/none")
    try:
        with pytest.raises(OperationalError):
            async with engine.connect() as conn:
                await conn.execute(select(1))
    finally:
        await engine.dispose()
