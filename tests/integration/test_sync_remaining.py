"""`remaining` on snapshot pages: counted once on the first page and carried in the cursor
(server/sync/feed.py), so it is exact at the first page, exact on every page of an
undisturbed snapshot, never negative, and gone (zero) once nothing more is to come."""

from __future__ import annotations

from typing import Any

from server.sync import cursor as cursors
from tests.integration.sync_helpers import make_world
from tests.integration.test_sync_feed import grid_rows


def rows_in(answer: dict[str, Any]) -> int:
    return sum(len(page["rows"]) for page in answer.get("changes", {}).values())


async def test_remaining_is_exact_on_an_undisturbed_snapshot(db: Any, client: Any) -> None:
    w = await make_world(db)
    await grid_rows(w, 6)
    dev = w.dev(client, "worker")
    answers = await dev.pull_all(limit=4)
    total = sum(rows_in(a) for a in answers)
    assert total > 20
    sent = 0
    for answer in answers[:-1]:
        sent += rows_in(answer)
        assert answer["more"]
        assert answer["remaining"] == total - sent
    assert answers[0]["remaining"] == total - rows_in(answers[0])  # exact at the first page
    assert answers[-1].get("remaining", 0) == 0
    assert not answers[-1].get("more")
    # the count travels in the cursor: later pages do not count again
    carried = cursors.decode(answers[0]["cursor"])
    assert isinstance(carried, cursors.SnapshotCursor)
    assert carried.left == answers[0]["remaining"]


async def test_remaining_never_goes_negative_when_rows_go_away(db: Any, client: Any) -> None:
    w = await make_world(db)
    await grid_rows(w, 6)
    other = w.dev(client, "worker_b")
    await other.pull_all()
    dev = w.dev(client, "worker")
    answers = [await dev.sync(limit=3, first=["areas"])]
    # households and persons not sent yet are deleted: the snapshot sends fewer rows than
    # it counted, so the estimate runs high, never below zero
    gone = [other.delete("persons", pid) for pid in list(other.rows["persons"])]
    gone += [other.delete("households", hid) for hid in list(other.rows["households"])]
    await other.sync(gone)
    answers += await dev.pull_all(limit=3)
    assert all(a["remaining"] >= 0 for a in answers if "remaining" in a)
    assert answers[-1].get("remaining", 0) == 0
    assert not answers[-1].get("more")
    assert not dev.rows.get("persons")


async def test_a_cursor_without_the_count_is_counted_once(db: Any, client: Any) -> None:
    w = await make_world(db)
    await grid_rows(w, 4)
    dev = w.dev(client, "worker")
    first = await dev.sync(limit=3)
    placed = cursors.decode(first["cursor"])
    assert isinstance(placed, cursors.SnapshotCursor)
    # as a server before this change wrote it: six fields, no count
    old = cursors.SnapshotCursor(placed.scope, placed.hi, placed.order, placed.pos, placed.after)
    assert cursors.encode(old).count(".") == 5
    dev.cursor = cursors.encode(old)
    second = await dev.sync(limit=3)
    assert second["remaining"] == first["remaining"] - rows_in(second)
    carried = cursors.decode(second["cursor"])
    assert isinstance(carried, cursors.SnapshotCursor)
    assert carried.left == second["remaining"]
