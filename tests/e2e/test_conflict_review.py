"""A conflict decided on the /conflicts page reaches the phones at their next sync: two
grid workers change one person's measure offline, the second to sync is held for review,
the town supervisor accepts the held value in a browser, and the first worker's field app
shows the decided value after one sync (the second's attention notice goes away)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page

from tests.e2e import helpers as h
from tests.e2e.conftest import SCREENSHOTS, LiveServer
from tests.e2e.fixtures import SUPERVISOR, WORKER_A, WORKER_B, pid

pytestmark = pytest.mark.e2e

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


def _shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _supervisor(new_context: Callable[..., BrowserContext]) -> Page:
    page = new_context(viewport=DESKTOP).new_page()
    h.sign_in_web(page, SUPERVISOR, "/conflicts")
    return page


def test_a_conflict_decided_on_the_page_reaches_the_phone_at_its_next_sync(
    new_context: Callable[..., BrowserContext], server: LiveServer
) -> None:
    ctx_a, ctx_b = new_context(), new_context()
    a, b = ctx_a.new_page(), ctx_b.new_page()
    h.sign_in(a, WORKER_A)
    h.sign_in(b, WORKER_B)
    person = pid(6, 2)
    for ctx in (ctx_a, ctx_b):
        ctx.set_offline(True)
    h.edit_person(a, person, measure="home_quarantine")
    h.edit_person(b, person, measure="central_quarantine")
    for page in (a, b):  # A finds signal first: its value stands, B's is held
        page.context.set_offline(False)
        h.sync_until_clean(page)
    h.sync_until_clean(a)
    held = server.query(
        "SELECT id, status FROM conflicts WHERE field = 'measure' AND record_id = ?", (person,)
    )
    assert [status for _id, status in held] == ["pending"]
    assert h.view(a, "persons", person)["measure"] == "home_quarantine"  # type: ignore[index]

    # the town supervisor decides in a browser: B's value (centralised quarantine) is right
    sup = _supervisor(new_context)
    card = sup.locator("section.conflict").filter(has=sup.locator("[data-side=proposed]"))
    card.first.wait_for()
    assert card.count() == 1
    assert "集中隔离" in card.locator("[data-side=proposed]").inner_text()
    assert "居家隔离" in card.locator("[data-side=kept]").inner_text()
    _shot(sup, "conflicts-desktop")
    sup.set_viewport_size(PHONE)
    _shot(sup, "conflicts-360")
    assert sup.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    sup.set_viewport_size(DESKTOP)
    card.locator("[data-action=accept]").click()
    sup.wait_for_url("**/conflicts?decided=1")
    assert sup.locator("section.conflict").count() == 0
    assert server.query("SELECT status FROM conflicts WHERE field = 'measure'") == [("accepted",)]

    # the first phone learns the decision at its next sync and shows it on the person's form
    h.sync_until_clean(a)
    assert h.view(a, "persons", person)["measure"] == "central_quarantine"  # type: ignore[index]
    h.goto_hash(a, f"#/p/{person}", "#f-measure")
    assert a.locator("#f-measure").input_value() == "central_quarantine"
    # and the second phone's "waiting for review" notice is gone after its sync
    h.sync_until_clean(b)
    b.wait_for_function("document.getElementById('sync-attention').hidden")
