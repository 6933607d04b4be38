"""The protocol's hybrid logical clock, re-exported for the server's modules.

The one implementation is ``wangge_protocol.hlc``, shared with the Python client
(``wangge_client``); web/static/js/hlc.js is its port for the phones.
"""

from __future__ import annotations

from wangge_protocol.hlc import (
    MAX_COUNTER,
    MAX_WALL,
    SERVER_NODE,
    ZERO,
    Hlc,
    InvalidHlc,
    clamp,
    compare,
    format_hlc,
    is_valid,
    node_of,
    parse,
    receive,
    tick,
)

__all__ = [
    "MAX_COUNTER",
    "MAX_WALL",
    "SERVER_NODE",
    "ZERO",
    "Hlc",
    "InvalidHlc",
    "clamp",
    "compare",
    "format_hlc",
    "is_valid",
    "node_of",
    "parse",
    "receive",
    "tick",
]
