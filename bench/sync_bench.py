"""Sync benchmark: one grid (bench/grid.py) over real HTTP, counted on the socket.

The real server runs in a uvicorn subprocess on a temporary database; a counting TCP proxy
sits between it and :class:`wangge_client.SyncClient`. Three scenarios:

* ``first_load``: an empty phone pulls the whole grid,
* ``day``: 86 records up (56 checks, 12 visits, 10 person edits, 8 other) and 20 records
  down that another device wrote,
* ``idle``: a sync with nothing new.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import os
import random
import re
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import msgspec
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.grid import PASSWORD, GridData, colleague_edits, day_edits, device, load_grid
from bench.netsim import TARGETS, TWO_G, CountingProxy
from devkit.databases import create_pg_database, create_schema, drop_pg_database
from devkit.network import free_port
from server.db import make_engine, make_sessionmaker
from wangge_client import OrderedIds, SyncClient, SyncError

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("WANGGE_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432")


# --------------------------------------------------------------------------- the server


@contextlib.asynccontextmanager
async def server_process(database_url: str, log_path: Path) -> AsyncIterator[str]:
    """uvicorn on a free port; yields its base URL once it answers HTTP."""
    port = free_port()
    env = os.environ | {"WANGGE_DATABASE_URL": database_url, "WANGGE_SECURE_COOKIES": "0"}
    log = await asyncio.to_thread(log_path.open, "wb")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "uvicorn",
        "server.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=asyncio.subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        async with httpx.AsyncClient(base_url=base) as probe:
            while True:
                if proc.returncode is not None:
                    tail = (await asyncio.to_thread(log_path.read_bytes))[-3000:].decode(
                        errors="replace"
                    )
                    raise RuntimeError(f"server exited: {tail}")
                try:
                    await probe.get("/healthz")  # any answer means it is serving
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise RuntimeError("server did not answer within 60 s") from None
                    await asyncio.sleep(0.05)
        yield base
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        log.close()


@contextlib.asynccontextmanager
async def database(kind: str) -> AsyncIterator[str]:
    """A fresh database with the schema: a temp SQLite file, or a throwaway PostgreSQL DB."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite+aiosqlite:///{tmp}/bench.db"
            await create_schema(url)
            yield url
        return
    name = f"wangge_bench_{uuid.uuid4().hex[:10]}"
    admin = f"{PG_SERVER}/postgres"
    url = await create_pg_database(admin, name)
    try:
        await create_schema(url)
        yield url
    finally:
        await drop_pg_database(admin, name)


# --------------------------------------------------------------------------- measuring


@dataclass
class Phone:
    """A device: its SyncClient over an httpx client that goes through the counting proxy."""

    client: SyncClient
    http: httpx.AsyncClient
    requests: int = 0
    bodies: list[bytes] = field(default_factory=list)
    sent: list[bytes] = field(default_factory=list)
    registered: str = "POST /api/auth/token"


async def open_phone(
    base: str,
    db: async_sessionmaker[AsyncSession],
    phone: str,
    user_id: int,
    name: str,
    accept_encoding: str = "gzip",
) -> Phone:
    holder: list[Phone] = []

    async def on_request(request: httpx.Request) -> None:
        if holder:
            holder[0].requests += 1
            if request.url.path == "/api/sync":
                body = request.content
                if request.headers.get("content-encoding") == "gzip":
                    body = gzip.decompress(body)
                holder[0].sent.append(body)

    async def on_response(response: httpx.Response) -> None:
        if holder and response.request.url.path == "/api/sync":
            await response.aread()  # read here so the benchmark can look inside afterwards
            holder[0].bodies.append(response.content)

    http = httpx.AsyncClient(
        base_url=base, timeout=120, event_hooks={"request": [on_request], "response": [on_response]}
    )
    registered = "POST /api/auth/token"
    try:
        client = await SyncClient.register(
            http, phone, PASSWORD, name, accept_encoding=accept_encoding
        )
    except SyncError as exc:  # no token endpoint (yet): a device row made directly
        registered = f"device row inserted ({exc.status} {exc.code} from the token endpoint)"
        device_id, token = await device(db, user_id, name)
        client = SyncClient(http, token, device_id=device_id, accept_encoding=accept_encoding)
    holder.append(Phone(client, http, registered=registered))
    return holder[0]


async def measure(phone: Phone, proxy: CountingProxy, label: str, **sync: Any) -> dict[str, Any]:
    before, count = proxy.traffic.snapshot(), phone.requests
    pushed = len(phone.client.outbox)
    own = {str(m["rid"]) for m in phone.client.outbox}
    phone.bodies.clear()
    phone.sent.clear()
    started = time.perf_counter()
    report = await phone.client.sync_all(**sync)
    elapsed = time.perf_counter() - started
    moved = proxy.traffic.since(before)
    requests = phone.requests - count
    target = TARGETS[label]
    seconds = TWO_G.seconds(requests, moved.up, moved.down)
    return {
        "requests": requests,
        "bytes_up": moved.up,
        "bytes_down": moved.down,
        "bytes": moved.up + moved.down,
        "body_up_gzip": report.total.bytes_up,
        "body_down_gzip": report.total.bytes_down,
        "records_up": pushed,
        "rows_down": report.total.rows,
        "rows_echoed": _echoed(phone.bodies, own),
        "results": dict(report.total.results),
        "seconds_2g": round(seconds, 3),
        "local_ms": round(elapsed * 1000, 1),
        "goal": {"requests": target.requests, "bytes": target.bytes, "seconds": target.seconds},
        "couch": {
            "requests": target.couch_requests,
            "bytes": target.couch_bytes,
            "seconds": target.couch_seconds,
        },
        "met": {
            "requests": requests <= target.requests,
            "bytes": moved.up + moved.down <= target.bytes,
            "seconds": seconds <= target.seconds,
        },
        "breakdown": breakdown(phone.sent, phone.bodies, own),
    }


def _echoed(bodies: list[bytes], own: set[str]) -> int:
    """Rows the device receives of records it has just written itself."""
    rows = [
        row
        for body in bodies
        for page in msgspec.json.decode(body).get("changes", {}).values()
        for row in page["rows"]
    ]
    return sum(1 for row in rows if str(row[0]) in own)


_UUID = re.compile(rb'"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"')
_TIME = re.compile(rb'"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?"')


def _gz(data: Any) -> int:
    raw = data if isinstance(data, bytes) else msgspec.json.encode(data)
    return len(gzip.compress(raw, 6))


def _what_if_uuids(whole: bytes) -> tuple[int, int]:
    """(distinct UUIDs, gzip size with each swapped for a short number)."""
    ids: dict[bytes, bytes] = {}

    def short_id(m: re.Match[bytes]) -> bytes:
        return ids.setdefault(m.group(0), str(len(ids)).encode())

    size = _gz(_UUID.sub(short_id, whole))
    return len(ids), size


def breakdown(
    requests: list[bytes], responses: list[bytes], own: set[str] | None = None
) -> dict[str, Any]:
    """Where the bytes go, both ways: gzip size per part, and what-if sizes with UUID text
    swapped for short numbers, timestamps dropped, mutation ids made sequential, results
    sent without the ids they answer (they come in request order)."""
    out: dict[str, Any] = {}
    if requests:
        whole = b"".join(requests)
        sent = [msgspec.json.decode(r) for r in requests]
        mutations = [m for r in sent for m in r.get("mutations", [])]
        uuids, without = _what_if_uuids(whole)
        numbered = [m | {"id": n} for n, m in enumerate(mutations)]
        out["up"] = {
            "json": len(whole),
            "gzip": _gz(whole),
            "mutations": len(mutations),
            "uuids": uuids,
            "gzip_uuids_as_numbers": without,
            "gzip_sequential_mutation_ids": _gz(numbered),
            "gzip_without_at": _gz([{k: v for k, v in m.items() if k != "at"} for m in mutations]),
            "gzip_mutations_only": _gz(mutations),
        }
    if responses:
        whole = b"".join(responses)
        answers = [msgspec.json.decode(r) for r in responses]
        results = [x for a in answers for x in a.get("results", [])]
        per_col: dict[str, dict[str, int]] = {}
        for answer in answers:
            for col, page in answer.get("changes", {}).items():
                sizes = per_col.setdefault(col, {"rows": 0, "json": 0, "gzip": 0})
                sizes["rows"] += len(page["rows"])
                sizes["json"] += len(msgspec.json.encode(page))
                sizes["gzip"] += _gz(page)
        uuids, without = _what_if_uuids(whole)
        unechoed = [
            a
            | {
                "changes": {
                    c: p | {"rows": [r for r in p["rows"] if str(r[0]) not in (own or set())]}
                    for c, p in a.get("changes", {}).items()
                }
            }
            for a in answers
        ]
        out["down"] = {
            "json": len(whole),
            "gzip": _gz(whole),
            "uuids": uuids,
            "gzip_uuids_as_numbers": without,
            "gzip_without_timestamps": _gz(_TIME.sub(b"0", whole)),
            "gzip_without_own_rows": _gz(b"".join(msgspec.json.encode(a) for a in unechoed)),
            "gzip_results": _gz(results) if results else 0,
            "gzip_results_without_ids": _gz(
                [{k: v for k, v in x.items() if k != "id"} for x in results]
            )
            if results
            else 0,
            "collections": per_col,
        }
    return out


async def run_one(
    kind: str, seed: int = 2021, ids: str = "uuid4", accept_encoding: str = "gzip"
) -> dict[str, Any]:
    """The three scenarios on a fresh database; ``ids="ordered"`` makes the devices' new
    ids with :class:`OrderedIds` instead of random UUIDs; ``accept_encoding="br, gzip"``
    takes brotli answers (what a browser over HTTPS asks for)."""
    log_dir = Path(tempfile.mkdtemp(prefix="wangge-bench-"))
    async with database(kind) as url:
        engine = make_engine(url)
        db = make_sessionmaker(engine)
        try:
            grid = await load_grid(db, seed)
            async with server_process(url, log_dir / "server.log") as base:
                scenarios = await _scenarios(base, db, grid, seed, ids, accept_encoding)
        except BaseException:
            print(f"sync bench on {kind} failed; server log kept in {log_dir}", file=sys.stderr)
            raise
        finally:
            await engine.dispose()
    shutil.rmtree(log_dir, ignore_errors=True)
    return {
        "database": kind,
        "ids": ids,
        "accept_encoding": accept_encoding,
        "grid": grid.counts,
        "scenarios": scenarios,
    }


async def _scenarios(
    base: str,
    db: async_sessionmaker[AsyncSession],
    grid: GridData,
    seed: int,
    ids: str,
    accept: str = "gzip",
) -> dict[str, Any]:
    proxy = CountingProxy("127.0.0.1", int(base.rsplit(":", 1)[1]))
    await proxy.start()
    proxy_base = f"http://127.0.0.1:{proxy.port}"
    worker = await open_phone(proxy_base, db, grid.phones["worker"], 1, "bench A", accept)
    colleague = await open_phone(proxy_base, db, grid.phones["colleague"], 2, "bench B", accept)
    if ids == "ordered":
        for phone in (worker, colleague):
            phone.client.new_id = OrderedIds(phone.client.device_id)
    try:
        first = await measure(worker, proxy, "first_load")
        await colleague.client.sync_all()
        rng = random.Random(seed)
        colleague_edits(colleague.client, grid, rng)
        await colleague.client.sync_all()
        day_edits(worker.client, grid, rng)
        day = await measure(worker, proxy, "day")
        idle = await measure(worker, proxy, "idle")
    finally:
        await worker.http.aclose()
        await colleague.http.aclose()
        await proxy.stop()
    first["registered"] = worker.registered
    return {"first_load": first, "day": day, "idle": idle}


def table(result: dict[str, Any]) -> str:
    """Measured against the goal (and the CouchDB protocol's figures) per scenario."""
    lines = [
        f"sync on {result['database']}, {result['ids']} ids, "
        f"Accept-Encoding {result.get('accept_encoding', 'gzip')}: grid {result['grid']}",
        f"  {'scenario':<34} {'requests':>12} {'bytes':>18} {'2G seconds':>16}  rows",
        f"  {'':<34} {'ours/goal':>12} {'ours/goal':>18} {'ours/goal':>16}",
    ]
    for name, m in result["scenarios"].items():
        target = TARGETS[name]
        mark = (
            "ok"
            if all(m["met"].values())
            else "MISSED " + ",".join(k for k, v in m["met"].items() if not v)
        )
        lines.append(
            f"  {target.label:<34} {m['requests']:>5} / {target.requests:<4} "
            f"{m['bytes']:>8} / {target.bytes:<7} {m['seconds_2g']:>7.2f} / {target.seconds:<6} "
            f"{m['records_up']}up {m['rows_down'] - m['rows_echoed']}down"
            f"{'+' + str(m['rows_echoed']) + 'echo' if m['rows_echoed'] else ''}  {mark}"
        )
        lines.append(
            f"  {'':<34} gzip bodies up {m['body_up_gzip']} B, down "
            f"{m['body_down_gzip']} B; localhost {m['local_ms']} ms; CouchDB: "
            f"{target.couch_requests} req, {target.couch_bytes} B, {target.couch_seconds} s"
        )
    return "\n".join(lines)


async def run(pg: bool = False, seed: int = 2021) -> list[dict[str, Any]]:
    kinds = ["sqlite", "postgresql"] if pg else ["sqlite"]
    results = [await run_one(kind, seed) for kind in kinds]
    results.append(await run_one("sqlite", seed, ids="ordered"))
    # as a browser over HTTPS asks: brotli answers
    results.append(await run_one("sqlite", seed, ids="ordered", accept_encoding="br, gzip"))
    return results
