"""A first sync in many pages: progress is shown, today's work comes first, and the grid
is complete at the end."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from tests.e2e import helpers as h
from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("server", [{"page_size": 10}], indirect=True)
def test_first_sync_pages_todays_work_first(page: Page, server: LiveServer) -> None:
    h.sign_in(page)
    log: list[dict[str, Any]] = page.evaluate("wangge.progressLog")
    assert len(log) >= 5
    remaining = [e["remaining"] for e in log if e["remaining"] is not None]
    assert remaining[0] > 0
    assert remaining == sorted(remaining, reverse=True)
    order = [c for entry in log for c in entry["collections"]]
    # who is due a check is known before the household ledger arrives
    assert order.index("measures") < order.index("households")
    assert order.index("policies") < order.index("households")
    assert page.locator("#hh-list li").count() == 12
    assert page.locator("#progress").is_hidden()
    assert page.locator("#tab-checks").inner_text() == "6"
