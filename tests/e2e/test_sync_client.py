"""web/static/js/sync.js against a scripted server: gzip, paging, reset, 426/401/413."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import BrowserContext

from tests.e2e.conftest import LiveServer, serve_test_modules

pytestmark = pytest.mark.e2e


def test_sync_client_branches(
    new_context: Callable[..., BrowserContext], server: LiveServer
) -> None:
    ctx = new_context(service_workers="block")
    serve_test_modules(ctx, server.url)
    page = ctx.new_page()
    page.goto("/healthz")
    results: list[dict[str, Any]] = page.evaluate(
        "async () => (await import('/__test__/sync_tests.js')).run()"
    )
    failed = [r for r in results if not r["ok"]]
    assert not failed, "\n".join(f"{r['name']}: {r['error']}" for r in failed)
    by_name = {r["name"]: r["value"] for r in results}
    sizes = by_name["a small body goes plain, a large one gzipped, with the bearer token"]
    assert sizes["gzipped"] < sizes["plain"] * 10  # 40 edits gzipped, not 40x one edit
    assert by_name["426 and 401 stop the sync and keep the outbox"] == [
        ["upgrade", "schema_outdated"],
        ["auth", "device_revoked"],
        ["server", "unavailable"],
    ]
    assert by_name["413 retries with smaller batches; a network error is 'offline'"][:2] == [8, 2]
