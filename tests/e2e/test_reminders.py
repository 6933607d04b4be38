"""A reminder reaching a phone: the supervisor presses "提醒" on the missing-report list in
one browser, the grid worker's field app (360 px) syncs and shows the reminder on its
home screen, the worker taps "知道了" and syncs, and the supervisor's list then shows when
it was read. Screenshots (the list on a desktop and at 360 px, the phone's card) go to
tests/e2e/screenshots/."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page

from tests.e2e.conftest import SCREENSHOTS, LiveServer
from tests.e2e.fixtures import SUPERVISOR, WORKER_A
from tests.e2e.helpers import (
    sign_in,
    sign_in_web,
    sync,
    sync_until_clean,
    wait_pending,
    wait_synced,
)

pytestmark = pytest.mark.e2e

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def supervisor_page(new_context: Callable[..., BrowserContext], viewport: dict[str, int]) -> Page:
    page = new_context(viewport=viewport).new_page()
    sign_in_web(page, SUPERVISOR)
    return page


def test_a_reminder_reaches_the_phone_and_the_supervisor_sees_it_read(
    new_context: Callable[..., BrowserContext], server: LiveServer
) -> None:
    ((town,),) = server.query("SELECT id FROM areas WHERE code = 'E2E-T'")
    ((grid,),) = server.query("SELECT id FROM areas WHERE code = 'E2E-G1'")
    ((worker_id,),) = server.query("SELECT id FROM users WHERE phone = ?", (WORKER_A,))

    phone = new_context(viewport=PHONE).new_page()
    sign_in(phone, WORKER_A)
    assert phone.locator("#reminders .reminder").count() == 0

    desk = supervisor_page(new_context, DESKTOP)
    listing = f"/lists/reports?area={town}&status=missing"
    desk.goto(listing)
    desk.wait_for_function("window.htmx !== undefined")
    row = desk.locator(f"tr[data-grid='{grid}']")
    desk.once("dialog", lambda dialog: dialog.accept())
    row.locator("[data-action=remind]").click()
    row.locator("[data-remind-state=sent]").wait_for()
    assert "已提醒" in row.locator("[data-remind-state=sent]").inner_text()
    shot(desk, "reminders-list-sent-desktop")
    # a refusal answers in its own cell, with the reason (here: a grid outside the area)
    ((other,),) = server.query("SELECT id FROM areas WHERE code = 'E2E-G2'")
    other_row = desk.locator(f"tr[data-grid='{other}']")
    other_row.locator("input[name=grid]").evaluate("(el) => { el.value = '999999'; }")
    desk.once("dialog", lambda dialog: dialog.accept())
    other_row.locator("[data-action=remind]").click()
    assert "没有这个网格" in other_row.locator("[role=alert]").inner_text()
    assert other_row.locator("[data-action=remind]").count() == 1
    narrow = supervisor_page(new_context, PHONE)
    narrow.goto(listing)
    narrow.locator(f"tr[data-grid='{grid}'] [data-remind-state=sent]").wait_for()
    assert narrow.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    shot(narrow, "reminders-list-sent-360")

    # the worker's next sync brings it; it stays on the home screen until acknowledged
    assert sync(phone)["ok"]
    card = phone.locator("#reminders .reminder")
    card.wait_for()
    assert "日报告" in card.inner_text()
    assert "督查提醒" in card.inner_text()
    shot(phone, "reminders-phone-card-360")
    # acknowledged without signal: the card goes at once, the acknowledgement waits
    phone.context.set_offline(True)
    card.locator("[data-action=ack]").click()
    phone.wait_for_function("document.querySelectorAll('#reminders .reminder').length === 0")
    assert phone.locator("#reminders").is_hidden()
    wait_pending(phone, 1)
    assert server.query("SELECT read_at FROM reminders") == [(None,)]
    phone.context.set_offline(False)
    sync_until_clean(phone)
    wait_synced(phone)
    ((read_at, read_by),) = server.query("SELECT read_at, read_by FROM reminders")
    assert read_at is not None
    assert read_by == worker_id

    # the supervisor sees when it was read
    desk.goto(listing)
    read = desk.locator(f"tr[data-grid='{grid}'] [data-remind-state=read]")
    read.wait_for()
    assert "已读" in read.inner_text()
    shot(desk, "reminders-list-read-desktop")
    desk.goto(f"/reminders?area={town}")
    desk.locator("tr[data-state=read]").wait_for()
    shot(desk, "reminders-page-desktop")
    narrow.goto(f"/reminders?area={town}")
    narrow.locator("tr[data-state=read]").wait_for()
    shot(narrow, "reminders-page-360")
    narrow.goto(f"/lists/checks?area={town}")
    narrow.locator("[data-action=remind]").first.wait_for()
    shot(narrow, "reminders-list-checks-360")
    # still gone after a reload of the app
    phone.reload()
    phone.wait_for_function("window.wangge && wangge.ready")
    assert phone.locator("#reminders .reminder").count() == 0
