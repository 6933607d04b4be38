"""Ids for new records and mutations, and the device's wall clock."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable


def wall_ms() -> int:
    """The device's wall clock, ms since the epoch."""
    return time.time_ns() // 1_000_000


def uuid4() -> str:
    return str(uuid.uuid4())


class OrderedIds:
    """Ids that cost fewer bytes: UUIDs laid out as 48 bits of wall time (ms), the UUIDv8
    version, a 12-bit sequence, the variant and 62 bits of the device id.

    A day's ids from one device share their time prefix and their last 15 hex digits, so
    gzip stores each in a few bytes instead of ~20 for a random UUID. Unique across
    devices as long as their ids differ in the low 62 bits (random for uuid4 device ids);
    unique on a device as long as its clock does not run back to a millisecond it already
    used (the time part, not a stored counter, survives a lost store).
    """

    def __init__(self, device_id: str, now: Callable[[], int] = wall_ms) -> None:
        self.node = uuid.UUID(device_id).int & ((1 << 62) - 1)
        self.now = now
        self.last_ms = 0
        self.seq = 0

    def __call__(self) -> str:
        ms = self.now() & ((1 << 48) - 1)
        if ms > self.last_ms:
            self.last_ms, self.seq = ms, 0
        else:
            self.seq += 1
            if self.seq > 0xFFF:
                self.last_ms, self.seq = self.last_ms + 1, 0
        value = self.last_ms << 80 | 0x8 << 76 | self.seq << 64 | 0b10 << 62 | self.node
        return str(uuid.UUID(int=value))
