"""The sync bar tells what requests actually did: an edit made offline shows as waiting
without a reload, the app syncs within seconds of the network returning, and a first sync
shows its progress instead of an empty ledger."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page

from tests.e2e import helpers as h
from tests.e2e.conftest import LiveServer, shot
from tests.e2e.fixtures import hid

pytestmark = pytest.mark.e2e

BAR = "document.getElementById('sync-state').textContent + ' · ' + " \
    "document.getElementById('sync-pending').textContent"  # fmt: skip


def test_offline_edit_waits_then_syncs_within_seconds(
    new_context: Callable[..., BrowserContext], server: LiveServer
) -> None:
    ctx = new_context()
    page = ctx.new_page()
    h.sign_in(page)
    assert page.evaluate(BAR).startswith("已同步")

    ctx.set_offline(True)
    h.edit_household(page, hid(3), notes="离线时的修改")
    # No reload: the bar learns from the failed request that the phone is offline.
    page.wait_for_function(f"({BAR}) === '离线 · 1 条待同步'")
    assert page.locator("#sync-dot").get_attribute("data-state") == "offline"
    shot(page, "20-syncbar-offline-waiting")

    started = time.monotonic()
    ctx.set_offline(False)
    page.wait_for_function(
        f"({BAR}) === '已同步 · 无待同步' && wangge.state === 'idle'", timeout=10_000
    )
    print(f"synced {time.monotonic() - started:.1f} s after the network returned")
    rows = server.query("SELECT notes FROM households WHERE id = ?", (hid(3).replace("-", ""),))
    assert rows == [("离线时的修改",)]


def test_offline_cold_start_never_claims_synced(
    persistent: Callable[[], BrowserContext], server: LiveServer
) -> None:
    ctx = persistent()
    page = ctx.pages[0] if ctx.pages else ctx.new_page()
    h.sign_in(page)
    h.wait_worker(page)
    ctx.set_offline(True)
    page.reload()
    h.wait_ready(page)
    page.wait_for_function(f"wangge.state === 'offline' && ({BAR}).startsWith('离线')")
    assert not page.evaluate(BAR).startswith("已同步")
    ctx.set_offline(False)
    page.wait_for_function("wangge.state === 'idle' && !wangge._running", timeout=10_000)


RECORD = """() => {
  window.__seen = [];
  const note = () => {
    for (const id of ['hh-count', 'progress-text']) {
      const el = document.getElementById(id);
      if (el && el.textContent && !el.closest('[hidden]')) window.__seen.push([id, el.textContent]);
    }
  };
  new MutationObserver(note).observe(document, {subtree: true, childList: true, characterData: true,
                                                attributes: true});
}"""


@pytest.mark.parametrize("server", [{"page_size": 10}], indirect=True)
def test_first_sync_shows_progress_not_an_empty_ledger(page: Page, server: LiveServer) -> None:
    page.add_init_script(f"({RECORD})()")
    h.sign_in(page)
    seen: list[list[str]] = page.evaluate("window.__seen")
    counts = [text for where, text in seen if where == "hh-count"]
    progress = [text for where, text in seen if where == "progress-text"]
    assert "没有符合条件的户。" not in counts, counts
    assert any("还剩约" in text for text in progress), progress
    assert any(text.startswith("正在下载台账") for text in counts), counts
    assert counts[-1] == "共 12 户", counts[-1]
    print("first sync:", progress[:3], "...", progress[-1:], "list:", counts[:2])
