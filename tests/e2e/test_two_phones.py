"""Two phones edit the same household offline: different fields both survive; the same
critical field waits as a conflict; the same ordinary field converges everywhere."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page

from tests.e2e import helpers as h
from tests.e2e.conftest import LiveServer, shot
from tests.e2e.fixtures import WORKER_A, WORKER_B, hid, pid

pytestmark = pytest.mark.e2e


def _hex(uuid_text: str) -> str:
    return uuid_text.replace("-", "")


def _both_offline(*contexts: BrowserContext) -> None:
    for ctx in contexts:
        ctx.set_offline(True)


def _sync_all(*pages: Page) -> None:
    """The phones find signal one after the other, in the order given (so the test knows
    whose edit the server saw first); then the first pulls once more."""
    for page in pages:
        page.context.set_offline(False)
        h.sync_until_clean(page)
    h.sync_until_clean(pages[0])


def test_two_phones_edit_one_household(
    new_context: Callable[..., BrowserContext], server: LiveServer
) -> None:
    ctx_a, ctx_b = new_context(), new_context()
    a, b = ctx_a.new_page(), ctx_b.new_page()
    h.sign_in(a, WORKER_A)
    h.sign_in(b, WORKER_B)

    # 1. Different fields of one household: both edits survive, on both phones.
    _both_offline(ctx_a, ctx_b)
    h.edit_household(a, hid(6), phone="13911110000")
    h.edit_household(b, hid(6), notes="狗凶，敲门前先打电话")
    _sync_all(a, b)
    for page in (a, b):
        rec = h.view(page, "households", hid(6))
        assert rec is not None
        assert (rec["phone"], rec["notes"]) == ("13911110000", "狗凶，敲门前先打电话")
    assert server.query("SELECT phone, notes FROM households WHERE id = ?", (_hex(hid(6)),)) == [
        ("13911110000", "狗凶，敲门前先打电话")
    ]

    # 2. The same critical field (a person's measure): the first to sync stands, the other
    # waits for a supervisor and its author sees it.
    _both_offline(ctx_a, ctx_b)
    h.edit_person(a, pid(6, 1), measure="home_quarantine")
    h.edit_person(b, pid(6, 1), measure="central_quarantine")
    _sync_all(a, b)
    for page in (a, b):
        assert h.view(page, "persons", pid(6, 1))["measure"] == "home_quarantine"  # type: ignore[index]
    assert server.query("SELECT measure FROM persons WHERE id = ?", (_hex(pid(6, 1)),)) == [
        ("home_quarantine",)
    ]
    assert server.query(
        "SELECT status, critical FROM conflicts WHERE field = 'measure' AND record_id = ?",
        (pid(6, 1),),
    ) == [("pending", 1)]
    b.wait_for_function("!document.getElementById('sync-attention').hidden")
    h.goto_hash(b, "#/attention", "#conflict-list")
    b.wait_for_selector("#conflict-list li[data-field='measure']")
    shot(b, "11-attention-conflict")
    assert a.locator("#sync-attention").is_hidden()

    # 3. The same ordinary field: resolved the same way on every replica (the later edit
    # wins by its clock), the other value kept in an automatically resolved conflict.
    _both_offline(ctx_a, ctx_b)
    h.edit_household(a, hid(7), notes="A 的备注")
    h.edit_household(b, hid(7), notes="B 的备注")
    _sync_all(a, b)
    h.sync_until_clean(b)
    values = {h.view(page, "households", hid(7))["notes"] for page in (a, b)}  # type: ignore[index]
    server_value = server.query("SELECT notes FROM households WHERE id = ?", (_hex(hid(7)),))
    assert values == {"B 的备注"}
    assert server_value == [("B 的备注",)]
    assert server.query(
        "SELECT status FROM conflicts WHERE field = 'notes' AND record_id = ?", (hid(7),)
    ) == [("auto_resolved",)]
