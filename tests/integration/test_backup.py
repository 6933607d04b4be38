"""``python -m server backup`` / ``restore`` on SQLite and PostgreSQL.

* A round trip gives back every table row by row as it was at the backup.
* End to end with a real server and the Python client: after a restore, a device whose
  cursor is beyond the restored data gets ``reset: "horizon"``, keeps its outbox (those
  edits reach the server), and re-pulls the restored data. What it had already had
  acknowledged after the backup is gone from the server and, after the re-pull, from the
  device too; re-sending the acknowledged mutations it kept brings them back (the server
  answers the ones it still has from sync_mutations and applies the others).
"""

from __future__ import annotations

import asyncio
import copy
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select, text

from server.app import create_app
from server.backup import BackupError, backup, restore
from server.config import Settings
from server.db import make_engine, make_sessionmaker, transaction
from server.models import Base
from server.sync.models import SyncState
from tests.conftest import DATABASES, PG_SERVER_URL
from tests.factories import DEFAULT_PASSWORD, make_area_tree, make_user
from tests.integration.live_server import ROOT, LiveServer, migrated_database
from tests.integration.sync_helpers import household, make_world, person
from wangge_client import SyncClient


@pytest.fixture(params=DATABASES)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with migrated_database(request.param, tmp_path, PG_SERVER_URL) as url:
        yield url


def cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WANGGE_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


async def every_row(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every table (Alembic's included), rows ordered by primary key."""
    engine = make_engine(url)
    tables: dict[str, list[tuple[Any, ...]]] = {}
    try:
        async with engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                query = select(table).order_by(*table.primary_key.columns)
                tables[table.name] = [tuple(r) for r in (await conn.execute(query)).all()]
            version = await conn.execute(text("SELECT version_num FROM alembic_version"))
            tables["alembic_version"] = [tuple(r) for r in version.all()]
    finally:
        await engine.dispose()
    return tables


async def test_a_round_trip_gives_back_every_row(database: str, tmp_path: Path) -> None:
    engine = make_engine(database)
    db = make_sessionmaker(engine)
    try:
        world = await make_world(db)
        async with AsyncTestClient(app=create_app(Settings(database_url=database))) as http:
            worker, supervisor = world.dev(http, "worker"), world.dev(http, "supervisor")
            await worker.sync()
            await supervisor.sync()
            h = household(worker, world.areas["grid"], address="一组 3 号")
            p = person(worker, h["rid"], phone="13700000000", measure="none")
            await worker.sync([h, p])
            await supervisor.sync()
            # the same critical field on two devices: a pending conflict row
            base = supervisor.rows["persons"][p["rid"]]["rev"]
            await worker.sync([worker.put("persons", p["rid"], base, measure="home_quarantine")])
            await supervisor.sync([supervisor.put("persons", p["rid"], base, measure="hospital")])
            saved = await every_row(database)
            assert saved["conflicts"]
            assert saved["sync_mutations"]
            assert saved["devices"]

            done = await asyncio.to_thread(cli, database, "backup", str(tmp_path / "wangge.bak"))
            assert done.returncode == 0, done.stderr
            # the world goes on: new records, a deletion, another device
            h2 = household(worker, world.areas["grid"])
            await worker.sync([h2, worker.put("households", h["rid"], None, notes="改")])
            await worker.sync([worker.delete("households", h2["rid"])])
            assert await every_row(database) != saved

        await engine.dispose()  # a restore is done with the server stopped
        done = await asyncio.to_thread(cli, database, "restore", str(tmp_path / "wangge.bak"))
        assert done.returncode == 0, done.stderr
        assert await every_row(database) == saved
    finally:
        await engine.dispose()


def test_a_file_that_is_not_a_backup_is_refused_and_nothing_changes(
    database: str, tmp_path: Path
) -> None:
    junk = tmp_path / "junk.bak"
    junk.write_bytes(b"not a backup" * 100)
    before = asyncio.run(every_row(database))
    with pytest.raises(BackupError):
        restore(database, junk)
    with pytest.raises(BackupError):
        restore(database, tmp_path / "missing.bak")
    assert asyncio.run(every_row(database)) == before
    done = cli(database, "restore", str(junk))
    assert done.returncode == 2, done
    assert done.stderr.startswith("error:"), done.stderr


def test_a_backup_of_the_other_kind_of_database_is_refused(database: str, tmp_path: Path) -> None:
    backup(database, tmp_path / "wangge.bak")
    other = (
        f"{PG_SERVER_URL.rpartition('/')[0]}/never_touched"
        if database.startswith("sqlite")
        else f"sqlite+aiosqlite:///{tmp_path / 'other.db'}"
    )
    with pytest.raises(BackupError):
        restore(other, tmp_path / "wangge.bak")
    assert not (tmp_path / "other.db").exists()


# --------------------------------------------------------------------------- end to end


async def _seed_worker(url: str) -> tuple[str, int]:
    engine = make_engine(url)
    try:
        async with transaction(make_sessionmaker(engine)) as s:
            if await s.get(SyncState, 1) is None:
                s.add(SyncState(id=1, last_rev=0, horizon_rev=0))
            areas = await make_area_tree(s)
            user = await make_user(s, "grid_worker", areas["grid"])
            return user.phone, areas["grid"].id
    finally:
        await engine.dispose()


def _households(client: SyncClient) -> dict[str, dict[str, Any]]:
    return client.snapshot.get("households", {})


async def test_after_a_restore_devices_reset_and_resend(database: str, tmp_path: Path) -> None:
    phone, grid = await _seed_worker(database)
    server = LiveServer(database, tmp_path / "server.log")
    await asyncio.to_thread(server.start)
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            phone_app = await SyncClient.register(http, phone, DEFAULT_PASSWORD, "手机")
            a = phone_app.put("households", None, {"area_id": grid, "head_name": "甲"})
            await phone_app.sync_all()

            backup(database, tmp_path / "wangge.bak")  # online: the server keeps running

            # acknowledged after the backup: a new household and an edit of the first
            phone_app.put("households", a, {"notes": "备份后改"})
            b = phone_app.put("households", None, {"area_id": grid, "head_name": "乙"})
            kept = copy.deepcopy(phone_app.outbox)  # what a client could keep for re-sending
            await phone_app.sync_all()
            assert not phone_app.outbox
            assert b in _households(phone_app)
            # still in the outbox when the server is restored
            c = phone_app.put("households", None, {"area_id": grid, "head_name": "丙"})

            await asyncio.to_thread(server.stop)
            restore(database, tmp_path / "wangge.bak")
            await asyncio.to_thread(server.start)

            first = await phone_app.sync()
            assert first.reset == "horizon"
            assert first.outcomes
            assert set(first.outcomes.values()) == {"applied"}
            await phone_app.sync_all()
            held = _households(phone_app)
            # the outbox reached the server; the acknowledged edits after the backup did not
            # survive the restore, on the server or (after the re-pull) on the device
            assert set(held) == {a, c}
            assert held[a]["notes"] != "备份后改"

            # Re-sending the acknowledged mutations with their ids brings them back.
            phone_app.outbox[:0] = kept
            report = await phone_app.sync_all()
            assert report.total.results["applied"] == len(kept)
            held = _households(phone_app)
            assert set(held) == {a, b, c}
            assert held[a]["notes"] == "备份后改"
            # and a second re-send is a replay: nothing applied twice
            phone_app.outbox[:0] = kept
            again = await phone_app.sync_all()
            assert again.total.results["applied"] == len(kept)
            assert set(_households(phone_app)) == {a, b, c}
    finally:
        await asyncio.to_thread(server.stop)
