"""A new app version takes over without losing the outbox: once because the server says
the app is too old (426), once through the "new version" prompt."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, Route

from tests.e2e import helpers as h
from tests.e2e.conftest import LiveServer
from tests.e2e.fixtures import hid, pid

pytestmark = pytest.mark.e2e

TOO_OLD = '{"error": {"code": "schema_outdated", "message": "update the app"}}'


def _build(page: Page) -> str:
    value: str = page.evaluate("document.documentElement.dataset.build")
    return value


def _caches(page: Page) -> list[str]:
    names: list[str] = page.evaluate("caches.keys()")
    return names


def test_updates_keep_the_outbox(
    new_context: Callable[..., BrowserContext], server: LiveServer
) -> None:
    ctx = new_context()
    page = ctx.new_page()
    h.sign_in(page)
    h.wait_worker(page)
    first = _build(page)

    # The API answers as configured; the rest of the site (and /sw.js) is reachable.
    api: dict[str, Any] = {"mode": "down"}

    def answer(route: Route) -> None:
        if api["mode"] == "down":
            route.abort("internetdisconnected")
        elif api["mode"] == "too_old_once":
            api["mode"] = "down"  # the reloaded app's own first sync finds no signal
            route.fulfill(status=426, body=TOO_OLD, content_type="application/json")
        else:
            route.continue_()

    ctx.route("**/api/sync", answer)
    h.record_visit(page, hid(11))
    h.edit_person(page, pid(11, 1), notes="更新前的修改")
    assert h.pending(page) == 2

    # 1. The server says "too old": the app says so, installs the new worker and reloads.
    server.restart(build="B")
    api["mode"] = "too_old_once"
    with page.expect_event("load"):
        page.evaluate("wangge.sync('test')")
    h.wait_ready(page)
    h.wait_worker(page)
    second = _build(page)
    assert second != first
    assert "-B-" in second
    assert h.pending(page) == 2
    assert _caches(page) == [f"wangge-{second}"]  # the old version's cache is gone

    # 2. The prompt: a new worker waits, the user taps "update now".
    server.restart(build="C")
    h.goto_hash(page, "#/more", "#check-update")
    page.click("#check-update")
    page.wait_for_selector("#banner-update:not([hidden])")
    assert h.pending(page) == 2  # nothing changed while the new worker waited
    with page.expect_event("load"):
        page.click("#update-now")
    h.wait_ready(page)
    h.wait_worker(page)
    third = _build(page)
    assert "-C-" in third
    assert h.pending(page) == 2
    assert h.view(page, "persons", pid(11, 1))["notes"] == "更新前的修改"  # type: ignore[index]

    # The queued edits then reach the server, once.
    api["mode"] = "up"
    h.sync_until_clean(page)
    assert server.query(
        "SELECT count(*) FROM visits WHERE household_id = ?", (hid(11).replace("-", ""),)
    ) == [(1,)]
    assert server.query(
        "SELECT notes FROM persons WHERE id = ?", (pid(11, 1).replace("-", ""),)
    ) == [("更新前的修改",)]
