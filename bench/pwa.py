"""The field app's benchmark, called by ``python -m bench`` (``run() -> dict[str, float]``).

Figures (targets in bench/netsim.py; the grid is bench/grid.py's: 150 households, 640 persons):

* ``shell_*``: the app shell, i.e. every file the service worker precaches plus the worker
  itself: count, bytes as served, and bytes gzipped (what a gzip-serving front end sends).
* ``cold_start_offline_ms_cpu4x``: from navigation start to the household list on screen,
  browser restarted with no network and the CPU slowed 4x (CDP
  ``Emulation.setCPUThrottlingRate``); the median of a few runs. ``..._ms`` unthrottled.
* ``first_sync_*``: the demo grid's first sync on an empty phone, read from Chromium's
  network events: requests, bytes down (``encodedDataLength``: headers and body as
  received), bytes up (request headers and body), ledger records received (households,
  persons, checks, visits), duration.
* ``first_open_2g_*``: a signed-in user's first open of ``/app`` on a new phone (empty
  caches, no service worker) over an emulated 2G link (CDP
  ``Network.emulateNetworkConditions``: 300 ms latency, 250 kbit/s each way):
  ``..._shell_ms`` until the app runs (``window.wangge``), ``..._synced_ms`` until its first
  sync is done, the requests and bytes (``encodedDataLength``) until then, and the
  Content-Encoding the sync answers came in.

Prints nothing. Needs Chromium at /usr/bin/chromium (``make system-deps``).
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import brotli

from devkit.browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORT
from devkit.network import free_port
from server.config import DEFAULT_TIMEZONE

ROOT = Path(__file__).resolve().parent.parent
COLD_RUNS = 3
SEED = 2021
WAIT_MS = 60_000


def _prepare(url: str) -> None:
    """In a process of its own: the database migrated as in production, then the grid."""
    import asyncio

    from bench.grid import load_grid
    from server.db import make_engine, make_sessionmaker
    from server.migrate import upgrade

    async def fill() -> None:
        engine = make_engine(url)
        try:
            await load_grid(make_sessionmaker(engine), SEED)
        finally:
            await engine.dispose()

    upgrade(url)
    asyncio.run(fill())


@contextlib.contextmanager
def _server(tmp: Path) -> Iterator[str]:
    url = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    env = {
        **os.environ,
        "WANGGE_DATABASE_URL": url,
        "WANGGE_SECURE_COOKIES": "0",
        "WANGGE_SECRET_KEY": "bench-secret",
        "WANGGE_MAX_BODY_BYTES": str(2 * 1024 * 1024),
        "WANGGE_SYNC_PAGE_SIZE": "2000",
        "WANGGE_TOMBSTONE_DAYS": "30",
        "WANGGE_MAX_CLOCK_LEAD_MS": str(5 * 60 * 1000),
    }
    subprocess.run([sys.executable, "-m", "bench.pwa", "prepare", url], cwd=ROOT, env=env,
                   check=True, capture_output=True)  # fmt: skip
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with (tmp / "server.log").open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "server", "run", "--port", str(port)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((tmp / "server.log").read_text()[-2000:])
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=1) as resp:
                    if resp.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as resp:
        body: bytes = resp.read()
        return body


def shell_sizes(base: str) -> dict[str, float]:
    worker = _get(f"{base}/sw.js")
    match = re.search(rb"const PRECACHE = (\[.*?\]);", worker)
    if match is None:
        raise RuntimeError("no PRECACHE list in /sw.js")
    bodies = [worker] + [_get(f"{base}{path}") for path in json.loads(match.group(1))]
    return {
        "shell_files": float(len(bodies)),
        "shell_bytes_identity": float(sum(len(b) for b in bodies)),
        "shell_bytes_gzip": float(sum(len(gzip.compress(b, 6)) for b in bodies)),
        "shell_bytes_brotli": float(sum(len(brotli.compress(b, quality=11)) for b in bodies)),
    }


class _SyncTraffic:
    """Counts /api/sync requests and their bytes from CDP Network events."""

    def __init__(self) -> None:
        self.ids: set[str] = set()
        self.up = 0
        self.down = 0
        self.started: float | None = None
        self.finished: float | None = None

    def request(self, event: dict[str, Any]) -> None:
        req = event["request"]
        if not req["url"].endswith("/api/sync"):
            return
        self.ids.add(event["requestId"])
        head = f"{req['method']} /api/sync HTTP/1.1\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in req["headers"].items()
        )
        length = req["headers"].get("Content-Length")
        body = int(length) if length else sum(
            len(e.get("bytes", "")) * 3 // 4 for e in req.get("postDataEntries", [])
        )  # fmt: skip
        self.up += len(head.encode()) + 2 + body
        self.started = self.started or event["timestamp"]

    def finished_loading(self, event: dict[str, Any]) -> None:
        if event["requestId"] in self.ids:
            self.down += int(event["encodedDataLength"])
            self.finished = event["timestamp"]


#: the 2G link of bench/netsim.py, as Chromium's network emulation takes it
TWO_G_CONDITIONS = {
    "offline": False,
    "latency": 300,
    "downloadThroughput": 250_000 / 8,
    "uploadThroughput": 250_000 / 8,
}


def first_open_2g(p: Any, base: str, tmp: Path, password: str) -> dict[str, Any]:
    """Sign in (not timed, full speed), then open /app cold over the emulated 2G link (as
    the sign-in form sends the phone there: ``/app?signin=1`` makes the device)."""
    ctx = p.chromium.launch_persistent_context(
        str(tmp / "profile-2g"), executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
        viewport=VIEWPORT, base_url=base, locale="zh-CN", timezone_id=DEFAULT_TIMEZONE,
        service_workers="allow", bypass_csp=True,
    )  # fmt: skip
    ctx.set_default_timeout(WAIT_MS)
    try:
        login = ctx.request.get("/login").text()
        match = re.search(r'name="csrf_token" value="([^"]+)"', login)
        if match is None:
            raise RuntimeError("no csrf_token on /login")
        ctx.request.post(
            "/login",
            form={"phone": "13900000001", "password": password, "csrf_token": match.group(1)},
            max_redirects=0,
        )
        page = ctx.pages[0] if ctx.pages else ctx.new_page()
        cdp = ctx.new_cdp_session(page)
        sizes: dict[str, int] = {}
        encodings: set[str] = set()

        def response(event: dict[str, Any]) -> None:
            resp = event["response"]
            if resp["url"].endswith("/api/sync"):
                headers = {k.lower(): v for k, v in resp.get("headers", {}).items()}
                encodings.add(headers.get("content-encoding", "identity"))

        def finished(event: dict[str, Any]) -> None:
            sizes[event["requestId"]] = int(event["encodedDataLength"])

        cdp.on("Network.loadingFinished", finished)
        cdp.on("Network.responseReceived", response)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
        cdp.send("Network.emulateNetworkConditions", TWO_G_CONDITIONS)
        page.goto("/app?signin=1", wait_until="commit")
        page.wait_for_function("window.wangge !== undefined", polling=50)
        shell_ms = page.evaluate("performance.now()")
        shell_requests, shell_bytes = len(sizes), sum(sizes.values())
        page.wait_for_function("window.wangge && wangge.syncCount >= 1", polling=50)
        synced_ms = page.evaluate("performance.now()")
        return {
            "first_open_2g_shell_ms": round(shell_ms, 1),
            "first_open_2g_shell_requests": float(shell_requests),
            "first_open_2g_shell_bytes": float(shell_bytes),
            "first_open_2g_synced_ms": round(synced_ms, 1),
            "first_open_2g_requests": float(len(sizes)),
            "first_open_2g_bytes": float(sum(sizes.values())),
            "first_open_2g_sync_encoding": ",".join(sorted(encodings)),
        }
    finally:
        ctx.close()


def run() -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    from bench.grid import PASSWORD

    figures: dict[str, Any] = {}
    tmp = Path(tempfile.mkdtemp(prefix="wangge-pwa-bench-"))
    try:
        with _server(tmp) as base, sync_playwright() as p:
            figures |= shell_sizes(base)
            figures |= first_open_2g(p, base, tmp, PASSWORD)
            profile = tmp / "profile"

            def launch() -> Any:
                ctx = p.chromium.launch_persistent_context(
                    str(profile), executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
                    viewport=VIEWPORT, base_url=base, locale="zh-CN",
                    timezone_id=DEFAULT_TIMEZONE, service_workers="allow",
                    bypass_csp=True,  # wait_for_function needs eval, which the CSP forbids
                )  # fmt: skip
                ctx.set_default_timeout(WAIT_MS)
                return ctx

            # First visit, online: sign in, first sync (measured), shell precached.
            ctx = launch()
            page = ctx.pages[0] if ctx.pages else ctx.new_page()
            traffic = _SyncTraffic()
            cdp = ctx.new_cdp_session(page)
            cdp.on("Network.requestWillBeSent", traffic.request)
            cdp.on("Network.loadingFinished", traffic.finished_loading)
            cdp.send("Network.enable")
            page.goto("/login?next=/app%3Fsignin%3D1")
            page.fill("#phone", "13900000001")
            page.fill("#password", PASSWORD)
            page.click("form[action='/login'] button[type=submit]")
            page.wait_for_function(
                "window.wangge && wangge.syncCount >= 1 && wangge.state === 'idle' && "
                "navigator.serviceWorker.controller && "
                "navigator.serviceWorker.controller.state === 'activated'"
            )
            records = page.evaluate(
                "wangge.model.list('households').length + wangge.model.list('persons').length"
                " + wangge.model.list('checks').length + wangge.model.list('visits').length"
            )
            figures["first_sync_requests"] = float(len(traffic.ids))
            figures["first_sync_bytes_down"] = float(traffic.down)
            figures["first_sync_bytes_up"] = float(traffic.up)
            figures["first_sync_ledger_records"] = float(records)
            if traffic.started is not None and traffic.finished is not None:
                figures["first_sync_ms"] = round((traffic.finished - traffic.started) * 1000, 1)
            ctx.close()

            for rate, key in ((4, "cold_start_offline_ms_cpu4x"), (1, "cold_start_offline_ms")):
                times = []
                for _ in range(COLD_RUNS):
                    ctx = launch()
                    ctx.set_offline(True)
                    page = ctx.pages[0] if ctx.pages else ctx.new_page()
                    cdp = ctx.new_cdp_session(page)
                    cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})
                    page.goto("/app")
                    page.wait_for_function("performance.getEntriesByName('wangge:list').length > 0")
                    times.append(
                        page.evaluate("performance.getEntriesByName('wangge:list')[0].startTime")
                    )
                    ctx.close()
                figures[key] = round(statistics.median(times), 1)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return figures


if __name__ == "__main__":
    if sys.argv[1:2] == ["prepare"]:
        _prepare(sys.argv[2])
    else:
        print(json.dumps(run(), indent=1))
