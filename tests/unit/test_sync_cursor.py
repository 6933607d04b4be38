"""Opaque cursors: what the server writes it can read back, and nothing else."""

from __future__ import annotations

import pytest

from server.sync import cursor as c


@pytest.mark.parametrize(
    "value",
    [
        c.FeedCursor(scope=1, rev=0),
        c.FeedCursor(scope=7, rev=123_456_789_012),
        c.SnapshotCursor(scope=1, hi=10, order=(0, 1, 2), pos=0),
        c.SnapshotCursor(scope=2, hi=10, order=(5, 0, 13), pos=1, after="9f1c2d4e-8b7a"),
        c.SnapshotCursor(scope=2, hi=10, order=(3,), pos=0, after="42"),
        c.SnapshotCursor(scope=2, hi=0, order=(1, 0), pos=2),
    ],
)
def test_round_trip(value: c.Cursor) -> None:
    text = c.encode(value)
    assert c.decode(text) == value


@pytest.mark.parametrize(
    "text",
    [
        "",
        "F1",
        "F1.1",
        "F1.x.2",
        "F1.1.-2",
        "F1.1.02",  # no leading zeros: one spelling per cursor
        "F2.1.2",
        "S1.1.10.012.0",
        "S1.1.10..0.",  # no collections
        "S1.1.10.00.0.",  # a collection twice
        "S1.1.10.01.3.",  # position past the end
        "S1.1.10.01.2.abc",  # finished, yet an id
        "S1.1.10.01.0.ZZ",  # not an id
        "S1.1.10.0!.0.",
        "F1.1.2" + "0" * 300,
        "1.1.2",
    ],
)
def test_malformed_cursors_are_refused(text: str) -> None:
    with pytest.raises(c.CursorError):
        c.decode(text)


@pytest.mark.parametrize(
    ("value", "rev"),
    [
        (c.FeedCursor(1, 77), 77),
        (c.SnapshotCursor(1, 50, (0,), 0), 50),
    ],
)
def test_rev_of(value: c.Cursor, rev: int) -> None:
    assert c.rev_of(value) == rev


def test_done() -> None:
    assert c.SnapshotCursor(1, 5, (0, 1), 2).done
    assert not c.SnapshotCursor(1, 5, (0, 1), 1).done
