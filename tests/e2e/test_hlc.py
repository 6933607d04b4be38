"""web/static/js/hlc.js agrees with wangge_protocol/hlc.py: one table, both sides (the
Python side runs in tests/unit/test_protocol_hlc.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext

from tests.e2e.conftest import LiveServer, serve_test_modules
from wangge_client import DeviceClock

pytestmark = pytest.mark.e2e

CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "data" / "hlc_cases.json").read_text(encoding="utf-8")
)["cases"]


def test_hlc_js_matches_the_table(
    new_context: Callable[..., BrowserContext], server: LiveServer
) -> None:
    ctx = new_context(service_workers="block")
    serve_test_modules(ctx, server.url)
    page = ctx.new_page()
    page.goto("/healthz")
    outcome = page.evaluate(
        "async (cases) => (await import('/__test__/hlc_runner.js')).run(cases)", CASES
    )
    assert set(outcome["fns"]) == {c["fn"] for c in CASES}  # every function of the table
    assert outcome["count"] == len(CASES)
    assert outcome["failures"] == []


def test_the_app_stamps_past_the_servers_time_after_a_sync(
    new_context: Callable[..., BrowserContext],
) -> None:
    """How store/apply.js calls receive (the server's time, counter 0) gives what the
    Python client's DeviceClock.observe gives for the same clocks."""
    page = new_context(service_workers="block").new_page()
    page.goto("/healthz")
    got = page.evaluate(
        """async () => {
          const { receive, tick, formatHlc } = await import('/static/js/hlc.js');
          let s = { wall: 1795000000000, counter: 3 };
          s = receive(s, 1795000000500, 1795000000000);
          const seen = formatHlc(s.wall, s.counter, "a1b2c3d4");
          s = tick(s, 1795000000000);
          return [seen, formatHlc(s.wall, s.counter, "a1b2c3d4")];
        }"""
    )
    clock = DeviceClock("a1b2c3d4", lambda: 1_795_000_000_000, "1795000000000:0003:a1b2c3d4")
    clock.observe(1_795_000_000_500)
    seen = clock.text()
    assert got == [seen, clock.tick()]
