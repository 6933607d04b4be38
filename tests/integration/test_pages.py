"""Server-rendered pages: the layout, the language switch, and each role's home page with
real counts that move when rows are added."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from jinja2 import StrictUndefined
from litestar import Litestar
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.accounts.guard import principal_for
from server.accounts.models import User
from server.app import TEMPLATES_DIR
from server.areas.models import Area
from server.config import DEFAULT_TIMEZONE, Settings
from server.db import transaction, utcnow
from server.quarantine.models import Policy, Test
from server.seed import Scale, seed_demo
from server.sync.models import Conflict
from server.sync.revs import RevAllocator
from server.timeutil import local_today
from server.web.homes import HOMES, home_page_context
from server.web.templating import configure_templates
from tests.factories import (
    csrf_from,
    make_area,
    make_area_tree,
    make_campaign,
    make_check,
    make_daily_report,
    make_facility,
    make_fever_report,
    make_household,
    make_measure,
    make_person,
    make_user,
    make_visit,
    sign_in,
)

Client = AsyncTestClient[Litestar]
DB = async_sessionmaker[AsyncSession]
PHONE = "13800138000"


def stat(html: str, key: str) -> str:
    """The number shown in the ``data-stat="key"`` box of a page."""
    match = re.search(
        rf'data-stat="{re.escape(key)}">\s*<span class="stat-label">.*?</span>\s*'
        r'<strong class="stat-value">(.*?)</strong>',
        html,
        re.S,
    )
    assert match is not None, f"no stat {key!r} on the page"
    return match.group(1).strip()


def today() -> object:
    return local_today(utcnow(), DEFAULT_TIMEZONE)


async def home(client: Client) -> str:
    response = await client.get("/", follow_redirects=False)
    assert response.status_code == 200, response.text
    return response.text


# --- layout, redirects, language ---------------------------------------------------------


async def test_signed_out_pages_redirect_to_login(client: Client) -> None:
    root = await client.get("/", follow_redirects=False)
    assert (root.status_code, root.headers["location"]) == (303, "/login")
    devices = await client.get("/devices", follow_redirects=False)
    assert (devices.status_code, devices.headers["location"]) == (303, "/login?next=/devices")
    api = await client.get("/api/devices")
    assert api.status_code == 401
    assert api.json()["error"]["code"] == "unauthorized"


async def test_signed_out_htmx_request_is_told_to_go_to_login(client: Client) -> None:
    response = await client.get(
        "/devices",
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver.local/devices?x=1"},
        follow_redirects=False,
    )
    assert response.status_code == 401
    assert response.headers["hx-redirect"] == "/login?next=/devices%3Fx%3D1"


async def test_layout_is_mobile_first_installable_and_chinese(client: Client) -> None:
    page = (await client.get("/login")).text
    assert '<html lang="zh-CN">' in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert '<meta name="theme-color" content="#0b6e4f">' in page
    assert "<h1>登录</h1>" in page
    assert not re.search(r'(src|href)="(https?:)?//', page)  # nothing from a CDN
    css = await client.get("/static/css/site.css")
    assert css.status_code == 200
    assert "min-height: 44px" in css.text
    head = await client.head("/static/css/site.css")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["etag"] == css.headers["etag"]
    assert head.headers["cache-control"] == css.headers["cache-control"]
    assert (await client.head("/static/css/nothing.css")).status_code == 404


async def test_language_switch_shows_english_and_back(client: Client) -> None:
    switched = await client.get("/lang/en?next=/login", follow_redirects=False)
    assert switched.status_code == 303
    assert switched.headers["location"] == "/login"
    assert "lang=en" in switched.headers["set-cookie"]
    page = (await client.get("/login")).text
    assert '<html lang="en">' in page
    assert "<h1>Sign in</h1>" in page
    assert 'href="/lang/zh_CN?next=%2Flogin"' in page
    await client.get("/lang/zh_CN?next=/login")
    assert "<h1>登录</h1>" in (await client.get("/login")).text


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example/x", "javascript:x"])
async def test_language_switch_only_goes_back_to_local_paths(client: Client, target: str) -> None:
    response = await client.get("/lang/en", params={"next": target}, follow_redirects=False)
    assert response.headers["location"] == "/"


async def test_unknown_language_and_unknown_page_answer_with_a_chinese_page(
    client: Client,
) -> None:
    lang = await client.get("/lang/xx", follow_redirects=False)
    assert lang.status_code == 404
    missing = await client.get("/no/such/page")
    assert missing.status_code == 404
    assert "此地址没有内容" in missing.text


# --- home pages: real counts -------------------------------------------------------------


async def test_grid_worker_home_counts_its_grid(client: Client, db: DB) -> None:
    now = utcnow()
    day = local_today(now, DEFAULT_TIMEZONE)
    async with transaction(db) as s:
        tree = await make_area_tree(s)
        await make_user(s, "grid_worker", tree["grid"], phone=PHONE)
        await make_campaign(s, tree["county"], now - timedelta(days=1))
        h1 = await make_household(s, tree["grid"])
        h2 = await make_household(s, tree["grid"])
        await make_household(s, tree["grid2"])  # another grid: never counted here
        await make_visit(s, h1, now - timedelta(hours=1), "visited")
        await make_visit(s, h2, now - timedelta(hours=1), "nobody_home")
        await make_visit(s, h2, now - timedelta(days=3), "visited")  # before the campaign
        p1 = await make_person(s, h1, measure="home_quarantine")
        await make_person(s, h1)
        measure = await make_measure(s, p1, "home_quarantine", day - timedelta(days=2))
    await sign_in(client, PHONE)
    page = await home(client)
    assert "安康市 &gt; 平利县 &gt; 老县镇 &gt; 蒋家坪村 &gt; 一组网格" in page
    assert stat(page, "households") == "2"
    assert stat(page, "visited") == "1"
    assert "50.0%" in page
    assert stat(page, "persons") == "2"
    assert stat(page, "measure-home_quarantine") == "1"
    assert stat(page, "checks-open") == "2"
    assert stat(page, "daily-report") == "未报告"
    assert 'href="/app"' in page

    async with transaction(db) as s:
        await make_visit(s, h2, now - timedelta(minutes=5), "visited")
        h3 = await make_household(s, tree["grid"])
        await make_person(s, h3, measure="health_monitoring")
        await make_check(s, measure, day, "morning")
        await make_daily_report(s, tree["grid"], day, is_zero=True)
    page = await home(client)
    assert stat(page, "households") == "3"
    assert stat(page, "visited") == "2"
    assert stat(page, "persons") == "3"
    assert stat(page, "measure-health_monitoring") == "1"
    assert stat(page, "checks-open") == "1"
    assert stat(page, "checks-evening") == "1"
    assert stat(page, "daily-report") == "零报告"


async def test_sentinel_home_counts_todays_reports_and_overdue(client: Client, db: DB) -> None:
    now = utcnow()
    # seen shortly before now, but never before local midnight: "today" is the local day
    midnight = datetime.combine(
        local_today(now, DEFAULT_TIMEZONE), datetime.min.time(), ZoneInfo(DEFAULT_TIMEZONE)
    )
    seen = max(now - timedelta(minutes=10), midnight.astimezone(UTC))
    async with transaction(db) as s:
        tree = await make_area_tree(s)
        clinic = await make_facility(s, tree["village"], name="蒋家坪村卫生室")
        other = await make_facility(s, tree["village"], kind="pharmacy", name="平安药店")
        await make_user(s, "sentinel", tree["village"], phone=PHONE, facility=clinic)
        await make_fever_report(s, clinic, seen)
        await make_fever_report(s, other, seen)  # not my facility
    await sign_in(client, PHONE)
    page = await home(client)
    assert "蒋家坪村卫生室" in page
    assert stat(page, "today-reported") == "1"
    assert stat(page, "overdue") == "0"
    async with transaction(db) as s:
        await make_fever_report(s, clinic, now - timedelta(hours=3), patient_phone="13512345678")
        await make_fever_report(s, clinic, seen, state="acknowledged")
    page = await home(client)
    assert stat(page, "overdue") == "1"
    assert stat(page, "today-acknowledged") == "1"
    assert "135****5678" in page
    assert "13512345678" not in page


async def test_township_home_counts_fever_follow_up(client: Client, db: DB) -> None:
    now = utcnow()
    async with transaction(db) as s:
        tree = await make_area_tree(s)
        centre = await make_facility(s, tree["town"], "township_health_centre", "老县镇卫生院")
        clinic = await make_facility(s, tree["village"])
        await make_user(s, "township_health", tree["town"], phone=PHONE, facility=centre)
        seen = now - timedelta(hours=5)
        await make_fever_report(s, clinic, seen, received_at=seen + timedelta(hours=3))
        await make_fever_report(s, clinic, now - timedelta(minutes=30), state="sampled")
    await sign_in(client, PHONE)
    page = await home(client)
    assert "老县镇卫生院" in page
    assert stat(page, "town-reported") == "1"
    assert stat(page, "town-sampled") == "1"
    assert stat(page, "late") == "1"
    assert stat(page, "unacknowledged") == "1"
    assert stat(page, "not-sampled") == "1"
    assert stat(page, "tests-pending") == "0"
    async with transaction(db) as s:
        alloc = RevAllocator(s)
        s.add(
            Test(
                id=uuid.uuid4(),
                rev=await alloc.next(),
                area_id=tree["village"].id,
                sampled_at=now,
                result="pending",
            )
        )
        await alloc.flush()
    assert stat(await home(client), "tests-pending") == "1"


async def test_supervisor_home_counts_the_subtree(client: Client, db: DB) -> None:
    now = utcnow()
    day = local_today(now, DEFAULT_TIMEZONE)
    async with transaction(db) as s:
        tree = await make_area_tree(s)
        await make_user(s, "supervisor", tree["county"], phone=PHONE)
        await make_campaign(s, tree["city"], now - timedelta(days=2))
        other_town = await make_area(s, "town", "城关镇", tree["county"])
        other_village = await make_area(s, "village", "东关村", other_town)
        households = [await make_household(s, tree["grid"]) for _ in range(3)]
        await make_household(s, tree["grid2"])
        await make_visit(s, households[0], now - timedelta(hours=2))
        await make_daily_report(s, tree["grid"], day, is_zero=True)
        quarantined = await make_person(s, households[2], measure="home_quarantine")
        measure = await make_measure(s, quarantined, "home_quarantine", day - timedelta(days=3))
        await make_check(s, measure, day - timedelta(days=1), "morning")
        await make_person(
            s,
            households[1],
            name="钱海外",
            category="returnee_abroad",
            id_number="110101199001011234",
            phone="13911112222",
        )
    await sign_in(client, PHONE)
    page = await home(client)
    assert "25.0%" in page  # 1 of 4 households, shown overall and per town/village
    assert "1 / 4" in page
    assert stat(page, "reports-zero") == "1"
    assert stat(page, "reports-missing") == "1"
    assert "二组网格" in page  # the grid without a report is named
    assert stat(page, "arrivals") == "1"
    assert "110101********1234" in page
    assert "110101199001011234" not in page
    assert "13911112222" not in page
    assert stat(page, "conflicts") == "0"
    assert stat(page, "checks-open") == "2"
    assert stat(page, "checks-missed") == "1"  # yesterday evening
    # villages of two towns: each row links to the village's page and names its town
    villages = page.split('data-list="coverage-villages"')[1].split("</section>")[0]
    assert f'<a href="/areas/{tree["village"].id}">蒋家坪村</a></td><td>老县镇</td>' in villages
    assert f'<a href="/areas/{other_village.id}">东关村</a></td><td>城关镇</td>' in villages
    towns = page.split('data-list="coverage-towns"')[1].split("</section>")[0]
    assert f'<a href="/areas/{other_town.id}">城关镇</a></td><td>0</td>' in towns

    async with transaction(db) as s:
        await make_daily_report(s, tree["grid2"], day)
        await make_visit(s, households[1], now - timedelta(hours=1))
        alloc = RevAllocator(s)
        s.add(
            Conflict(
                rev=await alloc.next(),
                area_id=tree["grid"].id,
                collection="persons",
                record_id=str(uuid.uuid4()),
                field="measure",
                critical=True,
                status="pending",
                proposed_hlc="0000000000000:0000:00000000",
            )
        )
        await alloc.flush()
    page = await home(client)
    assert "50.0%" in page
    assert stat(page, "reports-missing") == "0"
    assert stat(page, "reports-reported") == "1"
    assert stat(page, "conflicts") == "1"


async def test_admin_home_counts_areas_users_devices(client: Client, db: DB) -> None:
    async with transaction(db) as s:
        tree = await make_area_tree(s)
        await make_user(s, "admin", tree["county"], phone=PHONE)
        await make_user(s, "grid_worker", tree["grid"])
    await sign_in(client, PHONE)
    page = await home(client)
    assert stat(page, "areas-grid") == "2"
    assert stat(page, "areas-city") == "0"  # above the admin's county
    assert stat(page, "users-grid_worker") == "1"
    assert stat(page, "active-devices") == "0"
    async with transaction(db) as s:
        await make_area(s, "grid", "三组网格", tree["village"])
    await client.post("/api/devices", json={"name": "admin phone"})
    page = await home(client)
    assert stat(page, "areas-grid") == "3"
    assert stat(page, "active-devices") == "1"


async def test_supervisor_home_counts_scheduled_tests_not_taken(client: Client, db: DB) -> None:
    now = utcnow()
    day = local_today(now, DEFAULT_TIMEZONE)
    async with transaction(db) as s:
        tree = await make_area_tree(s)
        await make_user(s, "supervisor", tree["county"], phone=PHONE)
        policy = Policy(
            kind="home_quarantine",
            version=1,
            duration_days=14,
            test_days=[0, 13],
            checks_per_day=2,
            effective_from=date(2021, 1, 1),
        )
        s.add(policy)
        await s.flush()
        household = await make_household(s, tree["grid"])
        owing = await make_measure(
            s, await make_person(s, household), "home_quarantine", day - timedelta(days=2)
        )
        tested = await make_measure(
            s, await make_person(s, household), "home_quarantine", day - timedelta(days=2)
        )
        owing.policy_id = tested.policy_id = policy.id
        alloc = RevAllocator(s)
        s.add(
            Test(
                id=uuid.uuid4(),
                rev=await alloc.next(),
                area_id=tree["grid"].id,
                measure_id=tested.id,
                sampled_at=now - timedelta(days=2),
            )
        )
        await alloc.flush()
    await sign_in(client, PHONE)
    assert stat(await home(client), "tests-due") == "1"  # the entry test of `owing`
    async with transaction(db) as s:
        alloc = RevAllocator(s)
        s.add(
            Test(
                id=uuid.uuid4(),
                rev=await alloc.next(),
                area_id=tree["grid"].id,
                measure_id=owing.id,
                sampled_at=now,  # a day late still settles it
            )
        )
        await alloc.flush()
    assert stat(await home(client), "tests-due") == "0"


@pytest.mark.slow
async def test_every_home_renders_on_the_demo_county_reading_only_defined_names(
    settings: Settings, db: DB
) -> None:
    """Every role's home on the demo data through an environment where an undefined name
    or attribute raises instead of printing nothing."""
    await seed_demo(
        settings,
        seed=3,
        today=date(2026, 1, 20),
        scale=Scale(towns=2, villages_per_town=2, households_per_village=30),
    )
    now = datetime(2026, 1, 20, 4, 0, tzinfo=UTC)  # local noon of the seed's day
    engine = JinjaTemplateEngine(directory=TEMPLATES_DIR)
    configure_templates(engine, settings)
    engine.engine.undefined = StrictUndefined
    page = engine.engine.get_template("home.html")
    rendered: dict[str, str] = {}
    async with db() as s:
        for user in (await s.execute(select(User).order_by(User.id))).scalars():
            if user.role in rendered:
                continue
            principal = await principal_for(s, user)
            context = await home_page_context(s, principal, user, settings, now)
            rendered[user.role] = page.render(context)
    assert set(rendered) == set(HOMES)
    assert int(stat(rendered["supervisor"], "reports-reported")) > 0
    assert int(stat(rendered["grid_worker"], "households")) > 0
    assert int(stat(rendered["admin"], "areas-grid")) > 0


# --- devices page ------------------------------------------------------------------------


async def test_devices_page_revokes_after_a_confirmation(client: Client, db: DB) -> None:
    async with transaction(db) as s:
        tree = await make_area_tree(s)
        await make_user(s, "grid_worker", tree["grid"], phone=PHONE)
    await sign_in(client, PHONE)
    device = (await client.post("/api/devices", json={"name": "红米手机"})).json()
    listing = await client.get("/devices")
    assert "红米手机" in listing.text
    confirm_url = f"/devices/{device['device_id']}/revoke"
    assert f'href="{confirm_url}"' in listing.text

    confirm = await client.get(confirm_url)
    assert "注销这台设备" in confirm.text
    forged = await client.post(confirm_url, data={}, follow_redirects=False)
    assert forged.status_code == 403
    done = await client.post(
        confirm_url, data={"csrf_token": csrf_from(confirm.text)}, follow_redirects=False
    )
    assert (done.status_code, done.headers["location"]) == (303, "/devices?revoked=1")
    auth = {"Authorization": f"Bearer {device['token']}"}
    assert (await client.get("/api/me", headers=auth)).json()["error"]["code"] == "device_revoked"
    assert "设备已注销" in (await client.get("/devices?revoked=1")).text


async def test_devices_page_revokes_a_row_in_place_through_htmx(client: Client, db: DB) -> None:
    async with transaction(db) as s:
        tree = await make_area_tree(s)
        await make_user(s, "grid_worker", tree["grid"], phone=PHONE)
    await sign_in(client, PHONE)
    device = (await client.post("/api/devices", json={"name": "红米手机"})).json()
    listing = (await client.get("/devices")).text
    # signed-in pages load htmx and send the form token in a header on every htmx request
    assert '<script src="/static/vendor/htmx.min.js' in listing
    token = csrf_from(listing)
    assert f'hx-headers=\'{{"X-CSRF-Token": "{token}"}}\'' in listing
    url = f"/devices/{device['device_id']}/revoke"
    assert f'hx-post="{url}"' in listing

    htmx = {"HX-Request": "true", "HX-Current-URL": "http://testserver.local/devices"}
    forged = await client.post(url, headers=htmx)
    assert forged.status_code == 403
    row = await client.post(url, headers={**htmx, "X-CSRF-Token": token})
    assert row.status_code == 200
    fragment = row.text.strip()
    assert fragment.startswith(f'<li class="device revoked" data-device="{device["device_id"]}"')
    assert fragment.endswith("</li>")
    assert "<html" not in fragment
    assert "hx-post" not in fragment
    assert "注销于" in fragment
    auth = {"Authorization": f"Bearer {device['token']}"}
    assert (await client.get("/api/me", headers=auth)).json()["error"]["code"] == "device_revoked"


async def test_signed_out_pages_do_not_load_htmx(client: Client) -> None:
    page = (await client.get("/login")).text
    assert "htmx" not in page
    assert "hx-headers" not in page


async def test_home_of_a_user_whose_area_is_unknown_level_still_renders(
    client: Client, db: DB
) -> None:
    # a supervisor bound to a grid (no towns or villages below) gets empty tables, not a 500
    async with transaction(db) as s:
        tree = await make_area_tree(s)
        grid: Area = tree["grid"]
        await make_user(s, "supervisor", grid, phone=PHONE)
    await sign_in(client, PHONE)
    page = await home(client)
    assert stat(page, "reports-missing") == "1"
