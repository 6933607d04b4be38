"""Accessibility of every screen of the field app at 360 px in Chinese: axe-core (vendored
in tests/e2e/vendor, never shipped by the app) finds no serious or critical violation; one
level-1 heading per screen; no data text under 14 px; the sync button is 44 px high. The
results are printed per screen (run with -s to read them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.e2e import helpers as h
from tests.e2e.conftest import LiveServer
from tests.e2e.fixtures import hid, mid, pid

pytestmark = pytest.mark.e2e

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"

SCREENS = [
    ("households", "#/households", "#hh-list li"),
    ("household", f"#/h/{hid(2)}", "#members li"),
    ("person", f"#/p/{pid(2, 3)}", "#f-name"),
    ("follow-up", f"#/p/{pid(5, 3)}/follow", "#follow-checks"),
    ("household-form", f"#/h/{hid(2)}/edit", "#f-head_name"),
    ("visit", f"#/h/{hid(2)}/visit", "#form"),
    ("checks", "#/checks", "#check-list li"),
    ("check-form", f"#/check/{mid(5, 3)}/morning", "#f-temperature"),
    ("report", "#/report", "#f-under_measure"),
    ("attention", "#/attention", "#view .attention h1"),
    ("more", "#/more", "#export"),
    ("scan", "#/scan", "#scan-camera"),
]

RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  window.__axePasses = result.passes.length;
  return result.violations.map((v) => ({id: v.id, impact: v.impact, nodes: v.nodes.length,
    help: v.help, targets: v.nodes.slice(0, 3).map((n) => n.target.join(' '))}));
}"""

# Text in the screen (not the hidden templates) smaller than 14 px.
SMALL_TEXT = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!n.textContent.trim()) continue;
    const el = n.parentElement;
    if (!el || el.closest('template,[hidden],script')) continue;
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    const text = n.textContent.trim().slice(0, 20);
    if (size < 14) out.push(`${el.tagName}.${el.className} ${size}px "${text}"`);
  }
  return out;
}"""


def _audit(page: Page, name: str) -> list[dict[str, Any]]:
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    violations: list[dict[str, Any]] = page.evaluate(RUN_AXE)
    summary = ", ".join(f"{v['id']}({v['impact']}×{v['nodes']})" for v in violations) or "none"
    passes = page.evaluate("window.__axePasses")
    print(f"axe {name}: {passes} rules passed; violations: {summary}")
    assert passes > 10  # axe really ran
    return violations


def test_every_screen_passes_axe(page: Page, server: LiveServer) -> None:
    h.sign_in(page)
    bad: dict[str, list[dict[str, Any]]] = {}
    for name, fragment, ready in SCREENS:
        h.goto_hash(page, fragment, ready)
        # The toast from an earlier screen is not part of this one.
        page.evaluate("document.getElementById('toast').hidden = true")
        found = [v for v in _audit(page, name) if v["impact"] in ("serious", "critical")]
        if found:
            bad[name] = found
        assert page.locator("h1:visible").count() == 1, name
        small: list[str] = page.evaluate(SMALL_TEXT)
        assert small == [], (name, small)
    assert bad == {}, bad
    box = page.locator("#sync-now").bounding_box()
    assert box is not None
    assert box["height"] >= 44
    assert box["width"] >= 44
