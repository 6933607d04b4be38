"""The server-rendered pages use htmx: revoking a device on the devices page replaces its
row with the server's answer, without reloading the page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Dialog, Page

from tests.e2e.conftest import LiveServer
from tests.e2e.fixtures import PASSWORD, SUPERVISOR

pytestmark = pytest.mark.e2e


def test_devices_page_revokes_a_row_in_place(page: Page, server: LiveServer) -> None:
    page.goto("/login?next=/devices")
    page.fill("#phone", SUPERVISOR)
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url("**/devices")
    for name in ("红米手机", "备用手机"):
        created = page.request.post(f"{server.url}/api/devices", data={"name": name})
        assert created.status == 201, created.text()
    page.reload()
    page.wait_for_function("window.htmx !== undefined")
    # a reload would lose this mark: it proves the page stayed while the row changed
    page.evaluate("window.stayed = true")
    questions: list[str] = []

    def accept(dialog: Dialog) -> None:
        questions.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    row = page.locator("li.device", has_text="红米手机")
    row.get_by_role("link").click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('li.device.revoked')]"
        ".some((li) => li.textContent.includes('红米手机'))"
    )
    assert questions == ["注销这台设备？"]
    assert page.evaluate("window.stayed") is True
    assert page.url.endswith("/devices")
    assert page.locator("li.device.revoked").count() == 1
    other = page.locator("li.device", has_text="备用手机")
    assert other.get_by_role("link").is_visible()  # the other row is untouched
