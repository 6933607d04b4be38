"""The conflict review queue on a page: a conflict made by two devices is shown in plain
words, decided with the page's form, audited, and pulled by a device at its next sync."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from server.audit.models import AuditEntry
from server.sync.models import Conflict
from server.web.conflicts import hlc_time, offline_for, plain_duration, typed
from tests.factories import csrf_from, sign_in
from tests.integration.sync_helpers import household, make_world, person


async def made_conflict(db: Any, client: Any) -> tuple[Any, Any, dict[str, Any]]:
    w = await make_world(db)
    a, b = w.dev(client, "worker"), w.dev(client, "worker_b")
    await a.sync()
    await b.sync()
    h = household(a, w.areas["grid"], head_name="钱家")
    p = person(a, h["rid"], name="钱冲突", measure="none")
    answer = await a.sync([h, p])
    p_rev = answer["results"][1]["rev"]
    await b.sync([b.put("persons", p["rid"], base=p_rev, measure="home_quarantine")])
    answer = await a.sync([a.put("persons", p["rid"], base=p_rev, measure="central_quarantine")])
    assert answer["results"][0]["status"] == "conflict"
    return w, a, p


async def test_a_conflict_decided_on_the_page_reaches_the_device(db: Any, client: Any) -> None:
    w, a, p = await made_conflict(db, client)
    browser = client  # the devices sign their requests with their own tokens
    await sign_in(browser, w.users["supervisor"].phone)
    home = await browser.get("/")
    assert 'href="/conflicts"' in home.text
    page = await browser.get("/conflicts")
    assert page.status_code == 200, page.text
    assert "钱冲突" in page.text  # the record by its person's name
    assert "居家隔离" in page.text  # the current value, labelled
    assert "集中隔离" in page.text  # the proposed value
    assert w.users["worker"].name in page.text
    assert w.users["worker_b"].name in page.text
    async with db() as s:
        conflict = (await s.execute(select(Conflict))).scalar_one()
    answer = await browser.post(
        f"/conflicts/{conflict.id}/decide",
        data={"action": "accept", "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    again = await browser.get("/conflicts")
    assert "钱冲突" not in again.text
    bad = await browser.post(
        f"/conflicts/{conflict.id}/decide",
        data={"action": "explode", "csrf_token": csrf_from(page.text)},
    )
    assert bad.status_code == 400
    async with db() as s:
        decided = await s.get(Conflict, conflict.id)
        assert decided is not None
        assert decided.status == "accepted"
        audited = await s.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == "conflict_decision")
        )
    assert audited == 1
    await a.sync()
    assert a.rows["persons"][p["rid"]]["measure"] == "central_quarantine"


async def test_only_reviewers_see_the_queue(db: Any, client: Any) -> None:
    w = await make_world(db)
    await sign_in(client, w.users["worker"].phone)
    assert (await client.get("/conflicts")).status_code == 403


@pytest.mark.parametrize(
    ("minutes", "text"), [(None, "—"), (5, "5 分钟"), (120, "2 小时"), (3 * 24 * 60, "3 天")]
)
def test_plain_duration(minutes: int | None, text: str) -> None:
    span = None if minutes is None else timedelta(minutes=minutes)
    assert plain_duration(span) == text


def test_helpers() -> None:
    at = hlc_time("1700000000000:0000:abcd")
    assert at is not None
    assert at.year == 2023
    assert hlc_time("bad") is None
    assert offline_for(at, at + timedelta(hours=3)) == timedelta(hours=3)
    assert offline_for(at + timedelta(hours=1), at) == timedelta(0)
    assert typed("13800138000", str) == "13800138000"
    assert typed("37.5", float) == 37.5
    assert typed("null", int | None) is None
