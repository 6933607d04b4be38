"""Browser-test fixtures: a live server on a free port and headless Chromium.

Each test gets its own server process on a copy of one migrated, seeded SQLite template
(tests/e2e/fixtures.py), so tests never see each other's edits. The browser is Debian's
Chromium driven by the synchronous Playwright API; nothing is downloaded.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from devkit.browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORT
from devkit.network import free_port
from server.config import DEFAULT_TIMEZONE
from server.timeutil import local_today

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
JS_DIR = Path(__file__).resolve().parent / "js"
WAIT_MS = 30_000


class LiveServer:
    """``python -m server run`` in a subprocess; restartable on the same database."""

    def __init__(self, db_path: Path, log_path: Path) -> None:
        self.db_path = db_path
        self.log_path = log_path
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.build = ""
        self.page_size = 2000

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database_url(self) -> str:
        return f"sqlite+aiosqlite:///{self.db_path}"

    def start(self, build: str = "") -> None:
        self.build = build
        env = {
            **os.environ,
            "WANGGE_DATABASE_URL": self.database_url,
            "WANGGE_SECURE_COOKIES": "0",
            "WANGGE_APP_BUILD": build,
            # Every setting spelled out: the tests must not depend on defaults' handling.
            "WANGGE_SECRET_KEY": "e2e-secret",
            "WANGGE_MAX_BODY_BYTES": str(2 * 1024 * 1024),
            "WANGGE_SYNC_PAGE_SIZE": str(self.page_size),
            "WANGGE_TOMBSTONE_DAYS": "30",
            "WANGGE_MAX_CLOCK_LEAD_MS": str(5 * 60 * 1000),
            "PYTHONUNBUFFERED": "1",
        }
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "server", "run", "--port", str(self.port)],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._wait_healthy()

    def _wait_healthy(self) -> None:
        deadline = datetime.now(UTC).timestamp() + 30
        while datetime.now(UTC).timestamp() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            # Not a sleep: block on the process for a moment, which also notices an exit.
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=0.1)
        raise RuntimeError(f"server did not answer /healthz: {self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def restart(self, build: str = "") -> None:
        self.stop()
        self.start(build)

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Read the server's database directly: what did the server really keep?"""
        con = sqlite3.connect(self.db_path, timeout=30)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()


@pytest.fixture(scope="session")
def today() -> str:
    return local_today(datetime.now(UTC), DEFAULT_TIMEZONE).isoformat()


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory, today: str) -> Path:
    path = tmp_path_factory.mktemp("e2e-db") / "template.db"
    url = f"sqlite+aiosqlite:///{path}"
    env = {**os.environ, "WANGGE_DATABASE_URL": url}
    done = subprocess.run([sys.executable, "-m", "tests.e2e.fixtures", url, today], cwd=ROOT,
                          env=env, capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        pytest.fail(f"could not build the test database:\n{done.stderr[-3000:]}")
    return path


@pytest.fixture
def make_server(template_db: Path, tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    started: list[LiveServer] = []

    def make(build: str = "", page_size: int = 2000) -> LiveServer:
        n = len(started)
        db = tmp_path / f"server{n}.db"
        shutil.copy(template_db, db)
        server = LiveServer(db, tmp_path / f"server{n}.log")
        server.page_size = page_size
        server.start(build)
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def server(make_server: Callable[..., LiveServer], request: pytest.FixtureRequest) -> LiveServer:
    """Parametrise indirectly with a dict of make_server's options to change the server."""
    return make_server(**getattr(request, "param", {}))


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: run `make system-deps` (apt-get install chromium)")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    b = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield b
    b.close()


@pytest.fixture
def new_context(browser: Browser, server: LiveServer) -> Iterator[Callable[..., BrowserContext]]:
    made: list[BrowserContext] = []

    def make(**kwargs: Any) -> BrowserContext:
        options: dict[str, Any] = {
            "viewport": VIEWPORT,
            "base_url": server.url,
            "locale": "zh-CN",
            "timezone_id": DEFAULT_TIMEZONE,
            "service_workers": "allow",
            # wait_for_function evaluates its predicate with eval, which the app's
            # Content-Security-Policy forbids; test_csp.py runs the app under its CSP.
            "bypass_csp": True,
        }
        options.update(kwargs)
        ctx = browser.new_context(**options)
        ctx.set_default_timeout(WAIT_MS)
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.close()


@pytest.fixture
def page(new_context: Callable[..., BrowserContext]) -> Page:
    return new_context().new_page()


@pytest.fixture
def persistent(
    playwright: Playwright, server: LiveServer, tmp_path: Path
) -> Iterator[Callable[[], BrowserContext]]:
    """Open (and re-open: a browser restart) one persistent profile."""
    profile = tmp_path / "profile"
    opened: list[BrowserContext] = []

    def launch() -> BrowserContext:
        for ctx in opened:
            ctx.close()
        opened.clear()
        ctx = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport=VIEWPORT,
            base_url=server.url,
            locale="zh-CN",
            timezone_id=DEFAULT_TIMEZONE,
            service_workers="allow",
            bypass_csp=True,  # see new_context
        )
        ctx.set_default_timeout(WAIT_MS)
        opened.append(ctx)
        return ctx

    yield launch
    for ctx in opened:
        ctx.close()


def serve_test_modules(target: Page | BrowserContext, base_url: str) -> None:
    """Serve tests/e2e/js/*.js at /__test__/ so test modules can import the app's modules."""

    def handle(route: Any) -> None:
        name = route.request.url.rsplit("/__test__/", 1)[1].split("?")[0]
        path = (JS_DIR / name).resolve()
        if path.parent != JS_DIR or not path.is_file():
            route.fulfill(status=404, body="not found")
            return
        route.fulfill(status=200, body=path.read_text(encoding="utf-8"),
                      headers={"Content-Type": "text/javascript; charset=utf-8"})  # fmt: skip

    target.route(f"{base_url}/__test__/**", handle)


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
