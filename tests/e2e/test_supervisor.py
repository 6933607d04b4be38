"""The supervisor's workspace in a browser, on the full demo county: from the home page
down the area tree to a grid and into a line list, the list re-rendered in place by htmx
when filtered. Screenshots at desktop and phone width go to tests/e2e/screenshots/."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from server.config import DEFAULT_TIMEZONE
from tests.e2e.conftest import ROOT, SCREENSHOTS, WAIT_MS, LiveServer

pytestmark = pytest.mark.e2e

SUPERVISOR = "13800000004"  # the demo county's supervisor (server/seed)
DEMO_PASSWORD = "demo1234"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("demo")
    server = LiveServer(folder / "demo.db", folder / "server.log")
    env = {**os.environ, "WANGGE_DATABASE_URL": server.database_url}
    for command in (["migrate"], ["seed-demo"]):
        subprocess.run([sys.executable, "-m", "server", *command], cwd=ROOT, env=env, check=True,
                       capture_output=True)  # fmt: skip
    server.start()
    yield server
    server.stop()


def signed_in(browser: Browser, server: LiveServer, viewport: dict[str, int]) -> Page:
    ctx = browser.new_context(
        viewport=viewport, base_url=server.url, locale="zh-CN", timezone_id=DEFAULT_TIMEZONE
    )
    ctx.set_default_timeout(WAIT_MS)
    page = ctx.new_page()
    page.goto("/login")
    page.fill("#phone", SUPERVISOR)
    page.fill("#password", DEMO_PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{server.url}/")
    return page


def test_drill_down_from_the_county_to_a_grid_and_into_a_list(
    browser: Browser, demo_server: LiveServer
) -> None:
    page = signed_in(browser, demo_server, DESKTOP)
    page.click("[data-link=drill-down]")
    page.wait_for_selector("table#children")
    assert "示范县" in page.locator("h1").inner_text() or page.locator("h1").inner_text()
    shot(page, "supervisor-county-desktop")
    for _level in ("town", "village"):
        page.locator("table#children tbody tr th a").first.click()
        page.wait_for_selector("table#children")
    shot(page, "supervisor-village-desktop")
    grid_name = page.locator("table#children tbody tr th a").first.inner_text()
    page.locator("table#children tbody tr th a").first.click()
    page.wait_for_selector(".day-picker")
    assert grid_name in page.locator("h1").inner_text()
    assert page.locator("a[href^='tel:']").count() >= 1  # the grid lead, posted publicly
    shot(page, "supervisor-grid-desktop")
    page.locator("[data-stat=coverage]").click()
    page.wait_for_selector("table[data-list=unvisited]")
    shot(page, "supervisor-list-unvisited-desktop")
    # back to the county, the returnees list, filtered in place by htmx
    page.goto(page.url.split("/lists")[0] + "/")
    page.click("[data-link=drill-down]")
    page.locator("[data-stat=arrivals]").click()
    page.wait_for_selector("table[data-list=arrivals]")
    page.wait_for_function("window.htmx !== undefined")
    page.evaluate("window.stayed = true")
    before = page.locator("[data-stat=list-total]").inner_text()
    page.locator("input[name=recent]").uncheck()
    page.wait_for_function(
        "(before) => document.querySelector('[data-stat=list-total]').textContent.trim()"
        " !== before.trim()",
        arg=before,
    )
    assert page.evaluate("window.stayed") is True
    assert "recent" not in page.url
    shot(page, "supervisor-list-arrivals-desktop")


def test_the_drill_down_and_a_list_at_phone_width(
    browser: Browser, demo_server: LiveServer
) -> None:
    page = signed_in(browser, demo_server, PHONE)
    shot(page, "supervisor-home-360")
    page.click("[data-link=drill-down]")
    page.wait_for_selector("table#children")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360 + 1, "the page itself must not scroll sideways; the table does"
    shot(page, "supervisor-county-360")
    page.locator("[data-stat=reports-missing]").click()
    page.wait_for_selector("table[data-list=reports]")
    assert page.evaluate("document.documentElement.scrollWidth") <= 361
    shot(page, "supervisor-list-reports-360")


#: the smallest text a chart may show on a phone, in CSS pixels
MIN_CHART_TEXT_PX = 12


def _chart_text_sizes(page: Page) -> list[float]:
    """Every chart text's rendered size: its font size times the SVG's scale."""
    sizes: list[float] = page.evaluate(
        """() => [...document.querySelectorAll('svg.chart')].flatMap((svg) => {
             const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
             return [...svg.querySelectorAll('text')].map(
               (t) => parseFloat(getComputedStyle(t).fontSize) * scale);
           })"""
    )
    return sizes


def test_the_charts_are_legible_at_phone_width(browser: Browser, demo_server: LiveServer) -> None:
    """All four charts of the county page at 360 px: every text at 12 px or more, nothing
    wider than the screen; and at desktop width the text does not swell past 20 px."""
    for viewport, name in ((PHONE, "360"), (DESKTOP, "desktop")):
        page = signed_in(browser, demo_server, viewport)
        page.click("[data-link=drill-down]")
        page.wait_for_selector("figure[data-chart=census] svg.chart")
        charts = {c.get_attribute("data-chart") for c in page.locator("figure[data-chart]").all()}
        assert charts == {"compliance", "fever", "census", "coverage"}
        sizes = _chart_text_sizes(page)
        assert sizes
        assert min(sizes) >= MIN_CHART_TEXT_PX, (name, min(sizes))
        assert max(sizes) <= 20, (name, max(sizes))
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"] + 1
        page.locator("section.charts").screenshot(path=str(SCREENSHOTS / f"charts-{name}.png"))
        page.context.close()
