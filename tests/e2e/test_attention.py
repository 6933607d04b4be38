"""What the user must act on is shown: a refused edit with its reason, a revoked device
(sign in again, the outbox kept), a storage quota nearly full."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.e2e import helpers as h
from tests.e2e.conftest import LiveServer, shot
from tests.e2e.fixtures import hid, pid

pytestmark = pytest.mark.e2e

VISIT_OF_1 = "SELECT id FROM visits WHERE household_id = ?"


def test_refused_edit_is_shown_with_its_reason(page: Page, server: LiveServer) -> None:
    h.sign_in(page)
    visit = server.query(VISIT_OF_1, (hid(1).replace("-", ""),))[0][0]
    visit_id = f"{visit[:8]}-{visit[8:12]}-{visit[12:16]}-{visit[16:20]}-{visit[20:]}"
    # Visits are facts: changing one is refused by the server (append_only).
    page.evaluate(
        """async (id) => {
          await wangge.store.enqueue({col: 'visits', rid: id, op: 'put', base: 1,
                                      data: {notes: '改一下'}});
          await wangge.model.reloadOutbox();
        }""",
        visit_id,
    )
    result = h.sync(page)
    assert result["ok"] is True, (result, h.state(page))
    assert result["rejected"] == 1, (result, page.evaluate("wangge.model.rejected"), h.state(page))
    assert h.pending(page) == 0
    page.wait_for_selector("#sync-attention:not([hidden])")
    page.click("#sync-attention")
    row = page.wait_for_selector("#rejected-list li[data-code='append_only']")
    assert row is not None
    assert "走访和健康监测记录保存后不能修改" in row.inner_text()
    shot(page, "12-attention-refused")
    row.query_selector("[data-act=dismiss]").click()  # type: ignore[union-attr]
    page.wait_for_selector("#rejected-empty:not([hidden])")
    assert page.locator("#sync-attention").is_hidden()


def test_revoked_device_asks_to_sign_in_and_keeps_the_outbox(
    page: Page, server: LiveServer
) -> None:
    h.sign_in(page)
    device = page.evaluate("wangge.store.getMeta('device')")
    answer = page.request.delete(
        f"{server.url}/api/devices/{device['device_id']}",
        headers={"Authorization": f"Bearer {device['token']}"},
    )
    assert answer.ok
    h.edit_person(page, pid(4, 2), notes="吊销后的修改")
    result = h.sync(page)
    assert result["kind"] == "auth"
    page.wait_for_selector("#banner-auth:not([hidden])")
    assert h.pending(page) == 1
    # Signing in again (the page session is still valid) gives a new device; the edit goes.
    page.click("#banner-auth a")
    h.wait_ready(page)
    h.sync_until_clean(page)
    assert server.query(
        "SELECT notes FROM persons WHERE id = ?", (pid(4, 2).replace("-", ""),)
    ) == [("吊销后的修改",)]


def test_storage_nearly_full_warns(page: Page) -> None:
    page.add_init_script("""navigator.storage.estimate = async () => ({usage: 9e8, quota: 1e9});""")
    h.sign_in(page)
    page.wait_for_selector("#banner-storage:not([hidden])")
    assert "90%" in page.inner_text("#banner-storage")
