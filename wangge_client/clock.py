"""The device's hybrid logical clock: the last HLC it stamped, nothing more.

The arithmetic is ``wangge_protocol.hlc``, the same functions the server uses, so every
clock the client makes is one the server accepts (the counter carries into the wall time
instead of growing past four hex digits).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from wangge_protocol import hlc


def node_of_device(device_id: str) -> str:
    """The HLC node of a device: the first 8 hex digits of its id."""
    return uuid.UUID(device_id).hex[:8]


class DeviceClock:
    """``tick()`` stamps a local edit; ``observe()`` moves the clock past the server's time."""

    def __init__(self, node: str, now: Callable[[], int], last: str = hlc.ZERO) -> None:
        self.node = node
        self.now = now
        self.last = last

    def tick(self) -> str:
        self.last = hlc.tick(self.last, self.now(), self.node)
        return self.last

    def observe(self, server_time_ms: int) -> None:
        """Never stamp an edit before a time already seen from the server."""
        wall = min(max(server_time_ms, 0), hlc.MAX_WALL)
        remote = hlc.format_hlc(wall, 0, hlc.SERVER_NODE)
        self.last = hlc.receive(self.last, remote, self.now(), self.node)

    def text(self) -> str:
        """The last clock stamped or observed (ZERO, the empty string, before any)."""
        return self.last
