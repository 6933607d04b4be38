"""A first sync's pages (the snapshot): rows of one parent together, compressed harder
(server/sync/feed.py ``cluster``, server/sync/transport.py)."""

from __future__ import annotations

import json
from typing import Any

import brotli
import pytest

from server.registry import REGISTRY
from server.sync import transport
from server.sync.feed import PullResult, cluster
from server.sync.wire import Page, SyncResponse

PERSON_COLS = ["id", "rev", *REGISTRY["persons"].cols]


def _person(pid: str, household: str | None, contact: str | None = None) -> list[Any]:
    row: list[Any] = [None] * len(PERSON_COLS)
    row[0], row[1] = pid, 1
    row[PERSON_COLS.index("household_id")] = household
    row[PERSON_COLS.index("contact_of")] = contact
    return row


def test_rows_of_one_parent_come_together_in_id_order() -> None:
    rows = [
        _person("p1", "h2"),
        _person("p2", "h1"),
        _person("p3", "h2", contact="p1"),
        _person("p4", "h1"),
        _person("p5", "h2"),
        _person("p6", None),
    ]
    policies = [[3, 1, "a"], [1, 1, "b"], [2, 1, "c"]]
    result = PullResult(
        cursor="",
        changes={
            "persons": Page(cols=PERSON_COLS, rows=[list(r) for r in rows]),
            "policies": Page(cols=["id", "rev", "x"], rows=[list(r) for r in policies]),
        },
    )
    cluster(result, REGISTRY)
    assert [r[0] for r in result.changes["persons"].rows] == ["p6", "p2", "p4", "p1", "p5", "p3"]
    assert sorted(map(tuple, result.changes["persons"].rows)) == sorted(map(tuple, rows))
    # a collection without references keeps the order it came in
    assert result.changes["policies"].rows == policies


def _answer() -> SyncResponse:
    rows = [_person(f"{i:08d}-0000-4000-8000-000000000000", f"h{i % 7}") for i in range(200)]
    return SyncResponse(
        protocol=1, server_time=0, cursor="", changes={"persons": Page(PERSON_COLS, rows)}
    )


@pytest.mark.parametrize(
    ("snapshot", "quality"),
    [(True, transport.BROTLI_SNAPSHOT_QUALITY), (False, transport.BROTLI_ANSWER_QUALITY)],
)
def test_snapshot_pages_are_compressed_harder(
    snapshot: bool, quality: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    used: list[int] = []
    real = transport.compress

    def spy(body: bytes, encoding: str, *, quality: int = 5) -> bytes:
        used.append(quality)
        return real(body, encoding, quality=quality)

    monkeypatch.setattr(transport, "compress", spy)
    body, encoding = transport.encode_response(_answer(), "gzip, br", snapshot=snapshot)
    assert encoding == "br"
    assert used == [quality]
    assert json.loads(brotli.decompress(body))["changes"]["persons"]["cols"] == PERSON_COLS
    assert transport.BROTLI_SNAPSHOT_QUALITY > transport.BROTLI_ANSWER_QUALITY
