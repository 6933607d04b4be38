"""The hybrid logical clock (wangge_protocol/hlc.py, used by the server and the Python
client): text form, order, tick/receive, the clamp on a fast clock, and the case table
web/static/js/hlc.js is checked against too (tests/e2e/test_hlc.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from wangge_protocol import hlc

NODE = "a1b2c3d4"
T = 1_795_000_000_000


def h(wall: int, counter: int = 0, node: str = NODE) -> str:
    return str(hlc.Hlc(wall, counter, node))


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("1795000000000:0000:a1b2c3d4", True),
        ("1795000000000:00ff:00000000", True),
        ("0000000000000:0000:00000000", True),
        ("179500000000:0000:a1b2c3d4", False),  # 12 digits
        ("1795000000000:000:a1b2c3d4", False),
        ("1795000000000:0000:A1B2C3D4", False),  # upper case hex
        ("1795000000000:0000:a1b2c3d", False),
        ("1795000000000-0000-a1b2c3d4", False),
        ("", False),
        ("x" * 27, False),
    ],
)
def test_parse_accepts_only_the_protocol_form(text: str, valid: bool) -> None:
    assert hlc.is_valid(text) is valid
    if valid:
        assert str(hlc.parse(text)) == text
    else:
        with pytest.raises(hlc.InvalidHlc):
            hlc.parse(text)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (h(T), h(T), 0),
        (h(T), h(T + 1), -1),
        (h(T, 2), h(T, 1), 1),
        (h(T, 0xFFFF), h(T + 1, 0), -1),  # string order is clock order at the boundary
        (h(T, 1, "00000001"), h(T, 1, "00000002"), -1),  # node breaks ties
        ("", h(0), -1),  # never written sorts first
        ("", "", 0),
    ],
)
def test_compare_is_clock_order(a: str, b: str, expected: int) -> None:
    assert hlc.compare(a, b) == expected
    assert hlc.compare(b, a) == -expected


@pytest.mark.parametrize(
    ("last", "now", "expected"),
    [
        ("", T, h(T)),
        (h(T), T + 5, h(T + 5)),  # wall moved on: counter resets
        (h(T, 3), T, h(T, 4)),  # same ms: counter
        (h(T + 100, 3), T, h(T + 100, 4)),  # the wall clock went back: stay ahead
        (h(T, 0xFFFF), T, h(T + 1, 0)),  # counter overflow carries into the wall
    ],
)
def test_tick_is_monotone(last: str, now: int, expected: str) -> None:
    assert hlc.tick(last, now, NODE) == expected
    assert hlc.compare(hlc.tick(last, now, NODE), last) > 0


@pytest.mark.parametrize(
    ("last", "remote", "now", "expected"),
    [
        (h(T), h(T + 50, 7, "ffffffff"), T + 10, h(T + 50, 8)),
        (h(T + 50, 2), h(T + 50, 7, "ffffffff"), T, h(T + 50, 8)),
        (h(T + 50, 9), h(T + 50, 7, "ffffffff"), T, h(T + 50, 10)),
        (h(T + 60, 1), h(T + 50, 7, "ffffffff"), T, h(T + 60, 2)),
        (h(T), h(T, 0, "ffffffff"), T + 99, h(T + 99)),
        ("", h(T, 4, "ffffffff"), 0, h(T, 5)),
        (h(T), "", T + 1, h(T + 1)),
    ],
)
def test_receive_goes_past_both_clocks(last: str, remote: str, now: int, expected: str) -> None:
    got = hlc.receive(last, remote, now, NODE)
    assert got == expected
    assert hlc.compare(got, last) > 0
    if remote:
        assert hlc.compare(got, remote) > 0


YEAR_MS = 365 * 24 * 3600 * 1000


@pytest.mark.parametrize(
    ("text", "now", "lead", "expected"),
    [
        (h(T), T, 300_000, h(T)),  # honest clock: untouched
        (h(T + 300_000, 5), T, 300_000, h(T + 300_000, 5)),  # exactly at the bound
        (h(T + 300_001, 5), T, 300_000, h(T + 300_000, 5)),  # just past: clamped
        (h(T + YEAR_MS, 2), T, 300_000, h(T + 300_000, 2)),  # a year fast
        (h(T - YEAR_MS), T, 300_000, h(T - YEAR_MS)),  # a slow clock is not raised
    ],
)
def test_clamp_bounds_how_far_a_device_may_lead(
    text: str, now: int, lead: int, expected: str
) -> None:
    assert hlc.clamp(text, now, lead) == expected


def test_a_year_fast_edit_loses_to_a_later_honest_one() -> None:
    fast = hlc.clamp(h(T + YEAR_MS, 0, "0000000f"), T, 300_000)
    honest = h(T + 600_000, 0, "00000001")  # ten minutes later, honest clock
    assert hlc.compare(honest, fast) > 0


def test_node_of() -> None:
    assert hlc.node_of(h(T)) == NODE
    assert hlc.node_of("") == ""
    assert hlc.format_hlc(T, 0xAB, NODE) == f"{T}:00ab:{NODE}"


CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).resolve().parents[1] / "e2e" / "data" / "hlc_cases.json").read_text(
        encoding="utf-8"
    )
)["cases"]

PYTHON: dict[str, Callable[..., Any]] = {
    "tick": hlc.tick,
    "receive": hlc.receive,
    "compare": hlc.compare,
    "parse": lambda text: [(p := hlc.parse(text)).wall, p.counter, p.node],
}


def test_the_table_covers_overflow_skew_remote_clocks_and_ties() -> None:
    assert {c["fn"] for c in CASES} == set(PYTHON)
    whys = " | ".join(c["why"] for c in CASES)
    for topic in ("overflow", "behind", "ahead", "server's time", "equal walls", "node"):
        assert topic in whys, topic


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['fn']}: {c['why']}")
def test_python_hlc_matches_the_table(case: dict[str, Any]) -> None:
    got = PYTHON[case["fn"]](*case["args"])
    assert got == case["expected"]
    if case["fn"] in ("tick", "receive"):
        assert hlc.is_valid(got)
        assert hlc.compare(got, case["args"][0]) > 0
    if case["fn"] == "receive" and case["args"][1]:
        assert hlc.compare(got, case["args"][1]) > 0


def test_a_run_of_ticks_in_one_millisecond_stays_valid_and_monotone() -> None:
    last = ""
    for _ in range(hlc.MAX_COUNTER + 10):
        stamp = hlc.tick(last, T, NODE)
        assert hlc.is_valid(stamp)
        assert stamp > last
        last = stamp
    assert last == h(T + 1, 8)
