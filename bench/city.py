"""City-scale page benchmark: the demo county grown to 100k and 1M persons on PostgreSQL.

``python -m bench.city [--sizes 13k,100k,1m] [--keep]`` builds each size in a fresh
PostgreSQL database (the demo generator of server/seed with more villages per town,
written with COPY in one transaction, then VACUUM ANALYZE), and times, in process through
the ASGI app, what the county supervisor opens:

* ``home``: the supervisor's home page (``GET /``),
* ``area``: the first town's page (``GET /areas/<id>``),
* ``list``: a line list (``GET /lists/measures?area=<county>``),
* ``snapshot``: pages of the supervisor's first sync (``POST /api/sync``, page size
  2,000): the first pages in sequence, then the first page of every collection (a cursor
  placed at its start), as time per page.

Writes bench/results/city-<UTC stamp>.json and city-latest.json. `make bench-city` runs it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Column, text
from sqlalchemy.ext.asyncio import AsyncSession

from devkit.databases import create_pg_database, drop_pg_database
from server.config import DEFAULT_TIMEZONE, Settings
from server.db import make_engine, make_sessionmaker, transaction
from server.migrate import upgrade
from server.seed import load as seed_load
from server.seed.county import Clock, Scale
from server.sync import cursor as cursors
from server.sync.revs import RevAllocator

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PG_SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432"
SUPERVISOR = "13800000004"
TIMEZONE = DEFAULT_TIMEZONE
#: persons ≈ 13.4k per 3 towns × 8 villages (150 households a village)
SIZES: dict[str, Scale] = {
    "13k": Scale(),
    "100k": Scale(towns=6, villages_per_town=32),
    "1m": Scale(towns=12, villages_per_town=160),
}
#: rows above this go through COPY, the rest through the seed's own INSERT
COPY_FROM = 500
SEQUENTIAL_PAGES = 12
#: timed requests per page, after one untimed: more than the five executions after which
#: PostgreSQL may switch a prepared statement to a generic plan (server/db.py), so a page
#: that a cached plan makes slow shows it here
REPEATS = 8


def _default(column: Column[Any]) -> tuple[bool, Any]:
    default = column.default
    if default is None or (
        not getattr(default, "is_scalar", False) and not callable(getattr(default, "arg", None))
    ):
        return False, None
    arg = default.arg  # type: ignore[attr-defined]
    return True, arg(None) if callable(arg) else arg


async def _copy_put(
    session: AsyncSession, alloc: RevAllocator | None, model: Any, rows: list[dict[str, Any]]
) -> None:
    """The seed's `_put`, with COPY for large tables (same revs, same rows)."""
    if len(rows) <= COPY_FROM:
        await _plain_put(session, alloc, model, rows)
        return
    if alloc is not None:
        for row in rows:
            row["rev"] = await alloc.next()
    table = model.__table__
    keys = list(dict.fromkeys(k for row in rows[:200] for k in row))
    for row in rows:
        for k in row:
            if k not in keys:
                keys.append(k)
    fill: dict[str, Any] = {}
    for column in table.columns:
        if column.key not in keys:
            has, value = _default(column)
            if has:
                fill[column.key] = value
    names = [table.columns[k].name for k in keys] + [table.columns[k].name for k in fill]
    conn = await session.connection()
    procs = [table.columns[k].type._cached_bind_processor(conn.dialect) for k in keys]
    records = [
        tuple(p(row.get(k)) if p else row.get(k) for k, p in zip(keys, procs, strict=True))
        + tuple(fill.values())
        for row in rows
    ]
    raw = await conn.get_raw_connection()
    driver: Any = raw.driver_connection
    await driver.copy_records_to_table(table.name, records=records, columns=names)


_plain_put = seed_load._put


async def build(url: str, scale: Scale, seed: int = 2021) -> dict[str, Any]:
    """Generate and write the county at `scale` into the migrated database at `url`."""
    started = time.perf_counter()
    tz = ZoneInfo(TIMEZONE)
    now = datetime.now(UTC)
    today = now.astimezone(tz).date()
    clock = Clock(today=today, now=now, tz=tz)
    demo = seed_load.generate(seed, clock, scale)
    generated = time.perf_counter()
    engine = make_engine(url)
    try:
        seed_load._put = _copy_put  # type: ignore[assignment]
        try:
            async with transaction(make_sessionmaker(engine)) as session:
                await seed_load.write_demo(session, demo, clock)
        finally:
            seed_load._put = _plain_put  # type: ignore[assignment]
        written = time.perf_counter()
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE"))
    finally:
        await engine.dispose()
    return {
        "persons": len(demo.county.persons),
        "households": len(demo.county.households),
        "areas": len(demo.county.areas),
        "measures": len(demo.activity.measures),
        "checks": len(demo.activity.checks),
        "visits": len(demo.activity.visits),
        "fever_reports": len(demo.activity.fever_reports),
        "generate_s": round(generated - started, 1),
        "write_s": round(written - generated, 1),
        "vacuum_analyze_s": round(time.perf_counter() - written, 1),
        "today": date.isoformat(today),
    }


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


async def _timed(call: Any, repeats: int = REPEATS) -> dict[str, Any]:
    times: list[float] = []
    status = 0
    for _ in range(repeats):
        started = time.perf_counter()
        response = await call()
        times.append(time.perf_counter() - started)
        status = response.status_code
    return {
        "status": status,
        "ms": [_ms(t) for t in times],
        "median_ms": _ms(statistics.median(times)),
        # the least disturbed run: what the page costs when the machine is not busy
        "min_ms": _ms(min(times)),
    }


async def bench_pages(url: str) -> dict[str, Any]:
    """Time the supervisor's pages and first-sync pages against the database at `url`."""
    from litestar.testing import AsyncTestClient

    from server.app import create_app
    from server.seed.load import DEMO_PASSWORD
    from wangge_client import SyncClient

    settings = Settings(database_url=url, timezone=TIMEZONE, secure_cookies=False)
    try:  # a server that precompresses its static files does it at startup: not timed here
        from server.web.static import precompress_all
    except ImportError:
        pass
    else:
        precompress_all()
    engine = make_engine(url)
    async with engine.connect() as conn:
        county = (await conn.execute(text("SELECT id FROM areas WHERE level='county'"))).scalar()
        town = (
            await conn.execute(text("SELECT id FROM areas WHERE level='town' ORDER BY code"))
        ).first()
        persons = (await conn.execute(text("SELECT count(*) FROM persons"))).scalar()
    await engine.dispose()
    out: dict[str, Any] = {"persons": persons}
    async with AsyncTestClient(app=create_app(settings), timeout=600) as client:
        login = await client.get("/login")
        token = login.text.split('name="csrf_token" value="')[1].split('"')[0]
        await client.post(
            "/login",
            data={"phone": SUPERVISOR, "password": DEMO_PASSWORD, "csrf_token": token},
            follow_redirects=False,
        )
        # one untimed request each first: templates compiled, caches warm, on both sides
        for warm in ("/", f"/areas/{town[0] if town else 0}", f"/lists/measures?area={county}"):
            await client.get(warm)
        out["home"] = await _timed(lambda: client.get("/"))
        assert town is not None
        out["area"] = await _timed(lambda: client.get(f"/areas/{town[0]}"))
        out["list"] = await _timed(lambda: client.get(f"/lists/measures?area={county}"))
        phone = await SyncClient.register(client, SUPERVISOR, DEMO_PASSWORD, "bench city")
        pages: list[dict[str, Any]] = []
        for _ in range(SEQUENTIAL_PAGES):
            started = time.perf_counter()
            summary = await phone.sync()
            pages.append(
                {
                    "ms": _ms(time.perf_counter() - started),
                    "rows": summary.rows,
                    "more": summary.more,
                }
            )
            if not summary.more:
                break
        starts = await _collection_starts(client, phone)
        every = [p["ms"] for p in pages] + [p["ms"] for p in starts]
        out["snapshot"] = {
            "sequential": pages,
            "collection_starts": starts,
            "max_ms": max(every),
            "median_ms": round(statistics.median(every), 1),
        }
    return out


async def _collection_starts(client: Any, phone: Any) -> list[dict[str, Any]]:
    """The first snapshot page of each collection: a cursor placed at its start."""
    cur = phone.cursor
    decoded = cursors.decode(cur) if cur else None
    if not isinstance(decoded, cursors.SnapshotCursor):
        return []
    from wangge_client import SyncClient

    timings: list[dict[str, Any]] = []
    for pos in range(len(decoded.order)):
        # with the count the first page made (a server that carries one), so the probe
        # is an ordinary page and not a cursor of an older server, counted again
        carried = {"left": decoded.left} if hasattr(decoded, "left") else {}
        placed = cursors.SnapshotCursor(
            decoded.scope, decoded.hi, decoded.order, pos, "", **carried
        )
        probe = SyncClient(client, phone.token, device_id=phone.device_id)
        probe.cursor = cursors.encode(placed)
        started = time.perf_counter()
        summary = await probe.sync()
        timings.append({"pos": pos, "ms": _ms(time.perf_counter() - started), "rows": summary.rows})
    return timings


def git_revision() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


async def _analyze(url: str) -> None:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("ANALYZE"))
    finally:
        await engine.dispose()


async def run_size(
    name: str, keep: bool, reuse: str | None = None, upgrade_reused: bool = True
) -> dict[str, Any]:
    admin = f"{PG_SERVER}/postgres"
    db = reuse or f"wangge_city_{name}_{uuid.uuid4().hex[:6]}"
    result: dict[str, Any] = {"size": name, "database": db}
    if reuse:
        url = f"{PG_SERVER}/{reuse}"
        # the schema of this revision (its indexes) and fresh statistics
        if upgrade_reused:
            await asyncio.to_thread(upgrade, url)
        await _analyze(url)
    else:
        url = await create_pg_database(admin, db)
        await asyncio.to_thread(upgrade, url)
        result["built"] = await build(url, SIZES[name])
        print(f"{name}: built {result['built']}", flush=True)
    try:
        result.update(await bench_pages(url))
    finally:
        if not keep and not reuse:
            await drop_pg_database(admin, db)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.city", description=__doc__)
    parser.add_argument("--sizes", default="13k,100k,1m")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument("--reuse", default=None, help="bench an existing database (one size)")
    parser.add_argument("--label", default="", help="a tag in the output file name")
    parser.add_argument(
        "--no-upgrade", action="store_true", help="bench a reused database as it is"
    )
    args = parser.parse_args(argv)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    started = datetime.now(UTC)
    results = []
    for name in args.sizes.split(","):
        result = asyncio.run(run_size(name, args.keep, args.reuse, not args.no_upgrade))
        print(json.dumps({k: v for k, v in result.items() if k != "snapshot"}, default=str))
        snap = result["snapshot"]
        print(f"{name}: snapshot pages max {snap['max_ms']} ms, median {snap['median_ms']} ms")
        results.append(result)
    figures = {"started": started.isoformat(), "revision": git_revision(), "sizes": results}
    RESULTS.mkdir(exist_ok=True)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    tag = f"-{args.label}" if args.label else ""
    body = json.dumps(figures, ensure_ascii=False, indent=2, default=str)
    (RESULTS / f"city{tag}-{stamp}.json").write_text(body, encoding="utf-8")
    (RESULTS / "city-latest.json").write_text(body, encoding="utf-8")
    print(f"written: bench/results/city{tag}-{stamp}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
