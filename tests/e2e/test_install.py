"""Installable: manifest, icons, a worker at /sw.js with scope /, and Chromium's own
installability check (CDP Page.getInstallabilityErrors) reports nothing."""

from __future__ import annotations

import struct
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page

from tests.e2e import helpers as h
from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.e2e


def test_manifest_worker_and_offline_page(page: Page, server: LiveServer) -> None:
    manifest = page.request.get(f"{server.url}/manifest.webmanifest")
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    body = manifest.json()
    assert body["name"] == "网格防控"
    assert body["lang"] == "zh-CN"
    assert body["display"] == "standalone"
    assert body["start_url"] == "/app"
    assert body["theme_color"].startswith("#")
    icons = {(i["sizes"], i["purpose"]) for i in body["icons"]}
    assert icons == {("192x192", "any"), ("512x512", "any"), ("192x192", "maskable"),
                     ("512x512", "maskable")}  # fmt: skip
    for icon in body["icons"]:
        png = page.request.get(f"{server.url}{icon['src']}").body()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", png[16:24])
        assert f"{width}x{height}" == icon["sizes"]

    worker = page.request.get(f"{server.url}/sw.js")
    assert worker.headers["content-type"].startswith("text/javascript")
    assert worker.headers["service-worker-allowed"] == "/"
    assert worker.headers["cache-control"] == "no-cache"
    assert "const VERSION =" in worker.text()
    offline = page.request.get(f"{server.url}/offline")
    assert offline.status == 200


def test_chromium_finds_the_app_installable(
    persistent: Callable[[], BrowserContext], server: LiveServer
) -> None:
    ctx = persistent()
    page = ctx.pages[0] if ctx.pages else ctx.new_page()
    page.goto("/app")
    h.wait_ready(page, "signin")
    h.wait_worker(page)
    scope = page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.scope)")
    assert scope == f"{server.url}/"
    cdp = ctx.new_cdp_session(page)
    errors = cdp.send("Page.getInstallabilityErrors")
    assert errors["installabilityErrors"] == []
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["url"].endswith("/manifest.webmanifest")
    assert not manifest.get("errors")
