"""A real server process on a free loopback port, for the tests that need one: the
schema fuzzer, crash and restart, backup and restore.

``python -m server run`` in a subprocess on a given database; it can be stopped, killed
with SIGKILL and started again on the same port, and its log read when something fails.
Also: a migrated throwaway database, a private PostgreSQL cluster a test may crash, and a
proxy that kills the server at chosen moments of a request.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

from devkit import databases
from devkit.network import free_port
from server.migrate import upgrade

ROOT = Path(__file__).resolve().parents[2]


class LiveServer:
    def __init__(self, database_url: str, log_path: Path, **env: str) -> None:
        self.database_url = database_url
        self.log_path = log_path
        self.port = free_port()
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        env = {
            **os.environ,
            "WANGGE_DATABASE_URL": self.database_url,
            "WANGGE_SECURE_COOKIES": "0",
            "WANGGE_SECRET_KEY": "live-server-test-secret",
            "PYTHONUNBUFFERED": "1",
            **self.env,
        }
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "server", "run", "--port", str(self.port)],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.starts += 1
        self._wait_healthy(timeout)

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            # Not a sleep: block on the process for a moment, which also notices an exit.
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=0.05)
        raise RuntimeError(f"server did not answer /healthz: {self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, open transactions die with the process."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except FileNotFoundError:
            return ""


@contextlib.contextmanager
def migrated_database(kind: str, directory: Path, pg_server_url: str) -> Iterator[str]:
    """A throwaway database migrated by Alembic (as ``python -m server migrate`` does, so
    ``/healthz`` answers 200): a SQLite file in ``directory``, or a PostgreSQL database on
    the server of ``pg_server_url``, dropped afterwards."""
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{directory / 'live.db'}"
        upgrade(url)
        yield url
        return
    if kind != "postgresql":
        raise ValueError(f"unknown test database {kind!r}")
    name = f"wangge_live_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    url = asyncio.run(databases.create_pg_database(pg_server_url, name))
    try:
        upgrade(url)
        yield url
    finally:
        asyncio.run(databases.drop_pg_database(pg_server_url, name))


class PrivateCluster:
    """A throwaway PostgreSQL cluster of our own (initdb in a temporary folder, its own
    port): a test may stop and restart it; the machine's cluster is never touched."""

    def __init__(self) -> None:
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not bins:
            raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql")
        self.bin = Path(bins[-1]).parent
        self.dir = Path(tempfile.mkdtemp(prefix="wangge-pg-"))
        self.port = free_port()
        shutil.chown(self.dir, "postgres", "postgres")
        self._as_postgres(
            "initdb", "-D", str(self.dir / "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8"
        )

    @property
    def admin_url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _as_postgres(self, tool: str, *args: str) -> None:
        done = subprocess.run(
            ["runuser", "-u", "postgres", "--", str(self.bin / tool), *args],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed: {done.stdout[-1000:]} {done.stderr[-2000:]}")

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
            " -c max_connections=60"
        )
        log = str(self.dir / "postgres.log")
        self._as_postgres(
            "pg_ctl", "-D", str(self.dir / "data"), "-o", options, "-l", log, "-w", "start"
        )

    def stop(self, mode: str = "fast") -> None:
        """``immediate`` is a crash: no checkpoint, open transactions lost, recovery at start."""
        self._as_postgres("pg_ctl", "-D", str(self.dir / "data"), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(RuntimeError):
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


class KillingProxy:
    """Forwards phones' connections to the server; armed, it kills the server just after
    a request went in ("request") or just after the answer came out ("response", which
    it then drops)."""

    def __init__(self, server: LiveServer, up: asyncio.Event) -> None:
        self.server = server
        self.up = up
        self.armed: str | None = None
        self.fired = asyncio.Event()
        self.port = 0
        self._listener: asyncio.Server | None = None

    async def start(self) -> None:
        self._listener = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._listener.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.close()

    def _fire(self, moment: str) -> None:
        if self.armed != moment:
            return
        self.armed = None
        self.up.clear()
        self.server.kill()
        self.fired.set()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.server.port)
        except OSError:
            writer.close()
            return

        async def upstream() -> None:
            while data := await reader.read(65536):
                up_writer.write(data)
                await up_writer.drain()
                self._fire("request")
            up_writer.close()

        async def downstream() -> None:
            while data := await up_reader.read(65536):
                if self.armed == "response":
                    self._fire("response")  # committed, answered: the answer is lost
                    break
                writer.write(data)
                await writer.drain()
            writer.close()

        with contextlib.suppress(ConnectionError, OSError):
            await asyncio.gather(upstream(), downstream())
        writer.close()
        up_writer.close()
