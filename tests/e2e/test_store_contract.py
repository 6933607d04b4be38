"""The store contract, run in Chromium against IndexedDB and against the in-memory twin."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page

from tests.e2e.conftest import LiveServer, serve_test_modules

pytestmark = pytest.mark.e2e

RUN = """async (kind) => {
  const { run } = await import('/__test__/store_contract.js');
  const { IdbStore, MemoryStore } = await import('/static/js/store/index.js');
  const make = kind === 'indexeddb'
    ? (name) => IdbStore.open(name)
    : async (name) => new MemoryStore(name);
  return run(make);
}"""


def _run(page: Page, kind: str) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(RUN, kind)
    return result


@pytest.fixture
def blank(new_context: Any, server: LiveServer) -> Page:
    ctx: BrowserContext = new_context(service_workers="block")
    serve_test_modules(ctx, server.url)
    page = ctx.new_page()
    # any same-origin page gives the modules a secure origin to run in
    page.goto("/healthz")
    return page


@pytest.mark.parametrize("kind", ["indexeddb", "memory"])
def test_store_contract_passes(blank: Page, kind: str) -> None:
    outcome = _run(blank, kind)
    failed = [r for r in outcome["results"] if not r["ok"]]
    assert not failed, "\n".join(f"{r['name']}: {r['error']}" for r in failed)
    assert len(outcome["results"]) >= 15


def test_both_stores_behave_identically(blank: Page) -> None:
    idb = _run(blank, "indexeddb")
    memory = _run(blank, "memory")
    assert [r["name"] for r in idb["results"]] == [r["name"] for r in memory["results"]]
    for name in idb["trace"]:
        assert idb["trace"][name] == memory["trace"][name], name
