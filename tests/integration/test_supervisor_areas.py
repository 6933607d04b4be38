"""The supervisor's drill-down on the demo county: every figure checked against SQL the
test writes itself, and the page's statements counted (no query per child area)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.config import Settings
from server.errors import BadInput
from server.seed import DEMO_PASSWORD, Scale, seed_demo
from server.web import areas as areas_page
from server.web import lists as lists_page
from server.web.areas import day_bounds, pick_day
from tests.factories import sign_in
from tests.integration.statements import counting_statements

pytestmark = pytest.mark.slow

Client = AsyncTestClient[Litestar]
DB = async_sessionmaker[AsyncSession]
TODAY = date(2026, 1, 20)
NOW = datetime(2026, 1, 20, 9, 0, tzinfo=UTC)  # 17:00 local: the day's work is in
SMALL = Scale(towns=2, villages_per_town=2, households_per_village=30)
SUPERVISOR = "13800000004"


def figures(html: str) -> dict[int, dict[str, str]]:
    """``{area id: {figure: shown text}}`` of the children table."""
    rows: dict[int, dict[str, str]] = {}
    for area_id, body in re.findall(r'<tr data-area="(\d+)">(.*?)</tr>', html, re.S):
        cells = re.findall(r'data-fig="([\w-]+)"[^>]*>(.*?)</td>', body, re.S)
        rows[int(area_id)] = {k: " ".join(re.sub(r"<[^>]+>", "", v).split()) for k, v in cells}
    return rows


@pytest.fixture
async def demo(settings: Settings, db: DB, monkeypatch: pytest.MonkeyPatch) -> None:
    await seed_demo(settings, seed=3, today=TODAY, scale=SMALL)
    for page in (areas_page, lists_page):
        monkeypatch.setattr(page, "utcnow", lambda: NOW)


async def scalar(db: DB, sql: str, **params: Any) -> Any:
    async with db() as s:
        return (await s.execute(text(sql), params)).scalar_one()


async def county(db: DB) -> tuple[int, str]:
    async with db() as s:
        row = (await s.execute(text("SELECT id, path FROM areas WHERE level = 'county'"))).one()
    return int(row[0]), str(row[1])


async def children(db: DB, parent: int) -> list[tuple[int, str]]:
    async with db() as s:
        rows = await s.execute(
            text("SELECT id, path FROM areas WHERE parent_id = :p ORDER BY code"), {"p": parent}
        )
    return [(int(i), str(p)) for i, p in rows.all()]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, TODAY), ("", TODAY), ("2026-01-20", TODAY), ("2025-12-22", date(2025, 12, 22))],
)
def test_pick_day_takes_the_last_30_days(raw: str | None, expected: date) -> None:
    assert pick_day(raw, TODAY) == expected


@pytest.mark.parametrize("raw", ["2025-12-21", "2026-01-21", "20-1-2026", "x"])
def test_pick_day_refuses_other_days(raw: str) -> None:
    with pytest.raises(BadInput):
        pick_day(raw, TODAY)


async def test_county_rows_match_independent_sql(
    client: Client, db: DB, settings: Settings, demo: None
) -> None:
    county_id, _path = await county(db)
    await sign_in(client, SUPERVISOR, DEMO_PASSWORD)
    for day in (TODAY, TODAY - timedelta(days=3)):
        page = await client.get(f"/areas/{county_id}?day={day.isoformat()}")
        assert page.status_code == 200, page.text
        shown = figures(page.text)
        towns = await children(db, county_id)
        assert set(shown) == {tid for tid, _ in towns}
        start, end = day_bounds(day, settings.timezone)
        until = min(end, NOW)
        for town_id, path in towns:
            like = path + "%"
            grids = await scalar(
                db, "SELECT count(*) FROM areas WHERE level = 'grid' AND path LIKE :p", p=like
            )
            reported = await scalar(
                db,
                "SELECT count(*) FROM daily_reports r JOIN areas a ON a.id = r.area_id "
                "WHERE a.path LIKE :p AND a.level = 'grid' AND r.report_date = :d "
                "AND r.deleted = :f AND r.is_zero = :f",
                p=like,
                d=day,
                f=False,
            )
            zero = await scalar(
                db,
                "SELECT count(*) FROM daily_reports r JOIN areas a ON a.id = r.area_id "
                "WHERE a.path LIKE :p AND a.level = 'grid' AND r.report_date = :d "
                "AND r.deleted = :f AND r.is_zero = :t",
                p=like,
                d=day,
                f=False,
                t=True,
            )
            measures = await scalar(
                db,
                "SELECT count(*) FROM measures m JOIN areas a ON a.id = m.area_id "
                "WHERE a.path LIKE :p AND m.deleted = :f AND m.status <> 'cancelled' "
                "AND m.start_date <= :d AND (m.end_date IS NULL OR m.end_date > :d)",
                p=like,
                d=day,
                f=False,
            )
            arrivals = await scalar(
                db,
                "SELECT count(*) FROM persons x JOIN areas a ON a.id = x.area_id "
                "WHERE a.path LIKE :p AND x.deleted = :f "
                "AND x.category IN ('returnee_abroad', 'returnee_mid_high') "
                "AND x.created_at >= :since AND x.created_at < :until",
                p=like,
                f=False,
                since=until - timedelta(days=3),
                until=until,
            )
            fever = await scalar(
                db,
                "SELECT count(*) FROM fever_reports x JOIN areas a ON a.id = x.area_id "
                "WHERE a.path LIKE :p AND x.deleted = :f "
                "AND x.seen_at >= :s AND x.seen_at < :e",
                p=like,
                f=False,
                s=start,
                e=end,
            )
            row = shown[town_id]
            assert int(row["reported"]) == reported, (day, town_id)
            assert int(row["zero"]) == zero
            assert int(row["missing"]) == grids - reported - zero
            assert int(row["under-measure"]) == measures
            assert int(row["arrivals"]) == arrivals
            assert int(row["fever"]) == fever
        assert sum(int(r["missing"]) for r in shown.values()) > 0 or day != TODAY


async def test_coverage_per_town_matches_independent_sql(
    client: Client, db: DB, demo: None
) -> None:
    county_id, _path = await county(db)
    await sign_in(client, SUPERVISOR, DEMO_PASSWORD)
    shown = figures((await client.get(f"/areas/{county_id}")).text)
    async with db() as s:
        start = (
            await s.execute(text("SELECT starts_on FROM campaigns ORDER BY starts_on DESC"))
        ).first()
    assert start is not None
    for town_id, path in await children(db, county_id):
        total = await scalar(
            db,
            "SELECT count(*) FROM households h JOIN areas a ON a.id = h.area_id "
            "WHERE a.path LIKE :p AND h.deleted = :f",
            p=path + "%",
            f=False,
        )
        visited = await scalar(
            db,
            "SELECT count(DISTINCT v.household_id) FROM visits v "
            "JOIN households h ON h.id = v.household_id JOIN areas a ON a.id = h.area_id "
            "WHERE a.path LIKE :p AND h.deleted = :f AND v.deleted = :f "
            "AND v.outcome = 'visited' AND v.visited_at >= :s AND v.visited_at < :n",
            p=path + "%",
            f=False,
            s=start[0],
            n=NOW,
        )
        assert total > 0
        page_cell = shown[town_id]["coverage"]
        assert page_cell.split()[-1] == f"{visited}/{total}", (town_id, page_cell)


async def test_statements_per_page_are_bounded_whatever_the_number_of_children(
    client: Client, db: DB, demo: None
) -> None:
    county_id, _path = await county(db)
    town_id = (await children(db, county_id))[0][0]
    village_id = (await children(db, town_id))[0][0]
    await sign_in(client, SUPERVISOR, DEMO_PASSWORD)
    counts = {}
    for area_id in (county_id, town_id, village_id):
        with counting_statements() as seen:
            page = await client.get(f"/areas/{area_id}")
        assert page.status_code == 200
        # the four charts are drawn at every level, each from one grouped statement
        for chart in ("compliance", "fever", "census"):
            assert f'data-chart="{chart}"' in page.text
        counts[area_id] = len(seen)
        charts = [q for q in seen if "fever_reports.received_at" in q or "measures.end_date" in q]
        # the figures' measures, checks and fever statements, the fever chart, the census:
        # one each, not one per day or per child area
        assert len(charts) == 5, charts
    assert counts[county_id] <= 25, counts
    assert len(set(counts.values())) == 1, counts  # the same for 2 towns or 3 grids


async def test_drill_down_links_and_scope(client: Client, db: DB, demo: None) -> None:
    county_id, _path = await county(db)
    await sign_in(client, SUPERVISOR, DEMO_PASSWORD)
    home = await client.get("/")
    assert f'href="/areas/{county_id}"' in home.text
    page = await client.get(f"/areas/{county_id}?day=2026-01-18")
    town_id = (await children(db, county_id))[0][0]
    assert f'href="/areas/{town_id}?day=2026-01-18"' in page.text
    assert f"/lists/reports?area={town_id}&amp;day=2026-01-18&amp;status=missing" in page.text
    async with db() as s:
        city = (await s.execute(text("SELECT id FROM areas WHERE level = 'city'"))).scalar_one()
    outside = await client.get(f"/areas/{city}")
    assert outside.status_code == 404
    assert (await client.get(f"/areas/{county_id}?day=2025-01-01")).status_code == 400
    assert (await client.get("/areas/999999")).status_code == 404


async def test_grid_page_shows_the_lead_phone_whole_as_a_tel_link(
    client: Client, db: DB, demo: None
) -> None:
    async with db() as s:
        grid_id, phone = (
            await s.execute(
                text("SELECT id, lead_phone FROM areas WHERE level = 'grid' ORDER BY code")
            )
        ).first() or (0, "")
    await sign_in(client, SUPERVISOR, DEMO_PASSWORD)
    page = await client.get(f"/areas/{grid_id}")
    assert page.status_code == 200
    assert f'href="tel:{phone}"' in page.text


def chart_table(html: str, chart: str) -> dict[date, dict[str, int]]:
    """``{day: {column: number}}`` of a chart's numbers table."""
    figure = html.split(f'data-chart="{chart}"', 1)[1].split("</figure>", 1)[0]
    out: dict[date, dict[str, int]] = {}
    for day, body in re.findall(r'<tr data-day="([\d-]+)">(.*?)</tr>', figure, re.S):
        cells = re.findall(r'data-n="([\w-]+)">(\d+)</td>', body)
        out[date.fromisoformat(day)] = {k: int(v) for k, v in cells}
    return out


async def test_fever_per_day_chart_matches_independent_sql(
    client: Client, db: DB, settings: Settings, demo: None
) -> None:
    county_id, path = await county(db)
    await sign_in(client, SUPERVISOR, DEMO_PASSWORD)
    page = await client.get(f"/areas/{county_id}")
    shown = chart_table(page.text, "fever")
    assert list(shown) == [TODAY - timedelta(days=13 - i) for i in range(14)]
    assert '<svg class="chart"' in page.text.split('data-chart="fever"', 1)[1]
    seen_any = 0
    for day, row in shown.items():
        start, end = day_bounds(day, settings.timezone)
        async with db() as s:
            rows = (
                await s.execute(
                    text(
                        "SELECT x.seen_at, x.received_at FROM fever_reports x "
                        "JOIN areas a ON a.id = x.area_id WHERE a.path LIKE :p "
                        "AND x.deleted = :f AND x.seen_at >= :s AND x.seen_at < :e"
                    ),
                    {"p": path + "%", "f": False, "s": start, "e": end},
                )
            ).all()

        def aware(t: datetime | str) -> datetime:
            t = datetime.fromisoformat(t) if isinstance(t, str) else t  # SQLite's text
            return t if t.tzinfo else t.replace(tzinfo=UTC)

        received = [(aware(a), aware(b)) for a, b in rows if b is not None]
        on_time = sum(b - a <= timedelta(hours=2) for a, b in received)
        waiting = sum(1 for _a, b in rows if b is None)
        assert row == {
            "on-time": on_time,
            "late": len(rows) - on_time - waiting,
            "waiting": waiting,
        }, day
        seen_any += len(rows)
    assert seen_any > 0  # the demo county has fever reports in the window
    assert sum(r["late"] for r in shown.values()) > 0


async def test_census_chart_matches_independent_sql(client: Client, db: DB, demo: None) -> None:
    county_id, path = await county(db)
    await sign_in(client, SUPERVISOR, DEMO_PASSWORD)
    picked = TODAY - timedelta(days=2)
    page = await client.get(f"/areas/{county_id}?day={picked.isoformat()}")
    shown = chart_table(page.text, "census")
    assert list(shown) == [picked - timedelta(days=29 - i) for i in range(30)]
    kinds = ("health_monitoring", "home_quarantine", "central_quarantine", "hospital")
    for day, row in shown.items():
        async with db() as s:
            counts = dict(
                (
                    await s.execute(
                        text(
                            "SELECT m.kind, count(*) FROM measures m "
                            "JOIN areas a ON a.id = m.area_id WHERE a.path LIKE :p "
                            "AND m.deleted = :f AND m.status <> 'cancelled' "
                            "AND m.start_date <= :d AND (m.end_date IS NULL OR m.end_date > :d) "
                            "GROUP BY m.kind"
                        ),
                        {"p": path + "%", "f": False, "d": day},
                    )
                ).all()
            )
        assert {kinds[int(k)]: v for k, v in row.items() if k != "total"} == {
            k: counts.get(k, 0) for k in kinds
        }, day
        assert row["total"] == sum(counts.values())
    # the picked day's census is the figure above the charts
    figure = re.search(r'data-stat="under-measure".*?class="stat-value">\s*(\d+)', page.text, re.S)
    assert figure is not None
    assert int(figure.group(1)) == shown[picked]["total"]
    assert len({r["total"] for r in shown.values()}) > 1  # the census moves over 30 days
