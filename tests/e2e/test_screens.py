"""The main screens at 360×740: screenshots (tests/e2e/screenshots/), touch targets of at
least 44 px, nothing wider than the screen, warnings that appear without moving anything,
user data rendered as text, and the English switch (which works offline afterwards)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from playwright.sync_api import Page

from server.reports.rules import daily_report_id
from tests.e2e import helpers as h
from tests.e2e.conftest import LiveServer, shot
from tests.e2e.fixtures import hid, mid, pid

pytestmark = pytest.mark.e2e

SMALL_TARGETS = """() => {
  const out = [];
  for (const el of document.querySelectorAll(
      '#view button, #view a.button, #view a.row, #view .chip, #view input, #view select,' +
      '#view .slot, .tabs a, #view .seg label, #view label.check, .fab')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;  // not shown
    if (el.type === 'checkbox' || el.type === 'radio') continue;  // their label is the target
    if (r.height < 44 || r.width < 44) out.push(`${el.className} ${r.width}x${r.height}`);
  }
  return out;
}"""


def _check_layout(page: Page) -> None:
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    small: list[str] = page.evaluate(SMALL_TARGETS)
    assert small == [], small


def _rect(page: Page, selector: str) -> dict[str, Any]:
    """Where an element sits in the document (not the viewport: typing scrolls)."""
    box: dict[str, Any] = page.evaluate(
        """(sel) => {
          const r = document.querySelector(sel).getBoundingClientRect();
          return {x: r.left + scrollX, y: r.top + scrollY, w: r.width, h: r.height};
        }""",
        selector,
    )
    return box


def test_main_screens(page: Page, server: LiveServer, today: str) -> None:
    page.goto("/app")
    h.wait_ready(page, "signin")
    shot(page, "00-sign-in")
    h.sign_in(page)

    page.wait_for_selector("#hh-list li")
    _check_layout(page)
    shot(page, "01-households")
    page.click(".chip[data-filter=due]")
    page.wait_for_function("document.querySelectorAll('#hh-list li').length === 3")
    shot(page, "02-households-checks-due")
    page.click(".chip[data-filter=due]")

    h.goto_hash(page, f"#/h/{hid(2)}", "#members li")
    _check_layout(page)
    # Lists mask ID numbers and phones; the person's form shows them whole.
    assert "419921********0211" in page.locator("#members li").first.inner_text()
    shot(page, "03-household")

    h.goto_hash(page, f"#/p/{pid(2, 3)}", "#f-name")
    assert "*" not in page.input_value("#f-id_number")
    assert page.locator("[data-w=special]").inner_text() != ""
    _check_layout(page)
    button = _rect(page, "#form button[type=submit]")
    page.fill("#f-certificate_date", "2020-01-01")
    page.wait_for_function("document.querySelector('[data-w=cert]').textContent !== ''")
    assert _rect(page, "#form button[type=submit]") == button  # the warning had its room
    shot(page, "04-person-form")

    h.goto_hash(page, f"#/h/{hid(2)}/visit", "#form")
    _check_layout(page)
    shot(page, "05-visit")

    h.goto_hash(page, "#/checks", "#check-list li")
    _check_layout(page)
    shot(page, "06-checks")

    h.goto_hash(page, f"#/check/{mid(5, 3)}/morning", "#f-temperature")
    button = _rect(page, "#form button[type=submit]")
    page.locator("#f-temperature").press_sequentially("38.2")
    page.wait_for_function("document.querySelector('[data-w=fever]').textContent !== ''")
    assert _rect(page, "#form button[type=submit]") == button
    assert page.is_checked("input[name=symptoms][value=fever]")
    _check_layout(page)
    shot(page, "07-check-form-fever")

    h.goto_hash(page, "#/report", "#f-under_measure")
    assert page.input_value("#f-under_measure") == "3"
    _check_layout(page)
    shot(page, "08-report")
    page.click("#zero-report")
    page.wait_for_function("document.querySelector('[data-f=status]').dataset.state === 'zero'")
    h.sync_until_clean(page)
    # One report per grid and day, with the id every phone computes (uuid5, as the server).
    grid = server.query("SELECT id FROM areas WHERE code = 'E2E-G1'")[0][0]
    expected = daily_report_id(grid, date.fromisoformat(today)).hex
    assert server.query("SELECT id, is_zero, report_date FROM daily_reports") == [
        (expected, 1, today)
    ]

    h.goto_hash(page, "#/more", "#export")
    _check_layout(page)
    shot(page, "09-more")


def test_user_data_is_text_never_markup(page: Page) -> None:
    h.sign_in(page)
    evil = '<img src=x onerror="window.pwned=1">'
    h.edit_household(page, hid(12), notes="n", head_name=evil)
    h.goto_hash(page, "#/households", "#hh-list li")
    page.fill("#hh-search", "<img")
    page.wait_for_function("document.querySelectorAll('#hh-list li').length === 1")
    assert page.locator("#hh-list li strong").inner_text() == evil
    assert page.evaluate("document.querySelectorAll('#view img').length") == 0
    assert page.evaluate("window.pwned") is None


def test_english_switch_survives_offline(page: Page) -> None:
    h.sign_in(page)
    h.wait_worker(page)
    h.goto_hash(page, "#/more", "#switch-lang")
    with page.expect_event("load"):
        page.click("#switch-lang")
    h.wait_ready(page)
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.locator(".tabs a[data-tab=households]").inner_text() == "Ledger"
    page.context.set_offline(True)
    page.reload()
    h.wait_ready(page)
    assert page.evaluate("document.documentElement.lang") == "en"
    h.goto_hash(page, "#/households", "#hh-list li")
    assert page.locator("#hh-count").inner_text() == "12 households"
    shot(page, "10-households-english")
    page.context.set_offline(False)
    h.goto_hash(page, "#/more", "#switch-lang")
    with page.expect_event("load"):
        page.click("#switch-lang")
    h.wait_ready(page)
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
