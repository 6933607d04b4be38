"""Two server processes on one PostgreSQL database: the sentinel's phone files a fever
report offline and syncs through process 1; the township inbox, open on process 2, shows it
without a reload (server-sent events fed by LISTEN/NOTIFY); the township acknowledges there;
the sentinel's phone shows "acknowledged" after its next sync."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from devkit import databases
from server.config import DEFAULT_TIMEZONE
from tests.conftest import PG_SERVER_URL
from tests.e2e.conftest import ROOT, SCREENSHOTS, WAIT_MS
from tests.e2e.fixtures import PASSWORD, SENTINEL, TOWNSHIP
from tests.e2e.helpers import sign_in, sync, sync_until_clean
from tests.e2e.test_fever_app import fill_report, township_acknowledges
from tests.integration.live_server import LiveServer

pytestmark = pytest.mark.e2e


def run_apart(coro: Coroutine[Any, Any, Any]) -> Any:
    """asyncio.run in a thread of its own: Playwright owns this thread's event loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.fixture
def two_processes(today: str, tmp_path: Path) -> Iterator[tuple[LiveServer, LiveServer]]:
    """The browser tests' grid in a throwaway PostgreSQL database, served by two processes."""
    name = f"wangge_e2e_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    url = run_apart(databases.create_pg_database(PG_SERVER_URL, name))
    servers: list[LiveServer] = []
    try:
        done = subprocess.run([sys.executable, "-m", "tests.e2e.fixtures", url, today], cwd=ROOT,
                              env={**os.environ, "WANGGE_DATABASE_URL": url},
                              capture_output=True, text=True)  # fmt: skip
        if done.returncode != 0:
            pytest.fail(f"could not build the test database:\n{done.stderr[-3000:]}")
        for n in (1, 2):
            server = LiveServer(url, tmp_path / f"process{n}.log")
            servers.append(server)
            server.start()
        yield servers[0], servers[1]
    finally:
        for server in servers:
            server.stop()
        run_apart(databases.drop_pg_database(PG_SERVER_URL, name))


def phone(browser: Browser, base_url: str) -> BrowserContext:
    ctx = browser.new_context(viewport={"width": 360, "height": 740}, base_url=base_url,
                              locale="zh-CN", timezone_id=DEFAULT_TIMEZONE,
                              service_workers="allow")  # fmt: skip
    ctx.set_default_timeout(WAIT_MS)
    return ctx


def open_inbox(browser: Browser, base_url: str) -> tuple[BrowserContext, Page]:
    ctx = phone(browser, base_url)
    page = ctx.new_page()
    page.goto("/login?next=/inbox")
    page.fill("#phone", TOWNSHIP)
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url("**/inbox")
    page.wait_for_selector("body[data-stream=on]")  # the event stream is connected
    # Marks this document: a reload would lose it.
    page.evaluate("window.__sameDocument = true")
    return ctx, page


def test_inbox_on_process_two_shows_a_report_synced_through_process_one(
    browser: Browser, two_processes: tuple[LiveServer, LiveServer]
) -> None:
    first, second = two_processes
    ctx = phone(browser, first.url)
    inbox_ctx, inbox = open_inbox(browser, second.url)
    try:
        page = ctx.new_page()
        sign_in(page, SENTINEL)
        page.click("#tabs a[data-tab=fever-new]")
        page.wait_for_selector("#f-patient_name")
        ctx.set_offline(True)
        fill_report(page, "吴春梅")
        page.click("#form button[type=submit]")
        page.wait_for_selector(".fever-row [data-b=pending]:not([hidden])")
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "fever-two-processes-offline.png"))
        assert inbox.locator("tr.report", has_text="吴春梅").count() == 0

        ctx.set_offline(False)
        sync_until_clean(page)  # through process 1

        row = inbox.locator("tr.report", has_text="吴春梅")
        row.wait_for()  # no reload: the live stream of process 2 brought it
        assert inbox.evaluate("window.__sameDocument === true")
        assert "13912345678" in row.inner_text()
        inbox.screenshot(path=str(SCREENSHOTS / "fever-two-processes-inbox.png"), full_page=True)
        row.locator("button[data-action=acknowledge]").click()
        inbox.locator("tr.report", has_text="吴春梅").locator(
            "[data-state=acknowledged]"
        ).wait_for()
        assert first.database_url == second.database_url

        sync(page)
        page.wait_for_selector(".fever-row[data-state=acknowledged]")
        assert "已接收" in page.inner_text(".fever-row [data-f=state]")
        assert page.is_visible(".fever-row [data-kind=acknowledged]")
        page.screenshot(path=str(SCREENSHOTS / "fever-two-processes-acknowledged.png"))
    finally:
        ctx.close()
        inbox_ctx.close()


def test_report_through_one_process_acknowledged_through_the_other(
    browser: Browser, two_processes: tuple[LiveServer, LiveServer]
) -> None:
    first, second = two_processes
    ctx = phone(browser, first.url)
    try:
        page = ctx.new_page()
        sign_in(page, SENTINEL)
        page.click("#tabs a[data-tab=fever-new]")
        page.wait_for_selector("#f-patient_name")
        ctx.set_offline(True)
        fill_report(page, "吴春梅")
        page.click("#form button[type=submit]")
        page.wait_for_selector(".fever-row [data-b=pending]:not([hidden])")
        ctx.set_offline(False)
        sync_until_clean(page)  # through process 1
        page.wait_for_selector(".fever-row[data-state=reported]")

        township_acknowledges(second.url, "吴春梅")  # through process 2

        sync(page)
        page.wait_for_selector(".fever-row[data-state=acknowledged]")
        assert "已接收" in page.inner_text(".fever-row [data-f=state]")
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "fever-two-processes-client-ack.png"))
    finally:
        ctx.close()
