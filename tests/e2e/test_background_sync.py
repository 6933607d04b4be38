"""Background Sync: an edit made offline reaches the server when the network returns, even
with no page of the app open: the service worker syncs by itself."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext

from tests.e2e import helpers as h
from tests.e2e.conftest import LiveServer
from tests.e2e.fixtures import hid

pytestmark = pytest.mark.e2e


def _visits(server: LiveServer) -> int:
    rows = server.query("SELECT count(*) FROM visits WHERE household_id = ?",
                        (hid(4).replace("-", ""),))  # fmt: skip
    return int(rows[0][0])


def test_worker_syncs_with_no_page_open(
    new_context: Callable[..., BrowserContext], server: LiveServer
) -> None:
    ctx = new_context()
    page = ctx.new_page()
    h.sign_in(page)
    h.wait_worker(page)
    before = _visits(server)

    ctx.set_offline(True)
    h.record_visit(page, hid(4), outcome="refused")
    page.wait_for_function(
        "navigator.serviceWorker.ready.then(r => r.sync.getTags()).then(t => window.tags = t)"
        " && (window.tags || []).includes('wangge-sync')"
    )
    assert h.pending(page) == 1
    page.close()  # no window left: the worker must do the sync itself

    # Wait inside the worker for its own "synced" broadcast (evaluate awaits the promise).
    worker = ctx.service_workers[0]
    worker.evaluate(
        """() => { self.__synced = new Promise((resolve) => {
             new BroadcastChannel('wangge-sync').onmessage = (e) => {
               if (e.data && e.data.type === 'synced') resolve(true);
             };
           }); }"""
    )
    ctx.set_offline(False)
    assert worker.evaluate("self.__synced") is True
    assert _visits(server) == before + 1

    # The worker's sync acknowledged the entry in IndexedDB: a new page finds nothing pending.
    page = ctx.new_page()
    page.goto("/app")
    h.wait_ready(page)
    assert h.pending(page) == 0
    h.wait_synced(page)
    assert _visits(server) == before + 1
