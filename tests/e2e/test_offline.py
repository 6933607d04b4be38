"""Cold start offline after one online visit; edits survive a reload and a browser restart;
back online they reach the server exactly once. "Offline" is the browser's offline mode
and the server stopped: nothing can reach the network."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page

from tests.e2e import helpers as h
from tests.e2e.conftest import LiveServer
from tests.e2e.fixtures import hid, mid, pid

pytestmark = pytest.mark.e2e


def _first_page(ctx: BrowserContext) -> Page:
    return ctx.pages[0] if ctx.pages else ctx.new_page()


def test_cold_start_offline_then_sync_exactly_once(
    persistent: Callable[[], BrowserContext], server: LiveServer
) -> None:
    # One online visit: sign in, first sync, the worker precaches the shell.
    ctx = persistent()
    page = _first_page(ctx)
    h.sign_in(page)
    h.wait_worker(page)
    assert page.locator("#hh-list li").count() == 12

    # Browser restart with no network at all: the app starts from the cache and IndexedDB.
    # The server is stopped too: Chromium's offline emulation may reach a service worker
    # that starts with the browser only after its first requests.
    server.stop()
    ctx = persistent()
    ctx.set_offline(True)
    page = _first_page(ctx)
    page.goto("/app")
    h.wait_ready(page)
    page.wait_for_selector("#hh-list li")
    assert page.locator("#hh-list li").count() == 12
    page.fill("#hh-search", "8号")
    page.wait_for_function("document.querySelectorAll('#hh-list li').length === 1")

    # Edits offline: a person's phone, a visit, a check (the form says "fever").
    h.edit_person(page, pid(8, 1), phone="13912345678", origin="西安")
    h.record_visit(page, hid(9))
    h.goto_hash(page, f"#/check/{mid(5, 3)}/morning", "#f-temperature")
    page.fill("#f-temperature", "37.5")
    page.wait_for_function("document.querySelector('[data-w=fever]').textContent.length > 0")
    page.click("#form button[type=submit]")
    page.wait_for_selector("#check-list")
    assert h.pending(page) == 3
    assert page.evaluate("wangge.state") in ("offline", "idle")

    page.reload()
    h.wait_ready(page)
    assert h.pending(page) == 3
    assert h.view(page, "persons", pid(8, 1))["phone"] == "13912345678"  # type: ignore[index]

    # Restart again, still offline: the outbox is in IndexedDB, not in memory.
    ctx = persistent()
    ctx.set_offline(True)
    page = _first_page(ctx)
    page.goto("/app")
    h.wait_ready(page)
    assert h.pending(page) == 3
    assert page.locator("#sync-pending").get_attribute("data-n") == "3"
    # Other pages need the network: offline they get the cached offline page instead.
    page.goto("/devices")
    page.wait_for_selector("a[href='/app']")
    assert page.title().startswith("没有网络")
    page.goto("/app")
    h.wait_ready(page)

    # Back online: one sync sends them; the server holds each exactly once.
    server.start()
    ctx.set_offline(False)
    h.sync_until_clean(page)
    h.sync(page)
    rows = server.query(
        "SELECT phone, origin FROM persons WHERE id = ?", (pid(8, 1).replace("-", ""),)
    )
    assert rows == [("13912345678", "西安")]
    assert server.query(
        "SELECT count(*) FROM visits WHERE household_id = ?", (hid(9).replace("-", ""),)
    ) == [(1,)]
    assert server.query(
        "SELECT count(*), max(temperature) FROM checks WHERE measure_id = ?",
        (mid(5, 3).replace("-", ""),),
    ) == [(1, 37.5)]
    assert server.query(
        "SELECT count(*), count(DISTINCT id) FROM sync_mutations WHERE status != 'rejected'"
    ) == [(3, 3)]
