"""Unsynced edits are never lost to a sign-out or to another user of the same phone; the
rescue export holds them; the persistent-storage answer is shown."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Dialog, Page

from tests.e2e import helpers as h
from tests.e2e.conftest import LiveServer
from tests.e2e.fixtures import WORKER_A, WORKER_B, hid, pid

pytestmark = pytest.mark.e2e


def _accept(dialog: Dialog) -> None:
    dialog.accept()


def _sign_out(page: Page) -> None:
    h.goto_hash(page, "#/more", "#signout")
    page.click("#signout")
    page.wait_for_url("**/login**")


def test_another_user_never_deletes_my_unsynced_edits(
    new_context: Callable[..., BrowserContext], server: LiveServer, tmp_path: Path
) -> None:
    ctx = new_context(accept_downloads=True)
    page = ctx.new_page()
    page.on("dialog", _accept)
    h.sign_in(page, WORKER_A)
    h.goto_hash(page, "#/more", "#persist-state")
    assert page.get_attribute("#persist-state", "data-answer") in ("granted", "denied")
    assert page.inner_text("#persist-state") != ""

    # A's edits cannot reach the server (no signal for the API) ...
    ctx.route("**/api/sync", lambda route: route.abort("internetdisconnected"))
    h.edit_person(page, pid(3, 1), notes="A 的离线修改")
    h.record_visit(page, hid(3), outcome="nobody_home")
    assert h.pending(page) == 2

    # ... the rescue file holds them ...
    h.goto_hash(page, "#/more", "#export")
    with page.expect_download() as download:
        page.click("#export")
    saved = tmp_path / "rescue.json"
    download.value.save_as(saved)
    rescue = json.loads(saved.read_text(encoding="utf-8"))
    assert rescue["user"]["name"] == "李网格"
    assert len(rescue["outbox"]) == 2
    assert {e["col"] for e in rescue["outbox"]} == {"persons", "visits"}

    # ... A signs out, B signs in on the same phone: B sees that A's edits wait here.
    _sign_out(page)
    ctx.unroute("**/api/sync")
    h.sign_in(page, WORKER_B)
    assert h.pending(page) == 0
    page.wait_for_selector("#banner-others:not([hidden])")
    assert "李网格" in page.inner_text("#banner-others")
    assert h.view(page, "persons", pid(3, 1))["notes"] == ""  # type: ignore[index]
    assert server.query("SELECT count(*) FROM sync_mutations") == [(0,)]

    # A signs in again: the edits are still there and sync, once.
    _sign_out(page)
    h.sign_in(page, WORKER_A)
    h.sync_until_clean(page)
    assert server.query(
        "SELECT notes FROM persons WHERE id = ?", (pid(3, 1).replace("-", ""),)
    ) == [("A 的离线修改",)]
    assert server.query(
        "SELECT outcome FROM visits WHERE household_id = ? ORDER BY visited_at",
        (hid(3).replace("-", ""),),
    ) == [("visited",), ("nobody_home",)]
    assert server.query("SELECT count(*) FROM sync_mutations") == [(2,)]
