"""The household search finds ID and phone digits; the language chosen on a web page
applies to the installed app at its next open."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.e2e import helpers as h
from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.e2e

ROWS = "document.querySelectorAll('#hh-list li').length"


def test_search_finds_id_and_phone_digits(page: Page, server: LiveServer) -> None:
    h.sign_in(page)
    # The last digits of 419921197001010211 (household 2's head) and his phone's digits,
    # typed with spaces.
    for query in ("0211", "138 0013 0201"):
        page.fill("#hh-search", query)
        page.wait_for_function(f"{ROWS} === 1")
        assert page.locator("#hh-list li").inner_text().count("2号") == 1, query
    page.fill("#hh-search", "")
    page.wait_for_function(f"{ROWS} === 12")


def test_language_from_a_web_page_reaches_the_app(page: Page, server: LiveServer) -> None:
    h.sign_in(page)
    h.wait_worker(page)
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    page.goto("/lang/en?next=/")
    page.goto("/app")
    # The cached shell was Chinese: the app fetches the English one and reopens.
    page.wait_for_function(
        "document.documentElement.lang === 'en' && document.documentElement.dataset.ready === '1'"
    )
    assert page.locator(".tabs a[data-tab=households]").inner_text() == "Ledger"
    # Offline afterwards it stays English: the worker's cached shell changed.
    page.context.set_offline(True)
    page.reload()
    h.wait_ready(page)
    assert page.evaluate("document.documentElement.lang") == "en"
