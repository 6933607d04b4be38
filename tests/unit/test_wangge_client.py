"""The Python sync client (wangge_client) against a scripted server (httpx.MockTransport):
no database.

The client's behaviour with the real engine is covered by tests/integration/
test_sync_properties.py; here each rule of docs/sync-protocol.md the client must follow
gets a test that fails if the client breaks it.
"""

from __future__ import annotations

import gzip
import itertools
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

import wangge_client
from wangge_client import (
    AuthError,
    DeviceClock,
    OrderedIds,
    SyncClient,
    SyncError,
    UpgradeRequired,
)
from wangge_protocol import hlc

DEVICE = "0a1b2c3d-0000-4000-8000-000000000001"
Answer = Callable[[dict[str, Any]], httpx.Response]


class FakeServer:
    """Records decoded requests and answers each with the next scripted response."""

    def __init__(self, *answers: Answer | dict[str, Any]) -> None:
        self.answers = list(answers)
        self.requests: list[dict[str, Any]] = []
        self.raw: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.raw.append(request)
        body = request.content
        if request.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        decoded = msgspec.json.decode(body)
        self.requests.append(decoded)
        answer = self.answers.pop(0) if self.answers else ok()
        if callable(answer):
            return answer(decoded)
        return httpx.Response(200, content=msgspec.json.encode(answer))


def ok(**fields: Any) -> dict[str, Any]:
    return {"protocol": 1, "server_time": 1_800_000_000_000, "cursor": "c1", **fields}


def applied_all(rev0: int = 10, **fields: Any) -> Answer:
    def answer(req: dict[str, Any]) -> httpx.Response:
        results = [
            {"id": m["id"], "status": "applied", "rev": rev0 + i}
            for i, m in enumerate(req["mutations"])
        ]
        body = ok(results=results, **fields)
        return httpx.Response(200, content=msgspec.json.encode(body))

    return answer


def make(server: FakeServer, **kwargs: Any) -> SyncClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(server), base_url="http://t")
    return SyncClient(http, "tok", device_id=DEVICE, **kwargs)


def test_view_replays_the_outbox_on_the_snapshot() -> None:
    client = make(FakeServer())
    client.snapshot["households"] = {"h1": {"id": "h1", "rev": 3, "head_name": "王", "notes": ""}}
    client.put("households", "h1", {"notes": "x"})
    new = client.put("households", None, {"head_name": "李"})
    client.delete("households", "h1")
    view = client.view("households")
    assert set(view) == {new}
    assert view[new] == {"id": new, "rev": None, "head_name": "李"}
    # the snapshot itself is untouched until the server confirms
    assert client.snapshot["households"]["h1"]["notes"] == ""


def test_put_carries_the_snapshot_rev_as_base_and_only_changed_fields() -> None:
    client = make(FakeServer())
    client.snapshot["persons"] = {"p1": {"id": "p1", "rev": 7, "name": "a", "notes": ""}}
    client.put("persons", "p1", {"notes": "n"})
    client.put("persons", "p2", {"name": "b"})
    edit, create = client.outbox
    assert edit["base"] == 7
    assert edit["data"] == {"notes": "n"}
    assert "base" not in create  # a new record: base null, left out to save bytes
    assert edit["hlc"] < create["hlc"]


def test_hlc_text_form_orders_as_strings_and_survives_a_stuck_clock() -> None:
    clock = DeviceClock("0a1b2c3d", now=lambda: 1_700_000_000_000)
    a, b = clock.tick(), clock.tick()
    assert a == "1700000000000:0000:0a1b2c3d"
    assert b == "1700000000000:0001:0a1b2c3d"
    # The server's time is ahead of the stuck clock: the next edit is stamped past it.
    clock.observe(1_700_000_000_500)
    assert clock.text() == "1700000000500:0001:0a1b2c3d"  # past the server's :0000:00000000
    assert clock.tick() == "1700000000500:0002:0a1b2c3d"
    assert a < b < clock.text()


def test_65536_edits_in_one_millisecond_stay_valid_for_the_server() -> None:
    """The counter has four hex digits: past 0xffff it carries into the wall time, as the
    server's clock does, instead of growing a fifth digit the server would reject."""
    client = make(FakeServer(), now=lambda: 1_700_000_000_000)
    for _ in range(hlc.MAX_COUNTER + 3):
        client.put("checks", None, {"slot": "morning"})
    stamps = [m["hlc"] for m in client.outbox]
    assert all(hlc.is_valid(s) for s in stamps)
    assert all(a < b for a, b in itertools.pairwise(stamps))
    assert stamps[hlc.MAX_COUNTER] == "1700000000000:ffff:0a1b2c3d"
    assert stamps[hlc.MAX_COUNTER + 1] == "1700000000001:0000:0a1b2c3d"
    client.hlc.observe(1_700_000_000_000)  # the server's time behind the carried clock
    assert hlc.is_valid(client.hlc.text())
    assert client.hlc.text() > stamps[-1]


def test_the_client_ticks_with_the_servers_clock_functions() -> None:
    from server.sync import hlc as server_hlc

    assert server_hlc.tick is hlc.tick
    assert server_hlc.receive is hlc.receive
    assert server_hlc.is_valid is hlc.is_valid


async def test_sync_pushes_oldest_first_and_confirms_applied_records() -> None:
    server = FakeServer(applied_all(rev0=20))
    client = make(server)
    client.cursor = "c0"
    rid = client.put("households", None, {"head_name": "王"})
    client.put("households", rid, {"notes": "n"})
    summary = await client.sync()
    sent = server.requests[0]
    assert [m["data"] for m in sent["mutations"]] == [{"head_name": "王"}, {"notes": "n"}]
    assert sent["cursor"] == "c0"
    assert sent["pending"] == 2
    assert summary.results == {"applied": 2}
    assert client.outbox == []
    assert client.snapshot["households"][rid] == {
        "id": rid,
        "head_name": "王",
        "notes": "n",
        "rev": 21,
    }
    assert client.cursor == "c1"


async def test_changes_replace_records_and_removals_drop_them() -> None:
    changes = {"persons": {"cols": ["id", "rev", "name"], "rows": [["p1", 5, "a"], ["p2", 6, "b"]]}}
    server = FakeServer(
        ok(changes=changes),
        ok(cursor="c2", removed={"persons": ["p1"]}),
    )
    client = make(server)
    first = await client.sync()
    assert first.rows == 2
    assert client.snapshot["persons"]["p2"] == {"id": "p2", "rev": 6, "name": "b"}
    await client.sync()
    assert set(client.snapshot["persons"]) == {"p2"}
    assert server.requests[1]["cursor"] == "c1"


async def test_an_older_row_does_not_overwrite_a_newer_own_confirmation() -> None:
    def answer(req: dict[str, Any]) -> httpx.Response:
        (m,) = req["mutations"]
        page = {"cols": ["id", "rev", "notes"], "rows": [[m["rid"], 4, "old"]]}
        body = ok(results=[{"id": m["id"], "status": "applied", "rev": 9}], changes={"x": page})
        return httpx.Response(200, content=msgspec.json.encode(body))

    client = make(FakeServer(answer))
    client.cursor = "c0"
    rid = client.put("x", None, {"notes": "mine"})
    await client.sync()
    assert client.snapshot["x"][rid] == {"id": rid, "notes": "mine", "rev": 9}


async def test_a_first_sync_takes_records_from_the_snapshot_not_from_own_data() -> None:
    """With cursor null the snapshot carries what is in scope; a replayed write to a record
    that has left the scope must not linger as an own confirmation."""
    server = FakeServer(applied_all(rev0=5))
    client = make(server)
    rid = client.put("households", None, {"head_name": "王"})
    gone = client.put("households", None, {"head_name": "李"})
    client.delete("households", gone)
    await client.sync()
    assert client.outbox == []
    assert rid not in client.snapshot.get("households", {})
    assert gone not in client.snapshot.get("households", {})


async def test_rejected_mutations_leave_the_outbox_for_the_rejected_list() -> None:
    def answer(req: dict[str, Any]) -> httpx.Response:
        m = req["mutations"][0]
        result = {"id": m["id"], "status": "rejected", "code": "out_of_scope", "message": "no"}
        return httpx.Response(200, content=msgspec.json.encode(ok(results=[result])))

    client = make(FakeServer(answer))
    client.put("households", None, {"head_name": "王"})
    summary = await client.sync()
    assert client.outbox == []
    assert client.rejected[0]["code"] == "out_of_scope"
    assert summary.rejected == client.rejected
    assert "households" not in client.snapshot


async def test_merged_and_conflict_wait_for_the_server_copy() -> None:
    def answer(req: dict[str, Any]) -> httpx.Response:
        a, b = req["mutations"]
        results = [
            {"id": a["id"], "status": "merged", "rev": 3, "conflicts": ["k1"]},
            {"id": b["id"], "status": "conflict", "rev": 4, "held": ["measure"]},
        ]
        page = {"cols": ["id", "rev", "measure"], "rows": [["p1", 4, "none"]]}
        body = ok(results=results, changes={"persons": page})
        return httpx.Response(200, content=msgspec.json.encode(body))

    client = make(FakeServer(answer))
    client.snapshot["persons"] = {"p1": {"id": "p1", "rev": 2, "measure": "none"}}
    client.put("persons", "p1", {"notes": "n"})
    client.put("persons", "p1", {"measure": "home_quarantine"})
    summary = await client.sync()
    assert summary.results == {"merged": 1, "conflict": 1}
    assert summary.conflicts == ["k1"]
    assert client.outbox == []
    assert client.snapshot["persons"]["p1"] == {"id": "p1", "rev": 4, "measure": "none"}


async def test_a_lost_response_keeps_everything_and_the_retry_sends_the_same_ids() -> None:
    server = FakeServer(applied_all(), applied_all())
    client = make(server)
    client.put("visits", None, {"outcome": "visited"})
    lost = await client.sync(lose_response=True)
    assert lost.lost
    assert len(client.outbox) == 1
    assert client.cursor is None
    client.put("visits", None, {"outcome": "refused"})
    await client.sync()
    first, retry = server.requests
    assert retry["mutations"][0]["id"] == first["mutations"][0]["id"]
    assert len(retry["mutations"]) == 2
    assert client.outbox == []


async def test_reset_drops_snapshot_and_cursor_but_keeps_the_outbox() -> None:
    server = FakeServer(ok(cursor="c9", reset="horizon"))
    client = make(server)
    client.cursor = "c5"
    client.snapshot["households"] = {"h1": {"id": "h1", "rev": 1}}
    client.put("households", "h1", {"notes": "keep me"})
    summary = await client.sync(pull=True)
    # the scripted server acknowledged nothing, so the edit must still be queued
    assert summary.reset == "horizon"
    assert client.snapshot == {}
    assert client.cursor is None
    assert [m["data"] for m in client.outbox] == [{"notes": "keep me"}]


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [(426, "protocol_unsupported", UpgradeRequired), (401, "device_revoked", AuthError)],
)
async def test_whole_request_errors_raise_and_keep_the_outbox(
    status: int, code: str, error: type[SyncError]
) -> None:
    body = {"error": {"code": code, "message": "update the app"}}
    server = FakeServer(lambda _req: httpx.Response(status, content=msgspec.json.encode(body)))
    client = make(server)
    client.put("households", None, {"head_name": "王"})
    with pytest.raises(error) as caught:
        await client.sync()
    assert caught.value.code == code
    assert caught.value.status == status
    assert len(client.outbox) == 1


async def test_a_transport_failure_keeps_the_outbox() -> None:
    def boom(_req: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("no signal")

    http = httpx.AsyncClient(transport=httpx.MockTransport(boom), base_url="http://t")
    client = SyncClient(http, "tok", device_id=DEVICE)
    client.put("households", None, {"head_name": "王"})
    with pytest.raises(httpx.ConnectError):
        await client.sync()
    assert len(client.outbox) == 1


async def test_bodies_above_the_threshold_are_gzipped() -> None:
    server = FakeServer(applied_all(), applied_all())
    client = make(server, gzip_min_bytes=400)
    await client.sync()
    assert "content-encoding" not in server.raw[0].headers
    for _ in range(20):
        client.put("checks", None, {"temperature": 36.6, "slot": "morning"})
    summary = await client.sync()
    request = server.raw[1]
    assert request.headers["content-encoding"] == "gzip"
    assert request.headers["authorization"] == "Bearer tok"
    assert summary.bytes_up == len(request.content) < len(gzip.decompress(request.content))


async def test_gzip_responses_are_decoded_and_counted_compressed() -> None:
    changes = {
        "x": {"cols": ["id", "rev", "v"], "rows": [[f"r{i}", i, "同" * 20] for i in range(50)]}
    }
    payload = gzip.compress(msgspec.json.encode(ok(changes=changes)))

    def answer(_req: dict[str, Any]) -> httpx.Response:
        # a stream, as from a socket: httpx counts the bytes it reads before decoding
        stream = httpx.ByteStream(payload)
        return httpx.Response(200, stream=stream, headers={"Content-Encoding": "gzip"})

    client = make(FakeServer(answer))
    summary = await client.sync()
    assert summary.rows == 50
    assert summary.bytes_down == len(payload)


async def test_at_most_500_mutations_per_request_and_sync_all_drains_the_rest() -> None:
    server = FakeServer(applied_all(), applied_all())
    client = make(server)
    for _ in range(620):
        client.put("checks", None, {"slot": "morning"})
    report = await client.sync_all()
    assert [len(r["mutations"]) for r in server.requests] == [500, 120]
    assert report.requests == 2
    assert report.total.results == {"applied": 620}
    assert client.outbox == []


async def test_sync_all_follows_more_and_limits_pages() -> None:
    page = {"cols": ["id", "rev"], "rows": [["a", 1]]}
    server = FakeServer(
        ok(changes={"x": page}, more=True), ok(cursor="c2", changes={"x": page}), ok()
    )
    client = make(server)
    report = await client.sync_all(limit=1)
    assert report.requests == 2
    assert [r["limit"] for r in server.requests] == [1, 1]
    assert server.requests[1]["cursor"] == "c1"


async def test_first_is_sent_only_on_a_first_sync() -> None:
    server = FakeServer(ok(), ok())
    client = make(server)
    await client.sync(first=["checks"])
    await client.sync(first=["checks"])
    assert server.requests[0]["first"] == ["checks"]
    assert "first" not in server.requests[1]


async def test_register_uses_the_token_endpoint() -> None:
    device_id = str(uuid.uuid4())

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/auth/token"
        assert msgspec.json.decode(request.content) == {
            "phone": "13800000000",
            "password": "pw",
            "device_name": "phone 1",
        }
        body = {"device_id": device_id, "token": "T", "user": {"id": 1, "role": "grid_worker"}}
        return httpx.Response(200, json=body)

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="http://t")
    client = await SyncClient.register(http, "13800000000", "pw", "phone 1")
    assert client.token == "T"
    assert client.device_id == device_id
    assert client.user["role"] == "grid_worker"


async def test_register_raises_the_server_error() -> None:
    body = {"error": {"code": "bad_credentials", "message": "wrong"}}
    http = httpx.AsyncClient(
        transport=httpx.MockTransport(lambda _r: httpx.Response(401, json=body)),
        base_url="http://t",
    )
    with pytest.raises(AuthError, match="bad_credentials"):
        await SyncClient.register(http, "1", "2", "3")


def test_dump_and_load_keep_the_outbox_and_the_clock() -> None:
    client = make(FakeServer())
    client.snapshot["households"] = {"h1": {"id": "h1", "rev": 1}}
    client.cursor = "c3"
    client.put("households", "h1", {"notes": "n"})
    last = client.hlc.text()
    again = SyncClient.load(client.http, "tok", client.dump())
    assert again.outbox == client.outbox
    assert again.snapshot == client.snapshot
    assert again.cursor == "c3"
    assert again.hlc.text() == last
    assert again.hlc.tick() > last


def test_load_takes_a_store_dumped_by_the_older_client() -> None:
    """That client kept its clock as ``[wall, counter]`` and let the counter overflow."""
    client = make(FakeServer(), now=lambda: 1_700_000_000_000)
    state = msgspec.json.decode(client.dump())
    state["hlc"] = [1_700_000_000_000, 0x10002]
    again = SyncClient.load(client.http, "tok", msgspec.json.encode(state), now=client.now)
    stamp = again.hlc.tick()
    assert hlc.is_valid(stamp)
    assert stamp == "1700000000001:0000:0a1b2c3d"


def test_ordered_ids_are_unique_uuids_that_sort_and_compress() -> None:
    ticks = iter([1_800_000_000_000] * 5000 + [1_800_000_000_500] * 3)
    make_id = OrderedIds(DEVICE, now=lambda: next(ticks))
    ids = [make_id() for _ in range(5003)]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)  # time, then sequence: the order they were made
    for text in ids[:3] + ids[-3:]:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert parsed.version == 8
        assert parsed.variant == uuid.RFC_4122
        assert parsed.hex.endswith(uuid.UUID(DEVICE).hex[-15:])  # the device's low bits
    random_ids = "".join(str(uuid.uuid4()) for _ in range(100)).encode()
    ordered = "".join(ids[:100]).encode()
    assert len(gzip.compress(ordered)) * 4 < len(gzip.compress(random_ids))


def test_ordered_ids_of_two_devices_differ() -> None:
    other = str(uuid.uuid4())
    assert OrderedIds(DEVICE, now=lambda: 1)() != OrderedIds(other, now=lambda: 1)()


@pytest.mark.parametrize(
    "name",
    [
        *sorted(
            {
                n
                for cls in SyncClient.__mro__
                if cls.__module__.startswith("wangge_client")
                for n in vars(cls)
                if not n.startswith("_")
            }
        ),
        *wangge_client.__all__,
        "OrderedIds",
        "SyncSummary",
        "SyncReport",
        "AuthError",
        "UpgradeRequired",
        "SyncError",
        "lose_response",
        "outcomes",
    ],
)
def test_the_client_is_documented(name: str) -> None:
    doc = Path(__file__).resolve().parents[2] / "docs" / "python-client.md"
    assert name in doc.read_text(encoding="utf-8")
