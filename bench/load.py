"""Load generator: K grid workers' devices syncing back to back (docs/sync-protocol.md).

A fresh database gets one county with K + 1 grids; each grid has its own grid worker,
device, 10 households, 10 persons and 10 measures. A real server (``python -m server run``
with 1 or more processes) is started on it. Every writer device then syncs back to back
for the measured window: each sync pushes 10 new records (5 checks, 5 visits) and pulls
with its feed cursor. One more device (its own grid) syncs with nothing to push every
100 ms: its latency is the "idle sync while the others write" figure.

Reported per run: applied mutations per second, p50/p95/p99 of a writer's sync, p95 of
the idle sync, errors. ``run()`` runs the matrix (SQLite 1 process, PostgreSQL 1 and 2
processes; K = 10, 50, 200) and writes bench/results/load_<UTC timestamp>.json.

    python -m bench.load [--quick] [--k 10,50] [--only sqlite1,pg1,pg2] [--seconds 15]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import msgspec
from sqlalchemy import insert, text

from bench import cpu
from devkit.databases import create_pg_database, drop_pg_database
from devkit.network import free_port
from server.accounts.models import Device, User
from server.accounts.passwords import hash_password, hash_token, new_token
from server.areas.models import Area
from server.db import make_engine, make_sessionmaker, transaction
from server.migrate import upgrade
from server.people.models import Household, Person
from server.quarantine.models import Measure, Policy
from server.quarantine.rules import DEFAULT_POLICIES
from server.sync.models import SyncState
from wangge_protocol.hlc import format_hlc

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PG_SERVER = os.environ.get("WANGGE_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432")
PER_GRID = 10  # households, persons and measures in each grid
BATCH = 10  # records pushed by every writer sync
IDLE_EVERY = 0.1  # seconds between two idle syncs


# --------------------------------------------------------------------------- the data


def _row(area: int, author: int, at: datetime, rev: int) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "rev": rev,
        "deleted": False,
        "versions": {},
        "created_at": at,
        "updated_at": at,
        "area_id": area,
        "created_by": author,
        "updated_by": author,
    }


async def populate(url: str, grids: int, reader: bool = False) -> list[dict[str, Any]]:
    """One county, ``grids`` grids, a worker with a device in each; the devices' tokens,
    grid ids and their measures/households (what a writer's checks and visits name).
    ``reader``: one more entry last, a supervisor of the village (all the grids)."""
    engine = make_engine(url)
    db = make_sessionmaker(engine)
    now = datetime.now(UTC)
    made = now - timedelta(days=5)
    today = date.today()
    rev = 0

    def nxt() -> int:
        nonlocal rev
        rev += 1
        return rev

    out: list[dict[str, Any]] = []
    try:
        async with transaction(db) as session:
            tree = [("city", None), ("county", 1), ("town", 2), ("village", 3)]
            areas = [
                {
                    "id": i,
                    "parent_id": parent,
                    "level": level,
                    "name": f"{level}{i}",
                    "code": f"L{i}",
                    "path": "/" + "/".join(str(k) for k in range(1, i + 1)) + "/",
                    "rev": nxt(),
                    "created_at": made,
                }
                for i, (level, parent) in enumerate(tree, start=1)
            ]
            for g in range(grids):
                gid = 5 + g
                areas.append(
                    {
                        "id": gid,
                        "parent_id": 4,
                        "level": "grid",
                        "name": f"网格{g + 1}",
                        "code": f"G{gid}",
                        "path": f"/1/2/3/4/{gid}/",
                        "rev": nxt(),
                        "created_at": made,
                    }
                )
            await session.execute(insert(Area), areas)
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
                        "rev": nxt(),
                        "created_at": made,
                    }
                    for i, p in enumerate(DEFAULT_POLICIES, start=1)
                ],
            )
            monitoring = 1 + [p.kind for p in DEFAULT_POLICIES].index("health_monitoring")
            pw = hash_password("load-pass-1")
            users, devices, households, persons, measures = [], [], [], [], []
            for g in range(grids):
                gid, uid = 5 + g, 1 + g
                users.append(
                    {
                        "id": uid,
                        "phone": f"139{uid:08d}",
                        "name": f"worker{uid}",
                        "role": "grid_worker",
                        "area_id": gid,
                        "password_hash": pw,
                    }
                )
                token = new_token()
                devices.append(
                    {
                        "id": uuid.uuid4(),
                        "user_id": uid,
                        "name": f"phone{uid}",
                        "token_hash": hash_token(token),
                    }
                )
                mine: dict[str, Any] = {"token": token, "grid": gid, "measures": [], "hh": []}
                for n in range(PER_GRID):
                    hh = _row(gid, uid, made, nxt()) | {
                        "head_name": f"户主{n}",
                        "address": f"{gid}组{n}号",
                        "doorplate": f"{n}号",
                        "phone": None,
                        "notes": "",
                    }
                    person = _row(gid, uid, made, nxt()) | {
                        "household_id": hh["id"],
                        "name": f"居民{gid}-{n}",
                        "sex": "male",
                        "birth_year": 1980,
                        "id_number": None,
                        "phone": None,
                        "relation": "户主",
                        "category": "returnee_low",
                        "arrival_date": today - timedelta(days=3),
                        "origin": "广东省深圳市",
                        "certificate_date": None,
                        "measure": "health_monitoring",
                        "notes": "",
                    }
                    measure = _row(gid, uid, made, nxt()) | {
                        "person_id": person["id"],
                        "kind": "health_monitoring",
                        "policy_id": monitoring,
                        "start_date": today - timedelta(days=3),
                        "end_date": today + timedelta(days=11),
                        "status": "active",
                        "place": "",
                    }
                    households.append(hh)
                    persons.append(person)
                    measures.append(measure)
                    mine["hh"].append(str(hh["id"]))
                    mine["measures"].append((str(measure["id"]), str(person["id"])))
                out.append(mine)
            if reader:
                uid = grids + 1
                users.append(
                    {
                        "id": uid,
                        "phone": f"139{uid:08d}",
                        "name": "supervisor",
                        "role": "supervisor",
                        "area_id": 4,
                        "password_hash": pw,
                    }
                )
                token = new_token()
                devices.append(
                    {
                        "id": uuid.uuid4(),
                        "user_id": uid,
                        "name": "reader",
                        "token_hash": hash_token(token),
                    }
                )
                out.append({"token": token, "grid": 4, "measures": [], "hh": []})
            await session.execute(insert(User), users)
            await session.execute(insert(Device), devices)
            await session.execute(insert(Household), households)
            await session.execute(insert(Person), persons)
            await session.execute(insert(Measure), measures)
            await session.execute(text("DELETE FROM sync_state"))
            await session.execute(insert(SyncState), [{"id": 1, "last_rev": rev, "horizon_rev": 0}])
        if url.startswith("postgresql"):
            async with engine.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text("ANALYZE"))
    finally:
        await engine.dispose()
    return out


@contextlib.asynccontextmanager
async def fresh_database(kind: str) -> AsyncIterator[str]:
    """A migrated empty database: a temporary SQLite file or a throwaway PostgreSQL one."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite+aiosqlite:///{tmp}/load.db"
            await asyncio.to_thread(upgrade, url)
            yield url
        return
    name = f"wangge_load_{uuid.uuid4().hex[:10]}"
    admin = f"{PG_SERVER}/postgres"
    url = await create_pg_database(admin, name)
    try:
        await asyncio.to_thread(upgrade, url)
        yield url
    finally:
        await drop_pg_database(admin, name)


@contextlib.asynccontextmanager
async def server(url: str, workers: int, log: Path) -> AsyncIterator[tuple[str, int]]:
    """``python -m server run --workers N`` on a free port, until it answers /healthz;
    its address and process id."""
    port = free_port()
    env = os.environ | {
        "WANGGE_DATABASE_URL": url,
        "WANGGE_SECURE_COOKIES": "0",
        "WANGGE_SECRET_KEY": "load-bench-secret",
        "PYTHONUNBUFFERED": "1",
    }
    with log.open("wb") as out:
        proc = subprocess.Popen(  # noqa: ASYNC220 - started once, before the load
            [
                sys.executable,
                "-m",
                "uvicorn",
                "server.app:create_app",
                "--factory",
                "--port",
                str(port),
                "--workers",
                str(workers),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base) as probe:
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"server exited: {log.read_text()[-3000:]}")  # noqa: ASYNC240
                try:
                    if (await probe.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("server did not answer within 60 s")
                await asyncio.sleep(0.1)
        yield base, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --------------------------------------------------------------------------- the load


class Phone:
    def __init__(self, http: httpx.AsyncClient, grid: dict[str, Any], seed: int) -> None:
        self.http = http
        self.grid = grid
        self.cursor: str | None = None
        self.rng = random.Random(seed)
        self.node = f"{self.rng.getrandbits(32):08x}"
        self.counter = 0
        self.warned = False
        self.headers = {
            "Authorization": f"Bearer {grid['token']}",
            "Content-Type": "application/json",
        }

    def _hlc(self, now_ms: int) -> str:
        self.counter += 1
        return format_hlc(now_ms, self.counter % 0x10000, self.node)

    def batch(self) -> list[dict[str, Any]]:
        now = datetime.now(UTC)
        now_ms = int(now.timestamp() * 1000)
        iso = now.strftime("%Y-%m-%dT%H:%M:%SZ")
        muts = []
        for i in range(BATCH):
            if i % 2 == 0:
                measure, person = self.rng.choice(self.grid["measures"])
                col, data = (
                    "checks",
                    {
                        "measure_id": measure,
                        "person_id": person,
                        "check_date": date.today().isoformat(),
                        "slot": self.rng.choice(("morning", "evening")),
                        "temperature": round(self.rng.uniform(36.0, 37.1), 1),
                        "symptoms": [],
                        "at_home": True,
                        "needs": "",
                        "checked_at": iso,
                    },
                )
            else:
                col, data = (
                    "visits",
                    {
                        "household_id": self.rng.choice(self.grid["hh"]),
                        "visited_at": iso,
                        "outcome": "visited",
                        "checklist": {"members": True, "returnees": False, "fever": False},
                        "notes": "",
                    },
                )
            muts.append(
                {
                    "id": str(uuid.uuid4()),
                    "col": col,
                    "rid": str(uuid.uuid4()),
                    "op": "put",
                    "hlc": self._hlc(now_ms),
                    "at": now_ms,
                    "base": None,
                    "data": data,
                }
            )
        return muts

    async def sync(self, mutations: list[dict[str, Any]]) -> tuple[float, int, bool]:
        """One sync; (seconds, applied mutations, ok)."""
        body = {
            "protocol": 1,
            "schema": 1,
            "app": "load-1",
            "clock": int(time.time() * 1000),
            "cursor": self.cursor,
            "pending": len(mutations),
            "mutations": mutations,
        }
        start = time.perf_counter()
        try:
            resp = await self.http.post(
                "/api/sync", content=msgspec.json.encode(body), headers=self.headers
            )
        except httpx.HTTPError:
            return time.perf_counter() - start, 0, False
        took = time.perf_counter() - start
        if resp.status_code != 200:
            return took, 0, False
        answer = msgspec.json.decode(resp.content)
        self.cursor = answer["cursor"] or None
        results = answer.get("results") or []
        applied = sum(1 for r in results if r["status"] != "rejected")
        if applied < len(results) and not self.warned:
            self.warned = True
            print("rejected:", [r for r in results if r["status"] == "rejected"][:1], flush=True)
        return took, applied, True


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)


async def drive(
    base: str,
    grids: list[dict[str, Any]],
    seconds: float,
    warmup: float,
    probe: Callable[[], cpu.Usage | None] | None = None,
) -> dict[str, Any]:
    """K writers back to back plus one idle device, for ``warmup + seconds``. ``probe``:
    the processes' CPU so far, sampled when the window opens and when it closes."""
    writers, idle_grid = grids[:-1], grids[-1]
    limits = httpx.Limits(max_connections=len(grids) + 5, max_keepalive_connections=len(grids) + 5)
    timeout = httpx.Timeout(120.0)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as http:
        phones = [Phone(http, g, i) for i, g in enumerate(writers)]
        idle = Phone(http, idle_grid, 10_000)
        # First syncs (not measured): every device gets its snapshot and a feed cursor.
        for group in range(0, len(phones), 20):
            await asyncio.gather(*(p.sync([]) for p in phones[group : group + 20]))
        await idle.sync([])
        t0 = time.perf_counter()
        start, stop = t0 + warmup, t0 + warmup + seconds
        lat: list[float] = []
        idle_lat: list[float] = []
        counts = {"applied": 0, "syncs": 0, "errors": 0}

        async def writer(p: Phone) -> None:
            while (now := time.perf_counter()) < stop:
                took, applied, ok = await p.sync(p.batch())
                if now >= start and now + took <= stop:
                    lat.append(took)
                    counts["syncs"] += 1
                    counts["applied"] += applied
                    counts["errors"] += 0 if ok else 1
                elif now >= start:
                    # finished after the window: count what landed inside it, pro rata
                    counts["applied"] += int(applied * max(0.0, stop - now) / took)

        async def idler() -> None:
            while (now := time.perf_counter()) < stop:
                took, _applied, ok = await idle.sync([])
                if now >= start and ok:
                    idle_lat.append(took)
                await asyncio.sleep(IDLE_EVERY)

        samples: list[cpu.Usage | None] = []

        async def meter() -> None:
            if probe is None:
                return
            for moment in (start, stop):
                await asyncio.sleep(max(0.0, moment - time.perf_counter()))
                samples.append(probe())

        await asyncio.gather(*(writer(p) for p in phones), idler(), meter())
    # CPU per sync of BATCH mutations (the idle device's syncs are in the totals)
    usage: dict[str, Any] = {}
    if len(samples) == 2:
        usage = cpu.spent(samples[0], samples[1], seconds, counts["applied"] // BATCH)
    return {
        "k": len(writers),
        "seconds": seconds,
        "mutations_per_s": round(counts["applied"] / seconds, 1),
        "syncs": counts["syncs"],
        "errors": counts["errors"],
        "p50_ms": _pct(lat, 0.50),
        "p95_ms": _pct(lat, 0.95),
        "p99_ms": _pct(lat, 0.99),
        "idle_syncs": len(idle_lat),
        "idle_p50_ms": _pct(idle_lat, 0.50),
        "idle_p95_ms": _pct(idle_lat, 0.95),
        **usage,
    }


CONFIGS = {"sqlite1": ("sqlite", 1), "pg1": ("postgresql", 1), "pg2": ("postgresql", 2)}


async def one(config: str, k: int, seconds: float, warmup: float) -> dict[str, Any]:
    kind, workers = CONFIGS[config]
    async with fresh_database(kind) as url:
        grids = await populate(url, k + 1)
        with tempfile.TemporaryDirectory() as tmp:
            keep = os.environ.get("WANGGE_LOAD_LOG")  # keep the server's log there
            log = Path(keep) if keep else Path(tmp) / "server.log"
            async with server(url, workers, log) as (base, pid):
                figures = await drive(base, grids, seconds, warmup, partial(cpu.sample, pid))
    return {"config": config, "database": kind, "processes": workers, **figures}


def _revision() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "server"], cwd=ROOT, capture_output=True
        )
        return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except OSError:
        return "unknown"


def table(rows: list[dict[str, Any]]) -> str:
    """The figures as a text table; ``cpu ms/sync``: CPU of the server, PostgreSQL and
    the load generator per sync of BATCH mutations."""
    head = (
        f"{'config':<8} {'K':>4} {'mut/s':>8} {'p50':>7} {'p95':>7} {'p99':>7} "
        f"{'idle p95':>9} {'err':>4}  {'cpu ms/sync srv/pg/load':>24}"
    )
    lines = [head]
    for r in rows:
        per_sync = r.get("cpu_ms_per_sync") or {}
        split = "/".join(str(per_sync.get(k, "-")) for k in ("server", "postgres", "load"))
        lines.append(
            f"{r['config']:<8} {r['k']:>4} {r['mutations_per_s']:>8} {r['p50_ms']!s:>7} "
            f"{r['p95_ms']!s:>7} {r['p99_ms']!s:>7} {r['idle_p95_ms']!s:>9} {r['errors']:>4}  "
            f"{split if per_sync else '-':>24}"
        )
    return "\n".join(lines)


def run(
    quick: bool = False,
    ks: tuple[int, ...] | None = None,
    configs: tuple[str, ...] | None = None,
    seconds: float | None = None,
    label: str = "",
) -> dict[str, Any]:
    """The load matrix; writes bench/results/load_<stamp>.json and returns the figures.
    ``quick``: K = 10 and 50, 8 s windows (the full run: K = 10, 50, 200, 20 s)."""
    ks = ks or ((10, 50) if quick else (10, 50, 200))
    configs = configs or tuple(CONFIGS)
    window = seconds or (8.0 if quick else 20.0)
    warmup = 2.0 if quick else 4.0
    started = datetime.now(UTC)
    rows = []
    for config in configs:
        for k in ks:
            row = asyncio.run(one(config, k, window, warmup))
            print(table([row]).splitlines()[1], flush=True)
            rows.append(row)
    figures = {
        "started": started.isoformat(),
        "revision": _revision(),
        "label": label,
        "batch": BATCH,
        "cpus": os.cpu_count(),
        "runs": rows,
    }
    RESULTS.mkdir(exist_ok=True)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"load_{stamp}.json").write_text(
        json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    print(table(rows))
    print(f"written: bench/results/load_{stamp}.json")
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--k", default="", help="comma-separated K values")
    parser.add_argument("--only", default="", help="comma-separated: sqlite1,pg1,pg2")
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--label", default="")
    args = parser.parse_args(argv)
    ks = tuple(int(k) for k in args.k.split(",") if k) or None
    configs = tuple(c for c in args.only.split(",") if c) or None
    run(args.quick, ks, configs, args.seconds, args.label)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
