"""The township's fever inbox in a browser, on the demo county: a report a sentinel's
phone syncs appears without a reload (server-sent events), the township acknowledges it
in place, and the sentinel's next sync pulls the acknowledgement. Screenshots of the inbox
at 360 px and on a desktop go to tests/e2e/screenshots/."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from server.config import DEFAULT_TIMEZONE
from tests.e2e.conftest import ROOT, WAIT_MS, LiveServer

pytestmark = pytest.mark.e2e

SHOTS = ROOT / "tests" / "e2e" / "screenshots"
TOWNSHIP, SENTINEL, PASSWORD = "13800000003", "13800000002", "demo1234"


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[LiveServer]:
    db = tmp_path / "demo.db"
    env = {**os.environ, "WANGGE_DATABASE_URL": f"sqlite+aiosqlite:///{db}"}
    for command in (["migrate"], ["seed-demo"]):
        done = subprocess.run(
            [sys.executable, "-m", "server", *command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr[-3000:]
    server = LiveServer(db, tmp_path / "server.log")
    server.start()
    yield server
    server.stop()


def _post(url: str, body: dict[str, Any], token: str | None = None) -> dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, json.dumps(body).encode(), headers, method="POST")
    with urllib.request.urlopen(request, timeout=30) as answer:
        result: dict[str, Any] = json.loads(answer.read())
    return result


class Phone:
    """The sentinel's phone, speaking the sync protocol by hand."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        issued = _post(
            f"{server.url}/api/auth/token",
            {"phone": SENTINEL, "password": PASSWORD, "device_name": "哨点手机"},
        )
        self.token = issued["token"]
        self.cursor: str | None = None
        self.reports: dict[str, dict[str, Any]] = {}
        self.n = 0

    def sync(self, mutations: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        now = int(time.time() * 1000)
        body = {
            "protocol": 1,
            "schema": 1,
            "app": "e2e/1",
            "clock": now,
            "cursor": self.cursor,
            "pending": len(mutations or []),
            "mutations": mutations or [],
        }
        while True:
            answer = _post(f"{self.server.url}/api/sync", body, self.token)
            page = answer.get("changes", {}).get("fever_reports")
            if page:
                for row in page["rows"]:
                    record = dict(zip(page["cols"], row, strict=True))
                    self.reports[str(record["id"])] = record
            self.cursor = body["cursor"] = answer["cursor"]
            body["mutations"], body["pending"] = [], 0
            if not answer.get("more"):
                return answer

    def file(self, facility_id: int, name: str) -> str:
        self.n += 1
        rid = str(uuid.uuid4())
        seen = datetime.now(UTC) - timedelta(minutes=20)
        mutation = {
            "id": str(uuid.uuid4()),
            "col": "fever_reports",
            "rid": rid,
            "op": "put",
            "hlc": f"{int(time.time() * 1000):013d}:{self.n:04x}:e2e0e2e0",
            "at": int(time.time() * 1000),
            "data": {
                "facility_id": facility_id,
                "patient_name": name,
                "patient_phone": "13912345678",
                "temperature": 38.2,
                "symptoms": ["fever", "cough"],
                "seen_at_device": seen.isoformat().replace("+00:00", "Z"),
            },
        }
        answer = self.sync([mutation])
        assert answer["results"][0]["status"] == "applied", answer
        return rid


def _sign_in(page: Page, server: LiveServer, next_path: str) -> None:
    page.goto(f"{server.url}/login?next={next_path}")
    page.fill("#phone", TOWNSHIP)
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"**{next_path}")


def test_a_synced_report_appears_live_and_is_acknowledged_in_place(
    browser: Browser, demo_server: LiveServer
) -> None:
    server = demo_server
    (facility_id,) = server.query("SELECT facility_id FROM users WHERE phone = ?", (SENTINEL,))[0]
    phone = Phone(server)
    phone.sync()
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, viewport in (("360", {"width": 360, "height": 780}), ("desktop", None)):
        ctx = browser.new_context(
            viewport=viewport or {"width": 1280, "height": 900},
            locale="zh-CN",
            timezone_id=DEFAULT_TIMEZONE,
        )
        ctx.set_default_timeout(WAIT_MS)
        page = ctx.new_page()
        _sign_in(page, server, "/inbox")
        page.wait_for_function("document.body.dataset.stream === 'on'")
        page.evaluate("window.stayed = true")  # a reload would lose this mark
        rid = phone.file(facility_id, f"新病人{label}")
        row = page.locator(f'tr[data-report-id="{rid}"]')
        row.wait_for()
        assert page.evaluate("window.stayed") is True
        assert row.locator("[data-state]").get_attribute("data-state") == "reported"
        page.screenshot(path=str(SHOTS / f"inbox-{label}.png"), full_page=True)
        row.locator('[data-action="acknowledge"]').click()
        page.locator(f'tr[data-report-id="{rid}"] [data-state="acknowledged"]').wait_for()
        assert page.evaluate("window.stayed") is True
        phone.sync()
        assert phone.reports[rid]["state"] == "acknowledged"
        if label == "desktop":
            page.goto(f"{server.url}/inbox/{rid}")
            page.screenshot(path=str(SHOTS / "fever-report-desktop.png"), full_page=True)
            page.goto(f"{server.url}/alerts")
            page.screenshot(path=str(SHOTS / "alerts-desktop.png"), full_page=True)
        ctx.close()
