"""The supervisor's line lists on the demo county: totals checked against SQL the test
writes itself, masking in lists, the whole record on a person's page (audited), the htmx
fragment, and input checks."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.config import Settings
from server.seed import DEMO_PASSWORD
from server.web.areas import day_bounds
from tests.factories import sign_in
from tests.integration.test_supervisor_areas import (
    NOW,
    SUPERVISOR,
    TODAY,
    county,
    scalar,
)
from tests.integration.test_supervisor_areas import demo as demo_fixture  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("demo_fixture")]

Client = AsyncTestClient[Litestar]
DB = async_sessionmaker[AsyncSession]
ID_NUMBER = re.compile(r"\b\d{17}[\dX]\b")


def total(html: str) -> int:
    match = re.search(r'data-stat="list-total">\D*(\d+)', html)
    assert match is not None, html[:2000]
    return int(match.group(1))


async def get_list(client: Client, query: str, **headers: Any) -> str:
    page = await client.get(f"/lists/{query}", headers=headers)
    assert page.status_code == 200, page.text
    return page.text


async def test_daily_report_lists_match_sql_and_show_lead_phones_whole(
    client: Client, db: DB
) -> None:
    county_id, path = await county(db)
    await sign_in(client, SUPERVISOR, DEMO_PASSWORD)
    day = TODAY - timedelta(days=1)
    grids = await scalar(
        db, "SELECT count(*) FROM areas WHERE level = 'grid' AND path LIKE :p", p=path + "%"
    )
    with_report = await scalar(
        db,
        "SELECT count(*) FROM daily_reports r JOIN areas a ON a.id = r.area_id "
        "WHERE a.path LIKE :p AND a.level = 'grid' AND r.report_date = :d AND r.deleted = :f",
        p=path + "%",
        d=day,
        f=False,
    )
    html = await get_list(client, f"reports?area={county_id}&day={day}&status=missing")
    assert total(html) == grids - with_report
    everything = await get_list(client, f"reports?area={county_id}&day={day}")
    assert total(everything) == grids
    async with db() as s:
        phone = (
            await s.execute(
                text("SELECT lead_phone FROM areas WHERE level = 'grid' ORDER BY code LIMIT 1")
            )
        ).scalar_one()
    assert f'href="tel:{phone}"' in everything


async def test_arrivals_flag_every_high_risk_returnee_without_central_quarantine(
    client: Client, db: DB
) -> None:
    county_id, path = await county(db)
    await sign_in(client, SUPERVISOR, DEMO_PASSWORD)
    high = "('returnee_abroad', 'returnee_mid_high')"
    all_high = await scalar(
        db,
        "SELECT count(*) FROM persons x JOIN areas a ON a.id = x.area_id WHERE a.path LIKE :p "
        f"AND x.deleted = :f AND x.category IN {high} AND x.created_at < :n",
        p=path + "%",
        f=False,
        n=NOW,
    )
    unmet = await scalar(
        db,
        "SELECT count(*) FROM persons x JOIN areas a ON a.id = x.area_id WHERE a.path LIKE :p "
        f"AND x.deleted = :f AND x.category IN {high} AND x.created_at < :n "
        "AND x.measure NOT IN ('central_quarantine', 'hospital')",
        p=path + "%",
        f=False,
        n=NOW,
    )
    html = await get_list(client, f"arrivals?area={county_id}")
    assert total(html) == all_high
    flagged = await get_list(client, f"arrivals?area={county_id}&unmet=1")
    assert total(flagged) == unmet
    assert flagged.count('data-unmet="1"') == min(unmet, 50)
    assert not ID_NUMBER.search(html), "ID numbers must be masked in lists"


async def test_measure_unvisited_and_fever_lists_match_sql(
    client: Client, db: DB, settings: Settings
) -> None:
    county_id, path = await county(db)
    await sign_in(client, SUPERVISOR, DEMO_PASSWORD)
    like = path + "%"
    running = await scalar(
        db,
        "SELECT count(*) FROM measures m JOIN areas a ON a.id = m.area_id WHERE a.path LIKE :p "
        "AND m.deleted = :f AND m.status = 'active' "
        "AND m.kind IN ('central_quarantine', 'home_quarantine', 'health_monitoring') "
        "AND m.start_date <= :d AND (m.end_date IS NULL OR m.end_date > :d)",
        p=like,
        f=False,
        d=TODAY,
    )
    html = await get_list(client, f"measures?area={county_id}")
    assert total(html) == running
    assert "第" in html  # 第 N 天 / 共 M 天
    households = await scalar(
        db,
        "SELECT count(*) FROM households h JOIN areas a ON a.id = h.area_id "
        "WHERE a.path LIKE :p AND h.deleted = :f",
        p=like,
        f=False,
    )
    async with db() as s:
        starts = (
            await s.execute(text("SELECT starts_on FROM campaigns ORDER BY starts_on DESC"))
        ).scalar_one()
    visited = await scalar(
        db,
        "SELECT count(DISTINCT v.household_id) FROM visits v "
        "JOIN households h ON h.id = v.household_id JOIN areas a ON a.id = h.area_id "
        "WHERE a.path LIKE :p AND h.deleted = :f AND v.deleted = :f "
        "AND v.outcome = 'visited' AND v.visited_at >= :s AND v.visited_at < :n",
        p=like,
        f=False,
        s=starts,
        n=NOW,
    )
    assert total(await get_list(client, f"unvisited?area={county_id}")) == households - visited
    day = TODAY - timedelta(days=2)
    start, end = day_bounds(day, settings.timezone)
    fever = await scalar(
        db,
        "SELECT count(*) FROM fever_reports x JOIN areas a ON a.id = x.area_id "
        "WHERE a.path LIKE :p AND x.deleted = :f AND x.seen_at >= :s AND x.seen_at < :e",
        p=like,
        f=False,
        s=start,
        e=end,
    )
    assert total(await get_list(client, f"fever?area={county_id}&day={day}")) == fever


async def test_sorting_paging_and_the_htmx_fragment(client: Client, db: DB) -> None:
    county_id, _path = await county(db)
    await sign_in(client, SUPERVISOR, DEMO_PASSWORD)
    whole = await get_list(client, f"unvisited?area={county_id}&sort=head")
    assert "<html" in whole
    assert 'id="list"' in whole
    fragment = await get_list(
        client, f"unvisited?area={county_id}&sort=head&page=2", **{"HX-Request": "true"}
    )
    assert "<html" not in fragment
    assert fragment.lstrip().startswith(("{#", "<section"))
    assert "page=3" in fragment or "page=1" in fragment


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("nothing?area={c}", 404),
        ("reports?area={c}&sort=phone", 400),
        ("reports?area={c}&page=0", 400),
        ("reports?area={c}&page=x", 400),
        ("reports?area={c}&status=lost", 400),
        ("reports", 400),
        ("reports?area={c}&day=2020-01-01", 400),
        ("reports?area=999999", 404),
    ],
)
async def test_bad_list_queries_answer_4xx(client: Client, db: DB, query: str, status: int) -> None:
    county_id, _path = await county(db)
    await sign_in(client, SUPERVISOR, DEMO_PASSWORD)
    response = await client.get("/lists/" + query.format(c=county_id))
    assert response.status_code == status, response.text


async def test_person_page_shows_whole_values_and_audits_the_read(client: Client, db: DB) -> None:
    _county_id, path = await county(db)
    async with db() as s:
        pid, id_number, phone = (
            await s.execute(
                text(
                    "SELECT x.id, x.id_number, x.phone FROM persons x "
                    "JOIN areas a ON a.id = x.area_id WHERE a.path LIKE :p "
                    "AND x.id_number IS NOT NULL AND x.phone IS NOT NULL LIMIT 1"
                ),
                {"p": path + "%"},
            )
        ).one()
    await sign_in(client, SUPERVISOR, DEMO_PASSWORD)
    before = await scalar(
        db, "SELECT count(*) FROM audit_log WHERE action = 'read' AND entity = 'persons'"
    )
    page = await client.get(f"/persons/{pid}")
    assert page.status_code == 200, page.text
    assert id_number in page.text
    assert f'href="tel:{phone}"' in page.text
    after = await scalar(
        db, "SELECT count(*) FROM audit_log WHERE action = 'read' AND entity = 'persons'"
    )
    assert after == before + 1
    assert (await client.get("/persons/not-a-uuid")).status_code == 404
