"""Special reports (特报) stand live on the home pages: on the demo county, the township
health centre's and the county supervisor's home pages are open when a grid worker's phone
syncs a returnee from abroad; the alert appears in each page's box without a reload, and
the township acknowledges it there (who and when then show on /alerts)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from server.config import DEFAULT_TIMEZONE
from tests.e2e.conftest import WAIT_MS, LiveServer
from tests.e2e.test_fever_inbox import PASSWORD, SHOTS, TOWNSHIP, _post, demo_server

pytestmark = pytest.mark.e2e

__all__ = ["demo_server"]  # the fixture, shared with the inbox's browser test

WORKER, SUPERVISOR = "13800000001", "13800000004"


def _home(browser: Browser, server: LiveServer, phone: str, width: int) -> Page:
    ctx = browser.new_context(
        viewport={"width": width, "height": 900}, locale="zh-CN", timezone_id=DEFAULT_TIMEZONE
    )
    ctx.set_default_timeout(WAIT_MS)
    page = ctx.new_page()
    page.goto(f"{server.url}/login?next=/")
    page.fill("#phone", phone)
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_selector("#home-alerts")
    page.wait_for_function("document.body.dataset.stream === 'on'")
    page.evaluate("window.stayed = true")  # a reload would lose this mark
    return page


def _worker_syncs_a_returnee(server: LiveServer, name: str) -> str:
    """The grid worker's phone syncs a new household with a returnee from abroad."""
    issued = _post(
        f"{server.url}/api/auth/token",
        {"phone": WORKER, "password": PASSWORD, "device_name": "网格员手机"},
    )
    (grid,) = server.query("SELECT area_id FROM users WHERE phone = ?", (WORKER,))[0]
    now = int(time.time() * 1000)
    hid, pid = str(uuid.uuid4()), str(uuid.uuid4())

    def put(n: int, col: str, rid: str, data: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": str(uuid.uuid4()),
            "col": col,
            "rid": rid,
            "op": "put",
            "hlc": f"{now:013d}:{n:04x}:e2e1e2e1",
            "at": now,
            "data": data,
        }

    mutations = [
        put(1, "households", hid, {"area_id": grid, "head_name": "孙家"}),
        put(
            2,
            "persons",
            pid,
            {
                "household_id": hid,
                "name": name,
                "category": "returnee_abroad",
                "measure": "central_quarantine",
            },
        ),
    ]
    body = {
        "protocol": 1,
        "schema": 1,
        "app": "e2e/1",
        "clock": now,
        "cursor": None,
        "pending": len(mutations),
        "mutations": mutations,
    }
    answer = _post(f"{server.url}/api/sync", body, issued["token"])
    assert [r["status"] for r in answer["results"]] == ["applied", "applied"], answer["results"]
    return pid


def test_an_alert_appears_live_on_the_homes_and_is_acknowledged_there(
    browser: Browser, demo_server: LiveServer
) -> None:
    server = demo_server
    township = _home(browser, server, TOWNSHIP, 360)
    supervisor = _home(browser, server, SUPERVISOR, 1280)
    pid = _worker_syncs_a_returnee(server, "孙归国")
    (alert_id,) = server.query(
        "SELECT id FROM alerts WHERE person_id = ?", (pid.replace("-", ""),)
    )[0]
    alert = str(uuid.UUID(str(alert_id)))
    for page in (township, supervisor):
        page.locator(f'#home-alerts [data-alert-id="{alert}"]').wait_for()
        assert "孙归国" in page.locator(f'#home-alerts [data-alert-id="{alert}"]').inner_text()
        assert page.evaluate("window.stayed") is True
    SHOTS.mkdir(parents=True, exist_ok=True)
    township.screenshot(path=str(SHOTS / "home-alerts-360.png"), full_page=True)
    township.locator(f'#home-alerts [data-alert-id="{alert}"] [data-action="acknowledge"]').click()
    township.locator(f'#home-alerts [data-alert-id="{alert}"]').wait_for(state="detached")
    # the supervisor's box drops it too, live
    supervisor.locator(f'#home-alerts [data-alert-id="{alert}"]').wait_for(state="detached")
    assert supervisor.evaluate("window.stayed") is True
    ((by, at),) = server.query(
        "SELECT u.name, a.acknowledged_at FROM alerts a JOIN users u ON u.id = a.acknowledged_by "
        "WHERE a.id = ?",
        (alert_id,),
    )
    assert at is not None
    supervisor.goto(f"{server.url}/alerts")
    row = supervisor.locator(f'tr[data-alert-id="{alert}"]')
    assert row.locator('[data-state="acknowledged"]').count() == 1
    assert by in row.inner_text()
