"""The same grid over the CouchDB replication protocol: PouchDB 9 (memory adapter, in Node)
against pouchdb-server (in memory, on loopback), side by side with ours.

Needs Node and ``pouchdb-server``, ``pouchdb`` and ``pouchdb-adapter-memory`` installed in
bench/.node (``make bench`` does it with npm). The grid's records are those our server
sends a grid worker's first sync (bench/grid.py), one document each (``<collection>:<id>``);
the day is the same 86 records up and 20 down (another writer, straight to the server),
then a sync with nothing new. Bytes are counted on the socket by the same proxy as ours
(bench/netsim.py); requests by the client.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import shutil
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

from bench.grid import colleague_edits, day_edits, load_grid
from bench.netsim import TWO_G, CountingProxy
from bench.sync_bench import database, open_phone, server_process
from devkit.network import free_port
from server.db import make_engine, make_sessionmaker
from wangge_client import SyncClient

ROOT = Path(__file__).resolve().parent.parent
NODE_DIR = ROOT / "bench" / ".node"
SERVER_BIN = NODE_DIR / "node_modules" / ".bin" / "pouchdb-server"
CLIENT = ROOT / "bench" / "pouch_client.mjs"
TIMEOUT_S = 300


def available() -> str | None:
    """None when the benchmark can run, else why not."""
    if shutil.which("node") is None:
        return "node is not installed"
    missing = [
        m
        for m in ("pouchdb-server", "pouchdb", "pouchdb-adapter-memory")
        if not (NODE_DIR / "node_modules" / m).is_dir()
    ]
    if missing:
        return f"{', '.join(missing)} not in bench/.node (make bench installs them with npm)"
    return None


def _docs(records: dict[str, dict[str, Any]], col: str) -> list[dict[str, Any]]:
    return [
        {"_id": f"{col}:{rid}", "type": col, **{k: v for k, v in rec.items() if k != "rev"}}
        for rid, rec in records.items()
    ]


def _outbox_docs(client: SyncClient) -> list[dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for m in client.outbox:
        doc = merged.setdefault(f"{m['col']}:{m['rid']}", {"_id": f"{m['col']}:{m['rid']}"})
        doc.update(m.get("data", {}), type=m["col"])
    return list(merged.values())


async def _grid_docs(seed: int) -> dict[str, Any]:
    """The grid as our server sends it, and the day's edits of both devices, as docs."""
    log_dir = Path(tempfile.mkdtemp(prefix="wangge-pouch-"))
    try:
        async with database("sqlite") as url:
            engine = make_engine(url)
            try:
                db = make_sessionmaker(engine)
                grid = await load_grid(db, seed)
                async with server_process(url, log_dir / "server.log") as base:
                    phone = await open_phone(base, db, grid.phones["worker"], 1, "pouch ref")
                    try:
                        await phone.client.sync_all()
                        docs: list[dict[str, Any]] = []
                        for col in sorted(phone.client.snapshot):
                            docs += _docs(phone.client.view(col), col)
                    finally:
                        await phone.http.aclose()
            finally:
                await engine.dispose()
    finally:
        shutil.rmtree(log_dir, ignore_errors=True)
    rng = random.Random(seed)
    # the same edits as bench/sync_bench.py (same seed, same order), as documents
    colleague = SyncClient(httpx.AsyncClient(), "-", device_id=str(uuid.uuid4()))
    colleague_edits(colleague, grid, rng)
    worker = SyncClient(httpx.AsyncClient(), "-", device_id=str(uuid.uuid4()))
    day_edits(worker, grid, rng)
    return {"docs": docs, "day_up": _outbox_docs(worker), "day_down": _outbox_docs(colleague)}


@contextlib.asynccontextmanager
async def pouchdb_server(tmp: Path) -> AsyncIterator[str]:
    port = free_port()
    log = (tmp / "pouchdb-server.log").open("wb")
    proc = await asyncio.create_subprocess_exec(
        str(SERVER_BIN), "--in-memory", "--host", "127.0.0.1", "--port", str(port),
        cwd=tmp, stdout=log, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        async with httpx.AsyncClient() as probe:
            while True:
                if proc.returncode is not None:
                    raise RuntimeError("pouchdb-server exited")
                with contextlib.suppress(httpx.TransportError):
                    if (await probe.get(base)).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError("pouchdb-server did not answer within 60 s")
                await asyncio.sleep(0.1)
        yield base
    finally:
        if proc.returncode is None:
            proc.terminate()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.wait(), 10)
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        log.close()


async def _bulk(base: str, docs: list[dict[str, Any]]) -> None:
    async with httpx.AsyncClient(timeout=120) as http:
        for i in range(0, len(docs), 500):
            response = await http.post(f"{base}/grid/_bulk_docs", json={"docs": docs[i : i + 500]})
            response.raise_for_status()


async def _newest(base: str, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The colleague's docs with the server's current _rev of each (an update, not a fork)."""
    out = []
    async with httpx.AsyncClient(timeout=60) as http:
        for doc in docs:
            found = await http.get(f"{base}/grid/{doc['_id']}")
            current = found.json() if found.status_code == 200 else {}
            out.append({**current, **doc})
    return out


async def run(seed: int = 2021) -> dict[str, Any]:
    why = available()
    if why:
        return {"skipped": why}
    data = await _grid_docs(seed)
    tmp = Path(tempfile.mkdtemp(prefix="wangge-pouch-"))
    try:
        async with pouchdb_server(tmp) as base:
            async with httpx.AsyncClient() as http:
                (await http.put(f"{base}/grid")).raise_for_status()
            await _bulk(base, data["docs"])
            scenario = tmp / "scenario.json"
            scenario.write_text(json.dumps(data, default=str), encoding="utf-8")
            proxy = CountingProxy("127.0.0.1", int(base.rsplit(":", 1)[1]))
            await proxy.start()
            try:
                return await _drive(base, proxy, scenario, data)
            finally:
                await proxy.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


async def _drive(
    base: str, proxy: CountingProxy, scenario: Path, data: dict[str, Any]
) -> dict[str, Any]:
    # an ES module finds its packages beside itself: run a copy inside bench/.node
    client = NODE_DIR / CLIENT.name
    shutil.copyfile(CLIENT, client)
    proc = await asyncio.create_subprocess_exec(
        "node", str(client), f"http://127.0.0.1:{proxy.port}/grid", str(scenario),
        cwd=NODE_DIR, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdin is not None
    assert proc.stdout is not None
    out: dict[str, Any] = {"docs": len(data["docs"])}
    before = proxy.traffic.snapshot()
    try:
        while True:
            line = (await asyncio.wait_for(proc.stdout.readline(), TIMEOUT_S)).decode().strip()
            if not line:
                break
            if line == "ready day":
                await _bulk(base, await _newest(base, data["day_down"]))
                before = proxy.traffic.snapshot()
            elif line.startswith("phase "):
                _, name, requests, ms = line.split()
                moved = proxy.traffic.since(before)
                out[name] = {
                    "requests": int(requests),
                    "bytes_up": moved.up,
                    "bytes_down": moved.down,
                    "bytes": moved.up + moved.down,
                    "seconds_2g": round(TWO_G.seconds(int(requests), moved.up, moved.down), 2),
                    "local_ms": float(ms),
                }
                before = proxy.traffic.snapshot()
            proc.stdin.write(b"go\n")
            await proc.stdin.drain()
        await asyncio.wait_for(proc.wait(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    if proc.returncode:
        err = (await proc.stderr.read()).decode()[-1500:] if proc.stderr else ""
        return {"failed": f"node client exited {proc.returncode}: {err}"}
    return out


if __name__ == "__main__":
    print(json.dumps(asyncio.run(run()), indent=1))
