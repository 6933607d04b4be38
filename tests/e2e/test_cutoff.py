"""A sync whose response is lost after the server applied it loses nothing and
duplicates nothing: the outbox keeps the entries, the retry is answered from the
server's record of what it already applied."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Route

from tests.e2e import helpers as h
from tests.e2e.conftest import LiveServer
from tests.e2e.fixtures import hid, mid, pid

pytestmark = pytest.mark.e2e


def test_sync_cut_off_mid_response(
    new_context: Callable[..., BrowserContext], server: LiveServer
) -> None:
    # Without a service worker so that page.route sees every request of the page.
    ctx = new_context(service_workers="block")
    page = ctx.new_page()
    h.sign_in(page)

    ctx.set_offline(True)
    h.record_visit(page, hid(10))
    h.edit_person(page, pid(10, 2), notes="外出务工", phone="13700001111")
    h.record_check(page, mid(2, 3), "evening", "36.6")
    assert h.pending(page) == 3

    cut: dict[str, Any] = {"n": 0, "statuses": []}

    def reach_server_then_drop(route: Route) -> None:
        response = route.fetch()  # the server receives and applies the whole batch
        cut["statuses"].append(response.status)
        cut["n"] += 1
        route.abort("connectionreset")  # ... and the phone never hears back

    page.route("**/api/sync", reach_server_then_drop)
    ctx.set_offline(False)
    result = h.sync(page)
    page.wait_for_function("wangge.state !== 'syncing'")
    assert cut["n"] >= 1
    assert 200 in cut["statuses"]
    assert result["ok"] is False
    assert h.pending(page) == 3  # nothing acknowledged, nothing dropped
    applied = server.query("SELECT count(*) FROM sync_mutations")
    assert applied == [(3,)]  # the server did apply them

    page.unroute("**/api/sync")
    h.sync_until_clean(page)
    h.sync(page)

    assert server.query(
        "SELECT count(*) FROM visits WHERE household_id = ?", (hid(10).replace("-", ""),)
    ) == [(1,)]
    assert server.query(
        "SELECT count(*) FROM checks WHERE measure_id = ?", (mid(2, 3).replace("-", ""),)
    ) == [(1,)]
    assert server.query("SELECT count(*), count(DISTINCT id) FROM sync_mutations") == [(3, 3)]
    assert server.query(
        "SELECT notes, phone FROM persons WHERE id = ?", (pid(10, 2).replace("-", ""),)
    ) == [("外出务工", "13700001111")]
    person = h.view(page, "persons", pid(10, 2))
    assert person is not None
    assert person["notes"] == "外出务工"
    assert "_pending" not in person
    assert h.state(page)["rejected"] == 0
    visits = page.evaluate("(hid) => wangge.model.visits(hid).length", hid(10))
    assert visits == 1
