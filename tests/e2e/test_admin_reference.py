"""The reference lists in a browser, at phone width and on a desktop: a policy version
added, a risk area added then changed and ended in place (htmx), a campaign started and
closed; and a new policy version reaching the field app, where a running measure keeps its
version and a measure opened after follows the new one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from playwright.sync_api import BrowserContext, Page

from tests.e2e import helpers as h
from tests.e2e.conftest import LiveServer
from tests.e2e.fixtures import hid, mid
from tests.e2e.test_admin_import import ADMIN, make_admin
from tests.e2e.test_doorplate import keep

pytestmark = pytest.mark.e2e


def sign_in_admin(page: Page, path: str) -> None:
    h.sign_in_web(page, ADMIN, path)


def test_reference_lists(page: Page, server: LiveServer, today: str) -> None:
    make_admin(server)
    sign_in_admin(page, "/admin/policies")
    page.select_option("#p-kind", "home_quarantine")
    page.fill("#p-duration", "7")
    page.fill("#p-tests", "0, 6")
    page.select_option("#p-checks", "1")
    page.fill("#p-note", "县指挥部 12 月通知")
    page.click("#policy-form button[type=submit]")
    page.wait_for_selector("#added")
    assert page.locator('table[data-kind="home_quarantine"] tr[data-state="current"]').count() == 1
    keep(page, "policies-360")
    page.set_viewport_size({"width": 1280, "height": 900})
    keep(page, "policies-desktop")
    page.set_viewport_size({"width": 360, "height": 780})

    page.goto("/admin/risk-areas")
    page.fill("#r-province", "河北省")
    page.fill("#r-city", "石家庄市")
    page.fill("#r-district", "藁城区")
    page.select_option("#r-level", "high")
    page.fill("#r-from", (date.fromisoformat(today) - timedelta(days=1)).isoformat())
    page.click("#risk-form button[type=submit]")
    row = page.locator("li[data-risk-area]", has_text="藁城区")
    row.wait_for()
    page.wait_for_function("window.htmx !== undefined")
    row.locator("select").select_option("mid")
    row.locator("button[name=change]").click()
    page.wait_for_selector('li[data-risk-area][data-level="mid"] .saved')
    keep(page, "risk-areas-360")
    page.locator("li[data-risk-area]", has_text="藁城区").locator("button[name=end]").click()
    page.wait_for_selector('li[data-risk-area][data-state="ended"]')
    page.set_viewport_size({"width": 1280, "height": 900})
    keep(page, "risk-areas-desktop")
    rows = server.query("select level, effective_to from risk_areas where district = '藁城区'")
    assert rows == [("mid", today)]

    page.set_viewport_size({"width": 360, "height": 780})
    page.goto("/admin/campaigns")
    # the village's running round is closed first (htmx, after the browser's confirm)
    page.on("dialog", lambda dialog: dialog.accept())
    page.wait_for_function("window.htmx !== undefined")
    running = page.locator('li[data-campaign][data-state="running"]', has_text="返乡人员排查")
    running.locator("button").click()
    page.locator('li[data-campaign][data-state="closed"]', has_text="返乡人员排查").wait_for()
    page.fill("#c-name", "第二轮入户排查")
    page.select_option("#c-area", label="李家村 (青山镇) · 村（社区）")
    page.click("#campaign-form button[type=submit]")
    page.locator('li[data-campaign][data-state="running"]', has_text="第二轮入户排查").wait_for()
    keep(page, "campaigns-360")
    page.set_viewport_size({"width": 1280, "height": 900})
    keep(page, "campaigns-desktop")
    # a second campaign on the same village is refused with the reason beside the form
    page.fill("#c-name", "重复")
    page.select_option("#c-area", label="李家村 (青山镇) · 村（社区）")
    page.click("#campaign-form button[type=submit]")
    page.wait_for_selector("#form-error")
    keep(page, "campaigns-refused-desktop")


def test_a_new_policy_version_reaches_the_app_and_running_measures_keep_theirs(
    new_context: Callable[..., BrowserContext], server: LiveServer, today: str
) -> None:
    make_admin(server)
    admin = new_context().new_page()
    sign_in_admin(admin, "/admin/policies")
    admin.select_option("#p-kind", "central_quarantine")
    admin.fill("#p-duration", "10")
    admin.fill("#p-tests", "0, 9")
    admin.select_option("#p-checks", "1")
    admin.click("#policy-form button[type=submit]")
    admin.wait_for_selector("#added")
    ((v2,),) = server.query(
        "select id from policies where kind = 'central_quarantine' and version = 2"
    )

    page = new_context().new_page()
    h.sign_in(page)  # its first sync pulls v2
    assert page.evaluate("(id) => wangge.model.get('policies', id).duration_days", v2) == 10
    # The running measure (opened three days ago under v1) keeps v1: its dates, two checks.
    running = page.evaluate(
        "(id) => { const m = wangge.model.get('measures', id); return"
        " [wangge.model.policyOf(m).version, m.end_date, wangge.model.slotsToday(m).length]; }",
        mid(2, 3),
    )
    assert running == [1, _shift(today, 11), 2]

    # A measure opened now follows v2: 10 days, tests on day 0 and day 9, one check a day.
    h.goto_hash(page, f"#/h/{hid(1)}/p/new", "#f-name")
    page.fill("#f-name", "王新归")
    page.select_option("#f-category", "returnee_mid_high")
    page.fill("#f-arrival_date", today)
    page.fill("#f-origin_province", "湖北省")
    page.fill("#f-transport", "火车")
    page.fill("#f-itinerary", "武汉—本村")
    page.select_option("#f-health_code", "yellow")
    page.fill("#f-quarantine_place", "县隔离酒店")
    assert page.input_value("#f-measure") == "central_quarantine"
    page.click("#form button[type=submit]")
    page.wait_for_selector("#members")
    opened = page.evaluate(
        "() => { const p = wangge.model.list('persons').find((x) => x.name === '王新归');"
        " const m = wangge.model.measures(p.id)[0];"
        " const tests = wangge.model.list('tests').filter((t) => t.measure_id === m.id)"
        "   .map((t) => t.due_date).sort();"
        " return [m.policy_id, m.end_date, tests, wangge.model.slotsToday(m).length]; }"
    )
    assert opened == [v2, _shift(today, 10), [today, _shift(today, 9)], 1]
    h.sync_until_clean(page)
    assert page.evaluate("wangge.model.rejected") == []
    stored = server.query(
        "select m.policy_id, m.end_date from measures m join persons p on p.id = m.person_id"
        " where p.name = '王新归'"
    )
    assert stored == [(v2, _shift(today, 10))]
    kept = server.query("select policy_id, end_date from measures where id = ?",
                        (mid(2, 3).replace("-", ""),))  # fmt: skip
    assert kept == [(None, _shift(today, 11))]


def _shift(day: str, days: int) -> str:
    return (date.fromisoformat(day) + timedelta(days=days)).isoformat()
