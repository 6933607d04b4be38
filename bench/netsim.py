"""What a sync costs on a "2G" link, and a proxy that counts the bytes on the socket.

The time model: every request costs one round trip of 300 ms, and
every byte crosses a 250 kbit/s link each way. TCP and TLS handshakes are NOT counted (the
client keeps one connection alive across a sync's requests; a cold connection would add
one round trip for TCP and one or two for TLS), nor is server time.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Link:
    name: str
    rtt_s: float
    up_bps: float
    down_bps: float

    def seconds(self, requests: int, bytes_up: int, bytes_down: int) -> float:
        return requests * self.rtt_s + bytes_up * 8 / self.up_bps + bytes_down * 8 / self.down_bps


TWO_G = Link("2G", rtt_s=0.300, up_bps=250_000, down_bps=250_000)


@dataclass(frozen=True)
class Target:
    """A target: our goal and the CouchDB-protocol reference (PouchDB 9 against
    pouchdb-server, measured once, 1,000 small documents; not re-measured by the bench)."""

    label: str
    requests: int
    bytes: int  # KB in the table are read as 1,000 bytes (the stricter reading)
    seconds: float
    couch_requests: int
    couch_bytes: int
    couch_seconds: float


TARGETS: dict[str, Target] = {
    "first_load": Target("first load to an empty phone", 3, 100_000, 4.0, 14, 387_000, 15.5),
    "day": Target("a day's edits (86 up, 20 down)", 1, 8_000, 0.8, 20, 68_000, 5.7),
    "idle": Target("a sync with nothing new", 1, 800, 0.4, 9, 6_700, 2.6),
}


@dataclass
class Traffic:
    """Bytes counted on the socket, both directions, HTTP framing and headers included."""

    up: int = 0
    down: int = 0
    connections: int = 0

    def snapshot(self) -> Traffic:
        return Traffic(self.up, self.down, self.connections)

    def since(self, before: Traffic) -> Traffic:
        return Traffic(
            self.up - before.up, self.down - before.down, self.connections - before.connections
        )


@dataclass
class CountingProxy:
    """A TCP relay on 127.0.0.1 in front of the server: whatever crosses it is counted.

    Counting on the socket (not by re-serialising httpx's request objects) gives the exact
    bytes: request line, headers, body, status line, response headers, chunk framing.
    """

    upstream_host: str
    upstream_port: int
    traffic: Traffic = field(default_factory=Traffic)
    port: int = 0
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.traffic.connections += 1
        up_reader, up_writer = await asyncio.open_connection(self.upstream_host, self.upstream_port)
        to_server = asyncio.ensure_future(self._pump(reader, up_writer, up=True))
        to_client = asyncio.ensure_future(self._pump(up_reader, writer, up=False))
        self._tasks.update({to_server, to_client})
        try:
            await asyncio.wait({to_server, to_client}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (to_server, to_client):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                    await task
                self._tasks.discard(task)
            for w in (writer, up_writer):
                w.close()
                with contextlib.suppress(ConnectionError):
                    await w.wait_closed()

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, up: bool
    ) -> None:
        while chunk := await reader.read(65536):
            if up:
                self.traffic.up += len(chunk)
            else:
                self.traffic.down += len(chunk)
            writer.write(chunk)
            await writer.drain()
