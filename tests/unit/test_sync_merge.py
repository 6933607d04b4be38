"""Field-level merge rules (server/sync/merge.py), as a table of cases."""

from __future__ import annotations

from typing import Any

import pytest

from server.sync.merge import MergeResult, Version, merge_fields, version_of

A = "a0000000"  # the node of the device sending the mutation
B = "b0000000"  # another device's node
DEV_A = "a" * 32  # the devices as the server authenticated them (Device.id.hex)
DEV_B = "b" * 32
T = 1_795_000_000_000


def h(wall: int, node: str = A, counter: int = 0) -> str:
    return f"{wall:013d}:{counter:04x}:{node}"


CURRENT = {"name": "张三", "phone": "1", "measure": "none", "notes": ""}
VERSIONS = {
    "name": [5, h(T, B), 2, DEV_B],
    "phone": [8, h(T + 10, B), 2, DEV_B],
    "measure": [9, h(T + 20, B), 2, DEV_B],
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
    result = merge_fields(CURRENT, VERSIONS, base, data, hlc, CRITICAL, DEV_A)
    assert result.apply == apply
    assert result.status == status
    assert sorted(c.field for c in result.conflicts) == sorted(conflicted)


def test_conflict_records_both_sides() -> None:
    result = merge_fields(CURRENT, VERSIONS, 6, {"phone": "2"}, h(T + 30), CRITICAL)
    (c,) = result.conflicts
    assert (c.kept_value, c.proposed_value) == ("1", "2")
    assert c.kept == Version(8, h(T + 10, B), 2, DEV_B)
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
    result = merge_fields(CURRENT, VERSIONS, 5, {"phone": "3"}, h(T + 40, B), CRITICAL, DEV_B)
    assert result == MergeResult(apply={"phone": "3"})


@pytest.mark.parametrize("critical", [True, False])
def test_the_same_device_is_the_authenticated_one_not_the_clocks_node(critical: bool) -> None:
    # Device A stamps its edit with B's node: it is still A's edit, concurrent with B's.
    fields = CRITICAL | {"phone"} if critical else CRITICAL
    result = merge_fields(CURRENT, VERSIONS, 5, {"phone": "3"}, h(T + 40, B), fields, DEV_A)
    assert result.status == ("conflict" if critical else "merged")
    assert [c.field for c in result.conflicts] == ["phone"]


@pytest.mark.parametrize("device", [DEV_B, None])
def test_a_version_without_a_device_is_never_the_same_device(device: str | None) -> None:
    # Stored before the device was kept (three elements), or a mutation without a device.
    legacy = {"phone": [8, h(T + 10, B), 2]}
    result = merge_fields(CURRENT, legacy, 5, {"phone": "3"}, h(T + 40, B), CRITICAL, device)
    assert result.status == "merged"
    assert [c.field for c in result.conflicts] == ["phone"]


def test_merge_is_deterministic_whatever_the_order_of_data() -> None:
    data = {"phone": "2", "name": "李四", "measure": "hospital"}
    one = merge_fields(CURRENT, VERSIONS, 6, data, h(T + 30), CRITICAL, DEV_A)
    two = merge_fields(
        CURRENT, VERSIONS, 6, dict(reversed(data.items())), h(T + 30), CRITICAL, DEV_A
    )
    assert one.apply == two.apply
    assert {c.field for c in one.conflicts} == {c.field for c in two.conflicts}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ([3, "x", 7, "d" * 32], Version(3, "x", 7, "d" * 32)),
        ([3, "x", None, None], Version(3, "x", None, None)),
        ([3, "x", 7], Version(3, "x", 7)),
        ([3, "x"], Version(3, "x", None)),
        (None, Version()),
        ("junk", Version()),
        ([1], Version()),
    ],
)
def test_version_of(raw: Any, expected: Version) -> None:
    assert version_of({"f": raw}, "f") == expected
