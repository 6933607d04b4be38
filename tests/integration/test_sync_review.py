"""A second look at the sync engine: adversarial cases found in review, each a bug that
was fixed (docs/sync-protocol.md)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update

from server.accounts.guard import principal_for
from server.people.models import Household
from server.registry import REGISTRY
from server.sync import cursor as cursors
from server.sync.feed import Puller
from server.sync.models import Conflict
from tests.factories import make_household
from tests.integration.sync_helpers import household, make_world, person


def outcomes(answer: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(r["status"], r.get("code")) for r in answer["results"]]


async def test_mutation_id_reused_for_another_change_is_not_confirmed(db: Any, client: Any) -> None:
    """A stored outcome answers only a resend of the same change: confirming another
    record's change under a used id would drop it silently."""
    w = await make_world(db)
    dev = w.dev(client, "worker")
    await dev.sync()
    first = household(dev, w.areas["grid"])
    answer = await dev.sync([first])
    assert outcomes(answer) == [("applied", None)]
    other = household(dev, w.areas["grid"])
    other["id"] = first["id"]
    same_record = dict(first, data={**first["data"], "notes": "另一个修改"})
    answer = await dev.sync([other, same_record])
    assert outcomes(answer) == [("rejected", "invalid"), ("rejected", "invalid")]
    assert [r.get("field") for r in answer["results"]] == ["id", "id"]
    async with db() as s:
        assert await s.get(Household, uuid.UUID(other["rid"])) is None
        kept = await s.get(Household, uuid.UUID(first["rid"]))
        assert kept is not None
        assert kept.notes == ""
    again = await dev.sync([first])  # the true resend still gets its stored outcome
    assert again["results"][0]["rev"] == answer_rev(first, dev)


def answer_rev(m: dict[str, Any], dev: Any) -> int:
    return int(dev.rows["households"][m["rid"]]["rev"])


async def test_base_above_the_records_rev_is_not_trusted(db: Any, client: Any) -> None:
    """A base the server never handed out (its data was restored from a backup) must not
    make an edit look sequential and overwrite a concurrent edit without a trace."""
    w = await make_world(db)
    a, b = w.dev(client, "worker"), w.dev(client, "worker_b")
    await a.sync()
    await b.sync()
    h = household(a, w.areas["grid"], notes="a")
    p = person(a, h["rid"], measure="none")
    answer = await a.sync([h, p])
    h_rev, p_rev = (r["rev"] for r in answer["results"])
    await b.sync(
        [
            b.put("households", h["rid"], base=h_rev, notes="b"),
            b.put("persons", p["rid"], base=p_rev, measure="home_quarantine"),
        ]
    )
    answer = await a.sync(
        [
            a.put("households", h["rid"], base=h_rev + 1000, notes="a2"),
            a.put("persons", p["rid"], base=p_rev + 1000, measure="central_quarantine"),
        ]
    )
    assert [r["status"] for r in answer["results"]] == ["merged", "conflict"]
    assert answer["results"][1]["held"] == ["measure"]
    async with db() as s:
        rows = (await s.execute(select(Conflict.field, Conflict.status))).all()
    assert sorted(rows) == [("measure", "pending"), ("notes", "auto_resolved")]


async def test_dates_beyond_the_calendar_are_rejected_per_mutation(db: Any, client: Any) -> None:
    """An aware time in year 1 (or 9999) cannot be put on UTC: it failed the whole batch
    (409 on every retry, the outbox stuck) instead of being rejected on its own."""
    w = await make_world(db)
    dev = w.dev(client, "worker")
    await dev.sync()
    h = household(dev, w.areas["grid"])
    await dev.sync([h])
    batch = [
        dev.put("visits", household_id=h["rid"], visited_at="0001-01-01T00:00:00+01:00"),
        dev.put("visits", household_id=h["rid"], visited_at="9999-12-31T23:59:59-01:00"),
        person(dev, h["rid"], arrival_date="9999-12-31"),
        person(dev, h["rid"], birth_year=1950, arrival_date="0001-01-01"),
        dev.put("visits", household_id=h["rid"], visited_at="2026-11-29T03:04:05Z"),
    ]
    answer = await dev.sync(batch)
    assert outcomes(answer) == [("rejected", "invalid")] * 4 + [("applied", None)]
    fields = [r.get("field") for r in answer["results"][:4]]
    assert fields == ["visited_at", "visited_at", "arrival_date", "arrival_date"]


async def test_snapshot_cursor_with_an_impossible_position_is_invalid(db: Any, client: Any) -> None:
    """A reference id beyond a 32-bit column reached the database: 500 on SQLite, a
    misleading 409 write_conflict on PostgreSQL."""
    w = await make_world(db)
    dev = w.dev(client, "worker")
    for after in ("99999999999", "9999999999999999999999", "1-2"):
        dev.cursor = f"S1.{w.users['worker'].scope_version}.0.0.0.{after}"
        response = await dev.post(dev.body())
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == "cursor_invalid"


async def test_feed_page_never_jumps_past_rows_it_did_not_read(db: Any) -> None:
    """A pull without mutations holds no lock: a row picked for the page can take a new
    rev before its row is read. The short page must not move the cursor to ``hi`` and
    skip the due rows after the page."""
    w = await make_world(db)
    async with db() as s:
        made = [await make_household(s, w.areas["grid"]) for _ in range(3)]
        await s.commit()
        revs = [h.rev for h in made]
        ids = [h.id for h in made]
    assert revs == sorted(revs)
    hi = revs[-1]
    async with db() as s:
        principal = await principal_for(s, w.users["worker"])
        puller = Puller(s, principal, REGISTRY)
        real = s.execute
        calls = 0

        async def execute(stmt: Any, *args: Any, **kwargs: Any) -> Any:
            nonlocal calls
            result = await real(stmt, *args, **kwargs)
            calls += 1
            if calls == 1:  # after the revs are picked, a writer re-stamps the first row
                await real(update(Household).where(Household.id == ids[0]).values(rev=hi + 1))
            return result

        s.execute = execute  # type: ignore[method-assign]
        page = await puller.feed(revs[0] - 1, 2, principal.scope_version)
    sent = {row[0] for p in page.changes.values() for row in p.rows}
    upto = cursors.rev_of(cursors.decode(page.cursor))
    assert ids[2] in sent or upto < revs[2], (page, revs)
    assert page.more


async def test_a_device_cannot_pose_as_the_servers_clock(db: Any, client: Any) -> None:
    """Writes stamped with the server's node count as sequential with a reviewer's decision:
    a device using that node could overwrite a decided critical field without review."""
    w = await make_world(db)
    dev = w.dev(client, "worker")
    await dev.sync()
    h = household(dev, w.areas["grid"])
    h["hlc"] = h["hlc"].rsplit(":", 1)[0] + ":00000000"
    answer = await dev.sync([h])
    assert outcomes(answer) == [("rejected", "invalid")]
    assert answer["results"][0]["field"] == "hlc"
    async with db() as s:
        assert await s.get(Household, uuid.UUID(h["rid"])) is None


async def test_a_daily_report_is_corrected_not_deleted(db: Any, client: Any) -> None:
    """Its id is fixed by grid and day: a tombstone would refuse that day's report forever."""
    from datetime import date

    from server.reports.rules import daily_report_id

    w = await make_world(db)
    dev = w.dev(client, "worker")
    await dev.sync()
    grid = w.areas["grid"]
    day = date(2026, 11, 29)
    rid = str(daily_report_id(grid.id, day))
    filed = dev.put(
        "daily_reports", rid, area_id=grid.id, report_date=day.isoformat(), is_zero=True
    )
    assert outcomes(await dev.sync([filed])) == [("applied", None)]
    removal = dict(dev.put("daily_reports", rid), op="del", data={})
    assert outcomes(await dev.sync([removal])) == [("rejected", "undeletable")]
