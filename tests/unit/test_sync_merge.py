"""Field-level merge rules (server/sync/merge.py), as a table of cases."""

from __future__ import annotations

from typing import Any

import pytest

from server.sync.merge import MergeResult, Version, merge_fields, version_of

A = "a0000000"  # the device sending the mutation
B = "b0000000"  # another device
T = 1_795_000_000_000


def h(wall: int, node: str = A, counter: int = 0) -> str:
    return f"{wall:013d}:{counter:04x}:{node}"


CURRENT = {"name": "张三", "phone": "1", "measure": "none", "notes": ""}
VERSIONS = {
    "name": [5, h(T, B), 2],
    "phone": [8, h(T + 10, B), 2],
    "measure": [9, h(T + 20, B), 2],
    # notes never written: [0, ""]
}
CRITICAL = frozenset({"measure"})

CASES: list[tuple[str, int | None, dict[str, Any], str, dict[str, Any], str, list[str]]] = [
    # id, base, data, hlc, expected apply, expected status, expected conflict fields
    ("saw the latest", 9, {"phone": "2"}, h(T + 30), {"phone": "2"}, "applied", []),
    ("field older than base", 6, {"name": "李四"}, h(T + 1), {"name": "李四"}, "applied", []),
    ("never written field", 0, {"notes": "x"}, h(T), {"notes": "x"}, "applied", []),
    ("equal, sequential", 9, {"phone": "1"}, h(T + 30), {}, "applied", []),
    ("concurrent, equal", 6, {"phone": "1"}, h(T + 30), {}, "merged", []),
    ("concurrent, newer wins", 6, {"phone": "2"}, h(T + 30), {"phone": "2"}, "merged", ["phone"]),
    ("concurrent, older loses", 6, {"phone": "2"}, h(T + 5), {}, "merged", ["phone"]),
    ("critical held", 6, {"measure": "home_quarantine"}, h(T + 99), {}, "conflict", ["measure"]),
    ("critical equal", 6, {"measure": "none"}, h(T + 99), {}, "merged", []),
    (
        "critical sequential",
        9,
        {"measure": "hospital"},
        h(T),
        {"measure": "hospital"},
        "applied",
        [],
    ),
    (
        "critical held, the rest applies",
        6,
        {"measure": "hospital", "name": "王五", "phone": "3"},
        h(T + 99),
        {"name": "王五", "phone": "3"},
        "conflict",
        ["measure", "phone"],
    ),
    ("no base is base 0", None, {"name": "李四"}, h(T + 99), {"name": "李四"}, "merged", ["name"]),
]


@pytest.mark.parametrize(
    ("base", "data", "hlc", "apply", "status", "conflicted"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_merge_table(
    base: int | None,
    data: dict[str, Any],
    hlc: str,
    apply: dict[str, Any],
    status: str,
    conflicted: list[str],
) -> None:
    result = merge_fields(CURRENT, VERSIONS, base, data, hlc, CRITICAL)
    assert result.apply == apply
    assert result.status == status
    assert sorted(c.field for c in result.conflicts) == sorted(conflicted)


def test_conflict_records_both_sides() -> None:
    result = merge_fields(CURRENT, VERSIONS, 6, {"phone": "2"}, h(T + 30), CRITICAL)
    (c,) = result.conflicts
    assert (c.kept_value, c.proposed_value) == ("1", "2")
    assert c.kept == Version(8, h(T + 10, B), 2)
    assert (c.status, c.winner, c.resolution_value, c.critical) == (
        "auto_resolved",
        "proposed",
        "2",
        False,
    )
    lost = merge_fields(CURRENT, VERSIONS, 6, {"phone": "2"}, h(T + 5), CRITICAL).conflicts[0]
    assert (lost.winner, lost.resolution_value) == ("kept", "1")


def test_a_held_critical_field_keeps_the_current_value() -> None:
    result = merge_fields(CURRENT, VERSIONS, 6, {"measure": "hospital"}, h(T + 99), CRITICAL)
    assert result.held == ("measure",)
    (c,) = result.conflicts
    assert (c.status, c.winner, c.resolution_value) == ("pending", "kept", "none")


def test_the_same_devices_queued_edits_are_sequential() -> None:
    # Device B wrote phone at rev 8 and edits it again before learning that rev: its base is
    # older than its own write, yet this is no conflict.
    result = merge_fields(CURRENT, VERSIONS, 5, {"phone": "3"}, h(T + 40, B), CRITICAL)
    assert result == MergeResult(apply={"phone": "3"})


def test_merge_is_deterministic_whatever_the_order_of_data() -> None:
    data = {"phone": "2", "name": "李四", "measure": "hospital"}
    one = merge_fields(CURRENT, VERSIONS, 6, data, h(T + 30), CRITICAL)
    two = merge_fields(CURRENT, VERSIONS, 6, dict(reversed(data.items())), h(T + 30), CRITICAL)
    assert one.apply == two.apply
    assert {c.field for c in one.conflicts} == {c.field for c in two.conflicts}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ([3, "x", 7], Version(3, "x", 7)),
        ([3, "x"], Version(3, "x", None)),
        (None, Version()),
        ("junk", Version()),
        ([1], Version()),
    ],
)
def test_version_of(raw: Any, expected: Version) -> None:
    assert version_of({"f": raw}, "f") == expected
