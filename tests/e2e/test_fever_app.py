"""The field app follows the role; the sentinel files a fever report offline and sees the
township's acknowledgement after the next sync; a re-check of a done slot is shown as such."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from server.config import DEFAULT_TIMEZONE
from server.fever import rules as fever_rules
from tests.e2e.conftest import SCREENSHOTS, LiveServer
from tests.e2e.fixtures import PASSWORD, SENTINEL, TOWNSHIP, mid, pid
from tests.e2e.helpers import goto_hash, record_check, sign_in, sync, sync_until_clean, wait_ready
from wangge_client import SyncClient

pytestmark = pytest.mark.e2e


def township_acknowledges(base_url: str, patient: str) -> None:
    """The township health centre's device (the Python client) acknowledges the report of
    `patient`. Run in a thread: Playwright owns this one's loop."""

    async def run() -> None:
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            client = await SyncClient.register(http, TOWNSHIP, PASSWORD, "卫生院电脑")
            await client.sync_all()
            report = next(r for r in client.view("fever_reports").values()
                          if r["patient_name"] == patient)  # fmt: skip
            client.put("fever_events", None, {"report_id": report["id"], "kind": "acknowledged",
                       "at": datetime.now(UTC).isoformat(), "note": ""})  # fmt: skip
            await client.sync_all()
            assert not client.rejected, client.rejected

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()


def fill_report(page: Page, patient: str) -> None:
    page.fill("#f-patient_name", patient)
    page.fill("#f-patient_phone", "13912345678")
    page.fill("#f-patient_id_number", "11010519491231002X")
    page.check("input[name=sex][value=female]")
    page.fill("#f-age", "1958")
    page.fill("#f-village", "李家村")
    page.fill("#f-address", "李家村3组12号")
    page.fill("#f-temperature", "38.2")
    page.check("input[name=symptoms][value=fever]")
    page.check("input[name=symptoms][value=cough]")
    page.fill("#f-note", "咳嗽三天")


def test_sentinel_files_offline_and_sees_the_acknowledgement(
    server: LiveServer, new_context: Any
) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    ctx: BrowserContext = new_context()
    page = ctx.new_page()
    sign_in(page, SENTINEL)
    # The sentinel's workspace: fever reporting, no ledger tabs.
    page.wait_for_selector("section.fever-list")
    assert page.is_visible("#tabs a[data-tab=fever]")
    assert not page.is_visible("#tabs a[data-tab=households]")
    assert not page.is_visible("#tabs a[data-tab=checks]")
    goto_hash(page, "#/households", "#fever-empty")  # a ledger link leads back to fever

    page.click("#tabs a[data-tab=fever-new]")
    page.wait_for_selector("#f-patient_name")
    ctx.set_offline(True)
    page.fill("#f-patient_phone", "12345")
    page.fill("#f-patient_name", "钱桂芳")
    page.click("#form button[type=submit]")
    assert "电话号码无效" in page.inner_text("[data-f=error]")
    fill_report(page, "钱桂芳")
    page.screenshot(path=str(SCREENSHOTS / "fever-new-report.png"), full_page=True)
    page.click("#form button[type=submit]")

    row = page.wait_for_selector(".fever-row")
    assert "钱桂芳" in row.inner_text()
    assert page.is_visible(".fever-row [data-b=pending]")
    clock = page.inner_text(".fever-row [data-b=clock]")
    assert clock.startswith("剩余 1:5"), clock
    # the countdown is live
    page.wait_for_function(
        "(c) => document.querySelector('.fever-row [data-b=clock]').textContent !== c", arg=clock
    )
    page.screenshot(path=str(SCREENSHOTS / "fever-my-reports-offline.png"), full_page=True)

    ctx.set_offline(False)
    sync_until_clean(page)
    rows = server.query(
        "SELECT patient_name, state, patient_id_number, age, birth_year, village, note, "
        "symptoms, received_at FROM fever_reports"
    )
    assert len(rows) == 1, rows
    name, state, id_number, age, birth_year, village, note, symptoms, received = rows[0]
    assert (name, state, id_number, birth_year, village, note) == (
        "钱桂芳",
        "reported",
        "11010519491231002X",
        1958,
        "李家村",
        "咳嗽三天",
    )
    assert age is not None
    assert age >= 67
    assert received is not None
    assert "cough" in symptoms
    page.wait_for_selector(".fever-row[data-state=reported]")
    assert not page.is_visible(".fever-row [data-b=pending]")

    township_acknowledges(server.url, "钱桂芳")
    assert server.query("SELECT state FROM fever_reports") == [("acknowledged",)]
    sync(page)
    page.wait_for_selector(".fever-row[data-state=acknowledged]")
    assert "已接收" in page.inner_text(".fever-row [data-f=state]")
    assert page.is_visible(".fever-row [data-kind=acknowledged]")
    assert not page.is_visible(".fever-row [data-b=clock]")
    page.screenshot(path=str(SCREENSHOTS / "fever-my-reports-acknowledged.png"), full_page=True)


def test_township_is_sent_to_its_pages(server: LiveServer, new_context: Any) -> None:
    page = new_context().new_page()
    page.goto("/login?next=/app%3Fsignin%3D1")
    page.fill("#phone", TOWNSHIP)
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url("**/inbox")
    assert page.locator("#tabs a[data-tab=households]").count() == 0


def test_a_second_reading_of_a_done_slot_is_a_recheck(page_worker: Page) -> None:
    page = page_worker
    measure = mid(5, 3)  # home quarantine: morning and evening
    record_check(page, measure, "morning", "36.6")
    slot = page.locator(f"li[data-measure='{measure}'] a[data-slot=morning]")
    assert "36.6" in slot.inner_text()
    assert "复测" not in slot.inner_text()
    goto_hash(page, f"#/check/{measure}/morning", "#check-readings:not([hidden])")
    assert "该时段已有读数" in page.inner_text("[data-w=recheck]")
    record_check(page, measure, "morning", "37.5")
    slot = page.locator(f"li[data-measure='{measure}'] a[data-slot=morning]")
    # the first reading's sync may end between the two writes: the list settles on both
    expect(slot).to_contain_text("已复测")
    assert "37.5" in slot.inner_text()
    goto_hash(page, f"#/check/{measure}/morning", "#check-readings:not([hidden])")
    items = page.locator("#check-readings li")
    expect(items).to_have_count(2)
    first, second = items.nth(0).inner_text(), items.nth(1).inner_text()
    assert "复测" not in first
    assert "36.6" in first
    assert "复测" in second
    assert "37.5" in second
    assert page.evaluate("wangge.model.list('checks').length") == 2


def test_a_fever_check_reaches_the_township_inbox_after_one_sync(
    page_worker: Page, server: LiveServer, new_context: Any
) -> None:
    """A grid worker's 37.5 °C check, synced once, is a fever lead in the township's inbox."""
    page = page_worker
    measure = mid(5, 3)
    record_check(page, measure, "morning", "37.5")
    # the person's follow-up screen says the check raised a fever lead (rules.needsFeverLead),
    # going at the next sync, then gone
    follow = f"#/p/{pid(5, 3)}/follow"
    goto_hash(page, follow, "#follow-reports li[data-lead]")
    lead_row = page.locator("#follow-reports li[data-lead]")
    assert lead_row.count() == 1
    assert lead_row.get_attribute("data-sent") == "0"
    assert "发热线索" in lead_row.inner_text()
    assert "37.5" in lead_row.inner_text()
    assert page.locator("#follow-checks li[data-lead='1']").count() == 1
    goto_hash(page, f"#/p/{pid(5, 3)}", "#f-name")
    assert page.is_visible("[data-fever-leads]")
    assert "1 次检查发现发热" in page.inner_text("[data-fever-leads]")
    sync(page)
    goto_hash(page, follow, "#follow-reports li[data-lead][data-sent='1']")
    page.set_viewport_size({"width": 360, "height": 740})
    page.screenshot(path=str(SCREENSHOTS / "follow-fever-lead-360.png"), full_page=True)
    leads = server.query("SELECT id, state FROM fever_reports WHERE source = 'check'")
    assert len(leads) == 1, leads
    lead_id, state = str(uuid.UUID(str(leads[0][0]))), leads[0][1]
    assert state == "reported"
    township = new_context().new_page()
    township.goto("/login?next=/inbox")
    township.fill("#phone", TOWNSHIP)
    township.fill("#password", PASSWORD)
    township.click("form[action='/login'] button[type=submit]")
    township.wait_for_url("**/inbox")
    row = township.locator(f'tr[data-report-id="{lead_id}"]')
    row.wait_for()
    assert row.locator("[data-state]").get_attribute("data-state") == "reported"
    assert "37.5" in row.inner_text()
    township.screenshot(path=str(SCREENSHOTS / "inbox-lead-from-check.png"), full_page=True)


@pytest.fixture
def page_worker(new_context: Any) -> Page:
    page: Page = new_context().new_page()
    sign_in(page)
    assert not page.is_visible("#tabs a[data-tab=fever]")
    assert page.is_visible("#tabs a[data-tab=households]")
    wait_ready(page)
    return page


def _ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp() * 1000)


def _left_ms(seen_at: str, server_now: str) -> int:
    """The server's rule: time left to the deadline (server/fever/rules.py)."""
    due = fever_rules.deadline(datetime.fromisoformat(seen_at))
    return int((due - datetime.fromisoformat(server_now)) / timedelta(milliseconds=1))


SEEN = "2026-12-02T06:00:00+00:00"
# (function, arguments, expected): the sentinel's pure rules (screens/fever_rules.js).
RULE_CASES: list[tuple[str, list[Any], Any]] = [
    ("checkIdNumber", ["11010519491231002X"], "11010519491231002X"),
    ("checkIdNumber", ["11010519491231002x"], "11010519491231002X"),
    ("checkIdNumber", ["110105194912310021"], None),  # wrong check character
    ("checkIdNumber", ["110105491231002"], "110105491231002"),  # 15 digits, old style
    ("checkIdNumber", ["1101051949123100"], None),
    ("checkIdNumber", [""], None),
    ("checkPhone", ["13912345678"], "13912345678"),
    ("checkPhone", ["139 1234 5678"], "13912345678"),
    ("checkPhone", ["0371-63211234"], "0371-63211234"),
    ("checkPhone", ["12345"], None),
    ("checkPhone", ["23912345678"], None),
    ("ageOrBirthYear", ["", 2026], {"age": None, "birth_year": None}),
    ("ageOrBirthYear", ["45", 2026], {"age": 45, "birth_year": None}),
    ("ageOrBirthYear", ["0", 2026], {"age": 0, "birth_year": None}),
    ("ageOrBirthYear", ["1958", 2026], {"age": 68, "birth_year": 1958}),
    ("ageOrBirthYear", ["151", 2026], None),
    ("ageOrBirthYear", ["2030", 2026], None),
    ("ageOrBirthYear", ["4.5", 2026], None),
    ("hms", [3_600_000 + 65_000], "1:01:05"),
    ("hms", [-59_000], "0:00:59"),
    ("toLocalInput", [_ms("2026-12-02T15:05:00+00:00"), DEFAULT_TIMEZONE], "2026-12-02T23:05"),
    ("fromLocalInput", ["2026-12-02T23:05", DEFAULT_TIMEZONE], _ms("2026-12-02T15:05:00+00:00")),
    ("fromLocalInput", ["2026-07-01T12:00", "Europe/Berlin"], _ms("2026-07-01T10:00:00+00:00")),
    ("fromLocalInput", ["", DEFAULT_TIMEZONE], None),  # NaN travels as null
    # Not synced: this phone's "seen at" and this phone's clock (its offset does not matter).
    ("msLeft", [{"seen_at_device": SEEN}, _ms("2026-12-02T06:30:00+00:00"), 3_600_000],
     _left_ms(SEEN, "2026-12-02T06:30:00+00:00")),
    # Synced from a phone 3 h behind: the server's corrected time, on the server's clock.
    ("msLeft", [{"seen_at_device": "2026-12-02T03:00:00+00:00", "seen_at": SEEN},
                _ms("2026-12-02T05:00:00+00:00"), -3 * 3_600_000],
     _left_ms(SEEN, "2026-12-02T08:00:00+00:00")),
    # Overdue by ten minutes.
    ("msLeft", [{"seen_at_device": SEEN, "seen_at": SEEN}, _ms("2026-12-02T08:10:00+00:00"), 0],
     _left_ms(SEEN, "2026-12-02T08:10:00+00:00")),
]  # fmt: skip


def test_fever_rules_js_match_the_table(server: LiveServer, new_context: Any) -> None:
    page = new_context().new_page()
    page.goto("/healthz")
    got = page.evaluate(
        """async (cases) => {
            const fr = await import('/static/js/screens/fever_rules.js');
            return cases.map(([fn, args]) => {
              const v = fr[fn](...args);
              return typeof v === 'number' && Number.isNaN(v) ? null : v;
            });
        }""",
        [[fn, args] for fn, args, _ in RULE_CASES],
    )
    assert got == [expected for _, _, expected in RULE_CASES]
