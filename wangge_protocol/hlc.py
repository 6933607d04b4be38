"""Hybrid logical clocks (docs/sync-protocol.md, "Clocks and honest time").

Text form ``WWWWWWWWWWWWW:CCCC:NNNNNNNN``: 13 decimal digits of wall time in ms since the
epoch, a 4-hex-digit counter, an 8-hex-digit node (the first 8 hex digits of the device id;
``00000000`` is the server). Every part is fixed width, so comparing the strings compares
the clocks. The empty string is "never written" and sorts before every clock.

The one implementation in Python: the server stamps and clamps with it, the Python client
ticks with it. web/static/js/hlc.js is its port for the phones; both run the same cases
(tests/e2e/data/hlc_cases.json).

Pure: standard library only (tests/unit/test_client_packages.py checks the imports).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ZERO = ""
SERVER_NODE = "00000000"
MAX_WALL = 9_999_999_999_999  # 13 digits: the year 2286
MAX_COUNTER = 0xFFFF

_PATTERN = re.compile(r"^(\d{13}):([0-9a-f]{4}):([0-9a-f]{8})$")


class InvalidHlc(ValueError):
    """Text that is not an HLC in the protocol's form."""


@dataclass(frozen=True, order=True, slots=True)
class Hlc:
    wall: int
    counter: int
    node: str

    def __str__(self) -> str:
        return f"{self.wall:013d}:{self.counter:04x}:{self.node}"


def parse(text: str) -> Hlc:
    match = _PATTERN.match(text)
    if match is None:
        raise InvalidHlc(f"not an HLC: {text[:40]!r}")
    return Hlc(int(match.group(1)), int(match.group(2), 16), match.group(3))


def format_hlc(wall: int, counter: int, node: str) -> str:
    """The text of a clock whose parts are already in range (see ``tick`` for the carry)."""
    return str(Hlc(wall, counter, node))


def is_valid(text: str) -> bool:
    return _PATTERN.match(text) is not None


def node_of(text: str) -> str:
    """The node part of an HLC text, "" for ZERO."""
    return parse(text).node if text else ""


def _bounded(wall: int, counter: int, node: str) -> Hlc:
    # A counter past 4 hex digits carries into the wall time: the clock stays monotone
    # and fixed-width at the cost of running 1 ms ahead.
    if counter > MAX_COUNTER:
        wall, counter = wall + 1, 0
    return Hlc(min(wall, MAX_WALL), counter, node)


def tick(last: str, now_ms: int, node: str) -> str:
    """The clock for a new local event after ``last`` (ZERO for none) at wall time ``now_ms``."""
    if not last:
        return str(_bounded(now_ms, 0, node))
    prev = parse(last)
    if now_ms > prev.wall:
        return str(_bounded(now_ms, 0, node))
    return str(_bounded(prev.wall, prev.counter + 1, node))


def receive(last: str, remote: str, now_ms: int, node: str) -> str:
    """The clock after seeing ``remote``: greater than both ``last`` and ``remote``.

    A device hears the server's time as ``format_hlc(server_time, 0, SERVER_NODE)``.
    """
    if not remote:
        return tick(last, now_ms, node)
    r = parse(remote)
    p = parse(last) if last else Hlc(0, 0, node)
    wall = max(now_ms, p.wall, r.wall)
    if wall == p.wall == r.wall:
        counter = max(p.counter, r.counter) + 1
    elif wall == p.wall:
        counter = p.counter + 1
    elif wall == r.wall:
        counter = r.counter + 1
    else:
        counter = 0
    return str(_bounded(wall, counter, node))


def compare(a: str, b: str) -> int:
    """-1, 0 or 1 as ``a`` is before, equal to or after ``b`` (ZERO is before everything)."""
    return (a > b) - (a < b)


def clamp(text: str, server_now_ms: int, max_lead_ms: int) -> str:
    """The effective clock of a device's edit: its wall time may lead the server by at most
    ``max_lead_ms``. A phone whose clock is a year fast therefore cannot outrank an honest
    edit made more than ``max_lead_ms`` after it reached the server."""
    h = parse(text)
    limit = server_now_ms + max_lead_ms
    if h.wall <= limit:
        return text
    return str(Hlc(min(limit, MAX_WALL), h.counter, h.node))
