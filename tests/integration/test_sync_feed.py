"""The pull: snapshot and feed paging (nothing missed, nothing twice), changes while a
snapshot is paged, tombstone purge and the horizon reset, cursors."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.db import transaction, utcnow
from server.people.models import Household, Person
from server.registry import REGISTRY
from server.sync.maintenance import purge_tombstones, purge_tombstones_cli
from server.sync.models import SyncState
from server.visits.models import Visit
from tests.factories import make_household, make_person, make_visit
from tests.integration.sync_helpers import Dev, World, make_world

LEDGER = (("households", Household), ("persons", Person), ("visits", Visit))


async def grid_rows(w: World, households: int) -> None:
    async with transaction(w.db) as s:
        for _ in range(households):
            h = await make_household(s, w.areas["grid"])
            await make_person(s, h)
            await make_visit(s, h)


async def server_state(w: World) -> dict[str, dict[str, int]]:
    """Live ledger rows of grid A: id -> rev."""
    state: dict[str, dict[str, int]] = {}
    async with w.db() as s:
        for col, model in LEDGER:
            rows = await s.execute(
                select(model.id, model.rev).where(
                    model.deleted.is_(False), model.area_id == w.areas["grid"].id
                )
            )
            state[col] = {str(i): rev for i, rev in rows}
    return state


def device_state(dev: Dev) -> dict[str, dict[str, int]]:
    return {col: {i: r["rev"] for i, r in dev.rows.get(col, {}).items()} for col, _m in LEDGER}


def delivered(answers: list[dict[str, Any]]) -> Counter[tuple[str, str]]:
    seen: Counter[tuple[str, str]] = Counter()
    for answer in answers:
        for col, page in answer.get("changes", {}).items():
            seen.update((col, str(row[0])) for row in page["rows"])
        for col, ids in answer.get("removed", {}).items():
            seen.update((col, str(i)) for i in ids)
    return seen


async def test_paged_snapshot_and_feed_deliver_everything_once(db: Any, client: Any) -> None:
    w = await make_world(db)
    await grid_rows(w, 8)  # 24 ledger rows + reference rows
    dev = w.dev(client, "worker")
    answers = await dev.pull_all(limit=5)
    assert len(answers) >= 6
    assert all(a["more"] for a in answers[:-1])
    assert not answers[-1].get("more")
    assert all(sum(len(p["rows"]) for p in a.get("changes", {}).values()) <= 5 for a in answers)
    remaining = [a["remaining"] for a in answers if "remaining" in a]
    assert remaining == sorted(remaining, reverse=True)
    assert remaining[0] > 20
    assert max(delivered(answers).values()) == 1
    assert device_state(dev) == await server_state(w)
    assert answers[-1]["cursor"].startswith("F1.")

    # feed: edits, inserts and deletes by another device, paged by 3
    other = w.dev(client, "worker_b")
    await other.pull_all()
    hids = list(other.rows["households"])
    edits = [
        other.put("households", h, base=other.rows["households"][h]["rev"], notes="n")
        for h in hids[:5]
    ]
    new = [
        other.put("households", area_id=w.areas["grid"].id, head_name=f"新{i}") for i in range(4)
    ]
    pid = next(iter(other.rows["persons"]))
    gone = [other.delete("persons", pid)]
    await other.sync(edits + new + gone)
    answers = await dev.pull_all(limit=3)
    assert max(delivered(answers).values()) == 1
    assert sum(delivered(answers).values()) == 10
    assert all(a["more"] for a in answers[:-1])
    assert device_state(dev) == await server_state(w)
    assert pid not in dev.rows["persons"]
    nothing = await dev.sync()
    assert set(nothing) <= {"protocol", "server_time", "cursor", "clock_offset"}
    assert nothing["cursor"] == dev.cursor


async def test_changes_while_a_snapshot_is_paged_arrive_after_it(db: Any, client: Any) -> None:
    w = await make_world(db)
    await grid_rows(w, 6)
    dev, other = w.dev(client, "worker"), w.dev(client, "worker_b")
    await other.pull_all()
    first = await dev.sync(limit=4, first=["households"])
    assert next(iter(first["changes"])) == "households"  # asked first, sent first
    assert first["more"]
    sent = {row[0] for row in first["changes"]["households"]["rows"]}
    unsent = [h for h in other.rows["households"] if h not in sent]
    hid_sent, hid_unsent = sorted(sent)[0], unsent[0]
    persons = list(other.rows["persons"])
    await other.sync(
        [
            other.put(
                "households",
                hid_sent,
                base=other.rows["households"][hid_sent]["rev"],
                notes="changed after it was sent",
            ),
            other.put(
                "households",
                hid_unsent,
                base=other.rows["households"][hid_unsent]["rev"],
                notes="changed early",
            ),
            other.delete("persons", persons[0]),
            other.put("households", area_id=w.areas["grid"].id, head_name="新户"),
        ]
    )
    await dev.pull_all(limit=4)
    assert device_state(dev) == await server_state(w)
    assert dev.rows["households"][hid_sent]["notes"] == "changed after it was sent"
    assert persons[0] not in dev.rows["persons"]


async def a_person_deleted_after_both_pulled(
    db: Any, client: Any, households: int
) -> tuple[World, Dev, Dev, str]:
    """Two workers of the grid hold all of it; then the second deletes a person (the
    first has not pulled that delete yet). Returns the world, both devices, its id."""
    w = await make_world(db)
    await grid_rows(w, households)
    dev, other = w.dev(client, "worker"), w.dev(client, "worker_b")
    await dev.pull_all()
    await other.pull_all()
    pid = next(iter(other.rows["persons"]))
    await other.sync([other.delete("persons", pid)])
    return w, dev, other, pid


async def test_purged_tombstones_reset_old_cursors_and_keep_the_outbox(
    db: Any, client: Any
) -> None:
    w, dev, other, pid = await a_person_deleted_after_both_pulled(db, client, 3)
    async with transaction(db) as s:
        counts = await purge_tombstones(s, utcnow() + timedelta(days=1), REGISTRY)
        horizon = (await s.execute(select(SyncState.horizon_rev))).scalar_one()
    assert counts["persons"] == 1
    assert horizon > 0
    async with db() as s:
        assert await s.get(Person, uuid.UUID(pid)) is None

    # dev never heard of the delete: its cursor is below the horizon
    hid = next(iter(dev.rows["households"]))
    pending = dev.put("households", hid, base=dev.rows["households"][hid]["rev"], notes="离线")
    answer = await dev.sync([pending])
    assert answer["reset"] == "horizon"
    assert answer["results"][0]["status"] == "applied"  # the outbox entry was not lost
    await dev.pull_all()
    assert pid not in dev.rows["persons"]
    assert dev.rows["households"][hid]["notes"] == "离线"
    assert device_state(dev) == await server_state(w)
    # other pulled after the delete: a cursor at the horizon is fine
    assert not (await other.sync()).get("reset")


async def test_a_purge_between_the_pulls_statements_never_hides_a_delete(
    db: Any, client: Any, monkeypatch: Any
) -> None:
    """A pull that only reads holds no lock: a purge can commit after the statement that
    picks the due revs and before the rows are read, and take a tombstone the page
    picked. On PostgreSQL (a snapshot per statement) the row is then simply not there;
    the device must be told to reset, never move its cursor past a delete it did not get
    (it would keep the record for ever: its cursor is then above the new horizon). On
    SQLite the pull's transaction keeps its snapshot and gets the tombstone."""
    w, dev, _other, pid = await a_person_deleted_after_both_pulled(db, client, 2)

    real = AsyncSession.execute
    purged: list[dict[str, int]] = []

    async def execute(self: AsyncSession, statement: Any, *args: Any, **kwargs: Any) -> Any:
        result = await real(self, statement, *args, **kwargs)
        text = str(statement)
        if not purged and "UNION ALL" in text and "sync_removals" in text:
            # the due revs are picked (the tombstone among them): a purge commits now, on
            # the server's own engine (its event loop)
            async with transaction(async_sessionmaker(self.bind)) as other_session:
                purged.append(
                    await purge_tombstones(other_session, utcnow() + timedelta(days=1), REGISTRY)
                )
        return result

    monkeypatch.setattr(AsyncSession, "execute", execute)
    answer = await dev.sync()
    monkeypatch.setattr(AsyncSession, "execute", real)
    assert purged, "the pull never ran its due-revs statement"
    assert purged[0]["persons"] == 1
    assert answer.get("reset") == "horizon" or pid in answer.get("removed", {}).get("persons", [])
    await dev.pull_all()
    assert pid not in dev.rows.get("persons", {})
    assert device_state(dev) == await server_state(w)


async def test_purge_keeps_referenced_tombstones_and_the_cli_reports(
    db: Any, client: Any, settings: Any
) -> None:
    w = await make_world(db)
    await grid_rows(w, 1)
    dev = w.dev(client, "worker")
    await dev.pull_all()
    hid = next(iter(dev.rows["households"]))
    pid = next(iter(dev.rows["persons"]))
    await dev.sync([dev.delete("persons", pid), dev.delete("households", hid)])
    async with transaction(db) as s:
        await s.execute(update(Person).values(updated_at=utcnow() - timedelta(days=400)))
        await s.execute(update(Household).values(updated_at=utcnow() - timedelta(days=400)))
    message = await purge_tombstones_cli(settings, REGISTRY)
    assert "purged 1 tombstones" in message  # the person; the household has a visit
    async with db() as s:
        assert await s.get(Household, uuid.UUID(hid)) is not None


async def test_cursors_that_cannot_be_served(db: Any, client: Any) -> None:
    w = await make_world(db)
    dev = w.dev(client, "worker")
    await dev.sync()
    for bad in ("garbage", "F1.1.x", "S1.1.5.z.0.", "S1.1.5.4.0.not-a-uuid-zz"):
        response = await dev.post(dev.body(cursor=bad))
        assert response.status_code == 400, bad
        assert response.json()["error"]["code"] == "cursor_invalid"
    future = await dev.sync(cursor="F1.1.999999")  # a cursor beyond anything the server has
    assert future["reset"] == "horizon"
    other_scope = await dev.sync(cursor="F1.7.0")
    assert other_scope["reset"] == "scope"
    push_only = await dev.sync(cursor="F1.1.0", pull=False)
    assert push_only["cursor"] == "F1.1.0"
    assert "changes" not in push_only
