"""Whole requests: bad bodies, limits, compression, versions, authentication, rollback of
a failing batch, and the device bookkeeping. Every refusal is a 4xx with its code, never a
500, and writes nothing."""

from __future__ import annotations

import gzip
import uuid
import zlib
from functools import cache
from typing import Any

import msgspec
import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError, OperationalError

from server.accounts.models import Device
from server.db import transaction, utcnow
from server.sync import records
from tests.integration.sync_helpers import Dev, count_rows, household, make_world


@cache
def gzip_bomb() -> bytes:
    """100 MB of zeros in ~100 KB of gzip."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = bytes(1 << 20)
    return b"".join(packer.compress(chunk) for _ in range(100)) + packer.flush()


def json_bytes(value: Any) -> bytes:
    return msgspec.json.encode(value)


async def refused(
    dev: Dev, raw: bytes, headers: dict[str, str] | None = None
) -> tuple[int, str, Any]:
    sent = {"Authorization": f"Bearer {dev.token}", "Content-Type": "application/json"}
    sent.update(headers or {})
    response = await dev.client.post("/api/sync", content=raw, headers=sent)
    body = response.json()
    return response.status_code, body["error"]["code"], body["error"].get("detail")


async def test_bad_requests_get_a_coded_4xx_and_write_nothing(db: Any, client: Any) -> None:
    w = await make_world(db)
    dev = w.dev(client, "worker")
    good = household(dev, w.areas["grid"])

    def body(**changes: Any) -> bytes:
        value = dev.body([good])
        value.update(changes)
        return json_bytes({k: v for k, v in value.items() if v is not ...})

    bad_type = dev.body([dict(good, at="yesterday")])
    cases: list[tuple[str, bytes, dict[str, str], int, str]] = [
        ("malformed JSON", b'{"protocol": 1, "schema": 1, "mutations": [', {}, 400, "bad_json"),
        ("not an object", b"[1, 2, 3]", {}, 400, "bad_body"),
        ("no protocol", body(protocol=...), {}, 400, "bad_body"),
        ("wrong type", json_bytes(bad_type), {}, 400, "bad_body"),
        ("clock as text", body(clock="now"), {}, 400, "bad_body"),
        ("negative pending", body(pending=-1), {}, 400, "bad_body"),
        ("zero limit", body(limit=0), {}, 400, "bad_body"),
        ("unknown top field", body(extra=1), {}, 400, "bad_body"),
        ("bad op", json_bytes(dev.body([dict(good, op="upsert")])), {}, 400, "bad_body"),
        (
            "unknown collection",
            json_bytes(dev.body([dict(good, col="pets")])),
            {},
            400,
            "unknown_collection",
        ),
        ("unknown first", body(cursor=None, first=["pets"]), {}, 400, "unknown_collection"),
        ("too many", json_bytes(dev.body([good] * 501)), {}, 400, "too_many_mutations"),
        ("bad cursor", body(cursor="F9.x"), {}, 400, "cursor_invalid"),
        ("old protocol", body(protocol=0), {}, 426, "unsupported_protocol"),
        ("new protocol", body(protocol=2, novelty=True), {}, 426, "unsupported_protocol"),
        ("old schema", body(schema=0), {}, 426, "schema_outdated"),
        (
            "corrupt gzip",
            b"\x1f\x8b\x08\x00garbage",
            {"Content-Encoding": "gzip"},
            400,
            "bad_encoding",
        ),
        (
            "truncated gzip",
            gzip.compress(body())[:-12],
            {"Content-Encoding": "gzip"},
            400,
            "bad_encoding",
        ),
        ("brotli", body(), {"Content-Encoding": "br"}, 400, "bad_encoding"),
        ("gzip bomb", gzip_bomb(), {"Content-Encoding": "gzip"}, 413, "body_too_large"),
        ("10 MB", b" " * (10 * 1024 * 1024) + body(), {}, 413, "body_too_large"),
        (
            "gzipped 9 MB",
            gzip.compress(body() + b" " * (9 * 1024 * 1024)),
            {"Content-Encoding": "gzip"},
            413,
            "body_too_large",
        ),
    ]
    before = await count_rows(db)
    for name, raw, headers, status, code in cases:
        got = await refused(dev, raw, headers)
        assert got[:2] == (status, code), f"{name}: {got}"
    assert await count_rows(db) == before
    # the refusals say what was wrong
    assert (await refused(dev, json_bytes(bad_type)))[2] == {"path": "$.mutations[0].at"}
    assert (await refused(dev, body(schema=0)))[2] == {"supported": [1]}
    # and the same body, well formed and gzipped, goes through
    ok = await dev.post(dev.body([good]), gzipped=True)
    assert ok.status_code == 200, ok.text
    assert ok.json()["results"][0]["status"] == "applied"


async def test_authentication(db: Any, client: Any) -> None:
    w = await make_world(db)
    dev = w.dev(client, "worker")
    raw = json_bytes(dev.body([household(dev, w.areas["grid"])]))
    before = await count_rows(db)
    nobody = await client.post("/api/sync", content=raw)
    assert (nobody.status_code, nobody.json()["error"]["code"]) == (401, "unauthorized")
    stranger = await client.post(
        "/api/sync", content=raw, headers={"Authorization": "Bearer not-a-token"}
    )
    assert (stranger.status_code, stranger.json()["error"]["code"]) == (401, "unauthorized")
    async with transaction(db) as s:
        await s.execute(
            update(Device).where(Device.id == dev.device_id).values(revoked_at=utcnow())
        )
    revoked = await dev.post(raw)
    assert (revoked.status_code, revoked.json()["error"]["code"]) == (401, "device_revoked")
    assert await count_rows(db) == before


async def test_a_failing_batch_is_rolled_back_whole(
    db: Any, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = await make_world(db)
    dev = w.dev(client, "worker")
    await dev.sync()
    before = await count_rows(db)
    real_write = records.Writer.write
    calls = {"n": 0}

    async def failing_write(self: Any, *args: Any, **kwargs: Any) -> int:
        calls["n"] += 1
        if calls["n"] % 2 == 0:  # the second write of every attempt
            raise IntegrityError("UPDATE households ...", {}, Exception("simulated"))
        return await real_write(self, *args, **kwargs)

    monkeypatch.setattr(records.Writer, "write", failing_write)
    h = household(dev, w.areas["grid"])
    edits = [dev.put("households", h["rid"], notes="x"), dev.put("households", h["rid"], notes="y")]
    response = await dev.post(dev.body([h, *edits]))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "write_conflict"
    assert calls["n"] == 6  # three attempts, each failing on its second write
    assert await count_rows(db) == before  # not even the first mutation stayed

    async def lost_database(self: Any, *args: Any, **kwargs: Any) -> int:
        raise OperationalError("UPDATE households ...", {}, Exception("connection refused"))

    monkeypatch.setattr(records.Writer, "write", lost_database)
    response = await dev.post(dev.body([h, *edits]))
    assert (response.status_code, response.json()["error"]["code"]) == (503, "unavailable")
    assert await count_rows(db) == before
    monkeypatch.setattr(records.Writer, "write", real_write)
    retried = await dev.post(dev.body([h, *edits]))  # the same request, sent again
    assert [r["status"] for r in retried.json()["results"]] == ["applied"] * 3


async def test_compression_and_bookkeeping(db: Any, client: Any) -> None:
    w = await make_world(db)
    dev = w.dev(client, "worker")
    mutations = [household(dev, w.areas["grid"]) for _ in range(20)]
    raw = json_bytes(dev.body(mutations, pending=37, app="web/9.9"))
    response = await client.post(
        "/api/sync",
        content=gzip.compress(raw),
        headers={
            "Authorization": f"Bearer {dev.token}",
            "Content-Encoding": "gzip",
            "Accept-Encoding": "gzip",
        },
    )
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["cache-control"] == "no-store"
    answer = response.json()  # httpx inflates it
    assert len(answer["results"]) == 20
    plain = await client.post(
        "/api/sync",
        content=json_bytes(dev.body(cursor=answer["cursor"])),
        headers={"Authorization": f"Bearer {dev.token}", "Accept-Encoding": "identity"},
    )
    assert "content-encoding" not in plain.headers
    async with db() as s:
        device = await s.get(Device, dev.device_id)
    assert device is not None
    assert device.app_version == "test/1"  # from the last request
    assert device.last_sync_at is not None
    assert device.last_seen_at == device.last_sync_at
    assert device.schema_version == 1
    assert device.pending_count == 0
    assert device.clock_offset_ms is not None
    assert abs(device.clock_offset_ms) < 60_000
    assert device.last_cursor == int(answer["cursor"].split(".")[-1])
    uuid.UUID(str(device.id))


def with_deep_value(value: Any, depth: int) -> bytes:
    """``value`` as JSON with its string "DEEP" replaced by arrays and objects nested
    ``depth`` levels (built as text: no encoder nests that deep)."""
    opens = b"".join(b'{"k":' if level % 2 else b"[" for level in range(depth))
    closes = b"".join(b"}" if level % 2 else b"]" for level in reversed(range(depth)))
    return json_bytes(value).replace(b'"DEEP"', opens + b"1" + closes)


async def test_deeply_nested_json_is_400_not_500(db: Any, client: Any) -> None:
    w = await make_world(db)
    dev = w.dev(client, "worker")
    sup = {
        "Authorization": f"Bearer {w.tokens['supervisor'][0]}",
        "Content-Type": "application/json",
    }
    before = await count_rows(db)
    for depth in (1_000, 10_000, 32):  # the body's own levels come on top
        body = dev.body([household(dev, w.areas["grid"], notes="DEEP")])
        assert (await refused(dev, with_deep_value(body, depth)))[:2] == (400, "bad_json")
        assert (await refused(dev, with_deep_value(dict(body, app="DEEP"), depth)))[:2] == (
            400,
            "bad_json",
        )
        decision = await client.post(
            f"/api/conflicts/{uuid.uuid4()}/decision",
            content=with_deep_value({"action": "edit", "value": "DEEP"}, depth),
            headers=sup,
        )
        assert (decision.status_code, decision.json()["error"]["code"]) == (400, "bad_json")
    assert await count_rows(db) == before
    # within the limit the body is read, and the value is judged by the field's rules
    body = dev.body([household(dev, w.areas["grid"], notes="DEEP")])
    answer = (await dev.post(with_deep_value(body, 20))).json()
    assert (answer["results"][0]["status"], answer["results"][0]["field"]) == (
        "rejected",
        "notes",
    )


@pytest.mark.parametrize(
    "query",
    [
        "before=99999999999999999999999",
        "before=9223372036854775808",
        "before=0",
        "before=-5",
        "before=x",
        "limit=0",
        "limit=201",
        "limit=99999999999999999999999",
        "limit=-1",
    ],
)
async def test_conflict_list_bounds_its_numbers(db: Any, client: Any, query: str) -> None:
    w = await make_world(db)
    sup = {"Authorization": f"Bearer {w.tokens['supervisor'][0]}"}
    response = await client.get(f"/api/conflicts?{query}", headers=sup)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "bad_request"
    assert query.split("=")[0] in str(error), error
    largest = await client.get("/api/conflicts?before=9223372036854775807&limit=200", headers=sup)
    assert (largest.status_code, largest.json()["items"]) == (200, [])
