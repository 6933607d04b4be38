"""The reference lists in a browser, at phone width and on a desktop: a policy version
added, a risk area added then changed and ended in place (htmx), a campaign started and
closed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import LiveServer
from tests.e2e.fixtures import PASSWORD
from tests.e2e.test_admin_import import ADMIN, make_admin
from tests.e2e.test_doorplate import keep

pytestmark = pytest.mark.e2e


def sign_in_admin(page: Page, path: str) -> None:
    page.goto(f"/login?next={path}")
    page.fill("#phone", ADMIN)
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"**{path}")


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
