"""What a test does with the app: sign in, wait for it, read its state, edit through it.

Waits are conditions polled in the page (``wait_for_function``), never sleeps. The app
exposes itself as ``window.wangge`` (web/static/js/main.js) for exactly this.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

from tests.e2e.fixtures import PASSWORD, WORKER_A

SIGNIN = "/login?next=/app%3Fsignin%3D1"


def wait_ready(page: Page, value: str = "1") -> None:
    """The app marked ``<html data-ready>`` with `value`. Polled across navigations: between
    two documents (a sign-in redirect, a reload) there may be no root element yet, which
    counts as "not yet", not as an error."""
    page.wait_for_function(
        "(v) => { const root = document.documentElement;"
        " return !!root && !!root.dataset && root.dataset.ready === v; }",
        arg=value,
    )


def sign_in(page: Page, phone: str = WORKER_A) -> None:
    page.goto(SIGNIN)
    page.fill("#phone", phone)
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    wait_ready(page)
    wait_synced(page)


def sign_in_web(page: Page, phone: str, path: str = "/") -> None:
    """Sign in on the web pages and land on ``path`` (a supervisor's, admin's or township's
    page, not the field app)."""
    page.goto(f"/login?next={path}")
    page.fill("#phone", phone)
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"**{path}")


def state(page: Page) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(
        """() => ({state: wangge.state, pending: wangge.model.pendingCount,
                   syncs: wangge.syncCount, errors: wangge.errors,
                   rejected: wangge.model.rejected.length})"""
    )
    return result


def wait_synced(page: Page, at_least: int = 1) -> None:
    """At least `at_least` successful syncs since the page loaded, and none running."""
    page.wait_for_function(
        "(n) => window.wangge && wangge.ready && wangge.syncCount >= n && "
        "wangge.state === 'idle' && !wangge._running",
        arg=at_least,
    )


def sync(page: Page) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate("wangge.sync('test')")
    return result


def sync_until_clean(page: Page, attempts: int = 20) -> None:
    """Sync until nothing is pending. A sync already running (Background Sync, the app's
    own triggers) answers "busy": wait for it to end, then go again."""
    result: dict[str, Any] = {}
    for _ in range(attempts):
        result = sync(page)
        if result.get("ok") and pending(page) == 0:
            return
        page.wait_for_function("wangge.state !== 'syncing'")
    raise AssertionError(f"still pending after {attempts} syncs: {result} {state(page)}")


def pending(page: Page) -> int:
    n: int = page.evaluate("wangge.model.pendingCount")
    return n


def wait_pending(page: Page, n: int) -> None:
    page.wait_for_function("(n) => wangge.model.pendingCount === n", arg=n)


def wait_worker(page: Page) -> None:
    """The service worker controls the page: it activated, so its precache is complete.
    (Predicates here are synchronous: wait_for_function does not await a promise.)"""
    page.wait_for_function(
        "navigator.serviceWorker.controller !== null && "
        "navigator.serviceWorker.controller.state === 'activated'"
    )


def view(page: Page, col: str, rid: str) -> dict[str, Any] | None:
    rec: dict[str, Any] | None = page.evaluate("([c, id]) => wangge.model.get(c, id)", [col, rid])
    return rec


def goto_hash(page: Page, fragment: str, selector: str) -> None:
    page.evaluate("(h) => { location.hash = h; }", fragment)
    page.wait_for_selector(selector)


def edit_person(page: Page, person_id: str, **fields: str) -> None:
    goto_hash(page, f"#/p/{person_id}", "#f-name")
    for name, value in fields.items():
        if name in ("measure", "category", "sex"):
            page.select_option(f"#f-{name}", value)
        else:
            page.fill(f"#f-{name}", value)
    page.click("#form button[type=submit]")
    page.wait_for_selector("#members")


def edit_household(page: Page, household_id: str, **fields: str) -> None:
    goto_hash(page, f"#/h/{household_id}/edit", "#f-head_name")
    for name, value in fields.items():
        page.fill(f"#f-{name}", value)
    page.click("#form button[type=submit]")
    page.wait_for_selector("#members")


def record_visit(page: Page, household_id: str, outcome: str = "visited") -> None:
    goto_hash(page, f"#/h/{household_id}/visit", "#form")
    page.check(f"input[name=outcome][value={outcome}]")
    page.check("#f-all_present")
    page.click("#form button[type=submit]")
    page.wait_for_selector("#members")


def record_check(page: Page, measure_id: str, slot: str, temperature: str) -> None:
    goto_hash(page, f"#/check/{measure_id}/{slot}", "#f-temperature")
    page.fill("#f-temperature", temperature)
    page.click("#form button[type=submit]")
    page.wait_for_selector("#check-list")
