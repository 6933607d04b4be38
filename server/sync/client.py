"""A small Python client of the sync protocol (docs/sync-protocol.md, docs/python-client.md).

It keeps what a phone keeps: a server-confirmed snapshot, an outbox of pending mutations,
the mutations the server rejected, the pull cursor and a hybrid logical clock. What the
user sees is the snapshot with the outbox replayed on top. The transport is any
``httpx.AsyncClient``: a real server over TCP, or Litestar's ``AsyncTestClient`` in tests.

Used by the tests and the benchmarks, and meant for integrators: no server imports beyond
the wire types, so it can be copied out with ``wire.py``.
"""

from __future__ import annotations

import copy
import gzip
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx
import msgspec

from server.sync.wire import MAX_MUTATIONS, PROTOCOL_VERSION, SyncResponse

SCHEMA_VERSION = 1
SYNC_PATH = "/api/sync"
TOKEN_PATH = "/api/auth/token"
#: Bodies below this size are sent plain: gzip's 18-byte frame costs more than it saves.
GZIP_MIN_BYTES = 256

Record = dict[str, Any]


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000


def _uuid4() -> str:
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

    def __init__(self, device_id: str, now: Callable[[], int] = _wall_ms) -> None:
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


class SyncError(Exception):
    """The server refused the whole request (4xx/5xx). The outbox is untouched."""

    def __init__(self, status: int, code: str, message: str, detail: Any = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail


class AuthError(SyncError):
    """401: the token is unknown or the device was revoked; sign in again."""


class UpgradeRequired(SyncError):
    """426: this protocol or schema version is no longer served; update the client.
    The outbox is kept so the updated client sends it."""


class HLC:
    """Hybrid logical clock in the protocol's text form ``WWWWWWWWWWWWW:CCCC:NNNNNNNN``.

    Strings compare in clock order because every part is fixed width.
    """

    def __init__(self, node: str, now: Callable[[], int] = _wall_ms) -> None:
        self.node = node
        self.now = now
        self.wall = 0
        self.count = 0

    def tick(self) -> str:
        wall = self.now()
        if wall > self.wall:
            self.wall, self.count = wall, 0
        else:
            self.count += 1
        return self.text()

    def observe(self, remote_wall_ms: int) -> None:
        """Never stamp an edit before a time already seen from the server."""
        if remote_wall_ms > self.wall:
            self.wall, self.count = remote_wall_ms, 0

    def text(self) -> str:
        return f"{self.wall:013d}:{self.count:04x}:{self.node}"


@dataclass
class SyncSummary:
    """What one ``sync()`` did. Bytes are the bodies as they crossed the wire (compressed)."""

    status: int = 0
    pushed: int = 0
    results: Counter[str] = field(default_factory=Counter)
    outcomes: dict[str, str] = field(default_factory=dict)  # mutation id -> status
    rejected: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    rows: int = 0
    removed: int = 0
    more: bool = False
    reset: str | None = None
    bytes_up: int = 0
    bytes_down: int = 0
    lost: bool = False

    def add(self, other: SyncSummary) -> None:
        self.status = other.status
        self.pushed += other.pushed
        self.results.update(other.results)
        self.outcomes.update(other.outcomes)
        self.rejected.extend(other.rejected)
        self.conflicts.extend(other.conflicts)
        self.rows += other.rows
        self.removed += other.removed
        self.more = other.more
        self.reset = other.reset or self.reset
        self.bytes_up += other.bytes_up
        self.bytes_down += other.bytes_down


@dataclass
class SyncReport:
    """``sync_all()``: every round, and their sum."""

    rounds: list[SyncSummary] = field(default_factory=list)
    total: SyncSummary = field(default_factory=SyncSummary)

    @property
    def requests(self) -> int:
        return len(self.rounds)


def _response_error(response: httpx.Response) -> SyncError:
    code, message, detail = "http_error", response.reason_phrase, None
    try:
        body = msgspec.json.decode(response.content)
        err = body.get("error", {}) if isinstance(body, dict) else {}
        code = str(err.get("code", code))
        message = str(err.get("message", message))
        detail = err.get("detail")
    except msgspec.DecodeError:
        pass
    cls: type[SyncError] = SyncError
    if response.status_code == 401:
        cls = AuthError
    elif response.status_code == 426:
        cls = UpgradeRequired
    return cls(response.status_code, code, message, detail)


class SyncClient:
    """One device: local store + outbox, synced through ``POST /api/sync``.

    ``now`` returns the device's wall clock in ms; pass a skewed one to play a phone whose
    clock is wrong. ``new_id`` makes the ids of new records and mutations (UUID text).
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        token: str,
        *,
        device_id: str,
        user: dict[str, Any] | None = None,
        app: str = "py-client/1",
        schema: int = SCHEMA_VERSION,
        protocol: int = PROTOCOL_VERSION,
        gzip_min_bytes: int = GZIP_MIN_BYTES,
        now: Callable[[], int] = _wall_ms,
        new_id: Callable[[], str] = _uuid4,
        path: str = SYNC_PATH,
    ) -> None:
        self.http = http
        self.token = token
        self.device_id = str(device_id)
        self.user = user or {}
        self.app = app
        self.schema = schema
        self.protocol = protocol
        self.gzip_min_bytes = gzip_min_bytes
        self.now = now
        self.new_id = new_id
        self.path = path
        self.hlc = HLC(uuid.UUID(self.device_id).hex[:8], now)
        self.snapshot: dict[str, dict[str, Record]] = {}
        self.outbox: list[dict[str, Any]] = []
        self.rejected: list[dict[str, Any]] = []
        self.cursor: str | None = None
        self.clock_offset: int | None = None
        self.server_time: int | None = None

    # ---------------------------------------------------------------- sign-in

    @classmethod
    async def register(
        cls,
        http: httpx.AsyncClient,
        phone: str,
        password: str,
        device_name: str,
        **kwargs: Any,
    ) -> SyncClient:
        """Create a device for a user (``POST /api/auth/token``) and return its client."""
        response = await http.post(
            TOKEN_PATH, json={"phone": phone, "password": password, "device_name": device_name}
        )
        if response.status_code >= 400:
            raise _response_error(response)
        body = response.json()
        return cls(
            http, body["token"], device_id=body["device_id"], user=body.get("user"), **kwargs
        )

    # ---------------------------------------------------------------- local edits

    def put(self, col: str, rid: str | None, data: dict[str, Any]) -> str:
        """Queue a create (``rid`` unknown locally, or None for a new id) or a field edit.

        Returns the record id. Only the fields given travel: the merge is per field.
        """
        rid = rid or self.new_id()
        base = self.snapshot.get(col, {}).get(rid, {}).get("rev")
        self._queue(col, rid, "put", base, dict(data))
        return rid

    def delete(self, col: str, rid: str) -> str:
        base = self.snapshot.get(col, {}).get(rid, {}).get("rev")
        return self._queue(col, rid, "del", base, {})

    def _queue(self, col: str, rid: str, op: str, base: int | None, data: dict[str, Any]) -> str:
        mutation: dict[str, Any] = {
            "id": self.new_id(),
            "col": col,
            "rid": rid,
            "op": op,
            "hlc": self.hlc.tick(),
            "at": self.now(),
        }
        if base is not None:
            mutation["base"] = base
        if data:
            mutation["data"] = data
        self.outbox.append(mutation)
        return str(mutation["id"])

    def view(self, col: str) -> dict[str, Record]:
        """The snapshot with the outbox replayed on top: what the user sees."""
        records = copy.deepcopy(self.snapshot.get(col, {}))
        for m in self.outbox:
            if m["col"] != col:
                continue
            if m["op"] == "del":
                records.pop(m["rid"], None)
            else:
                records.setdefault(m["rid"], {"id": m["rid"], "rev": None}).update(
                    m.get("data", {})
                )
        return records

    def get(self, col: str, rid: str) -> Record | None:
        return self.view(col).get(rid)

    # ---------------------------------------------------------------- sync

    def _request(
        self, limit: int | None, pull: bool, first: Iterable[str] | None
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        batch = self.outbox[:MAX_MUTATIONS]
        body: dict[str, Any] = {
            "protocol": self.protocol,
            "schema": self.schema,
            "app": self.app,
            "clock": self.now(),
            "cursor": self.cursor,
            "pending": len(self.outbox),
            "mutations": batch,
        }
        if limit is not None:
            body["limit"] = limit
        if not pull:
            body["pull"] = False
        if first is not None and self.cursor is None:
            body["first"] = list(first)
        return batch, body

    async def sync(
        self,
        *,
        limit: int | None = None,
        pull: bool = True,
        first: Iterable[str] | None = None,
        lose_response: bool = False,
    ) -> SyncSummary:
        """One request: push the oldest ≤ 500 pending mutations, pull changes since the cursor.

        ``lose_response=True`` plays a dropped answer: the server processes the request, the
        client never learns the outcome and keeps its outbox and cursor, so the next sync
        replays the same mutation ids.
        """
        rebuilding = self.cursor is None
        batch, body = self._request(limit, pull, first)
        raw = msgspec.json.encode(body)
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Content-Type": "application/json",
            "Accept-Encoding": "gzip",
        }
        if len(raw) >= self.gzip_min_bytes:
            raw = gzip.compress(raw, compresslevel=6, mtime=0)
            headers["Content-Encoding"] = "gzip"
        response = await self.http.post(self.path, content=raw, headers=headers)
        summary = SyncSummary(
            status=response.status_code,
            pushed=len(batch),
            bytes_up=len(raw),
            bytes_down=response.num_bytes_downloaded,
        )
        if lose_response:
            summary.lost = True
            return summary
        if response.status_code != 200:
            raise _response_error(response)
        answer = msgspec.json.decode(response.content, type=SyncResponse)
        self._apply(answer, batch, summary, rebuilding)
        return summary

    async def sync_all(
        self,
        *,
        limit: int | None = None,
        first: Iterable[str] | None = None,
        max_rounds: int = 1000,
    ) -> SyncReport:
        """Sync until the server has nothing more and the outbox is empty."""
        report = SyncReport()
        for _ in range(max_rounds):
            summary = await self.sync(limit=limit, first=first)
            report.rounds.append(summary)
            report.total.add(summary)
            if not summary.more and not summary.reset and not self.outbox:
                return report
            if not summary.more and not summary.reset and summary.pushed == 0:
                return report  # nothing left that a further request could change
        raise RuntimeError(f"sync did not settle in {max_rounds} rounds")

    # ---------------------------------------------------------------- applying an answer

    def _apply(
        self,
        answer: SyncResponse,
        batch: list[dict[str, Any]],
        summary: SyncSummary,
        rebuilding: bool = False,
    ) -> None:
        sent = {m["id"]: m for m in batch}
        done: set[str] = set()
        for result in answer.results:
            mutation = sent.get(result.id)
            if mutation is None:
                continue
            done.add(result.id)
            summary.results[result.status] += 1
            summary.outcomes[result.id] = result.status
            if result.conflicts:
                summary.conflicts.extend(result.conflicts)
            if result.status == "applied" and (mutation["op"] == "del" or not rebuilding):
                # On a first sync (cursor null) the snapshot brings every record in scope,
                # those just written included; confirming our own data as well could keep a
                # record the snapshot rightly leaves out (a replayed write to a record that
                # has since left our scope) with no removal ever to follow.
                self._confirm(mutation, result.rev, result.set)
            elif result.status == "rejected":
                entry = {
                    "mutation": mutation,
                    "code": result.code,
                    "message": result.message,
                    "field": result.field,
                }
                self.rejected.append(entry)
                summary.rejected.append(entry)
            # merged / conflict: the server's version of the record arrives in `changes`.
        self.outbox = [m for m in self.outbox if m["id"] not in done]

        # Removals first: a record that left and came back arrives in `changes` as well.
        for col, ids in answer.removed.items():
            records = self.snapshot.get(col, {})
            for rid in ids:
                records.pop(rid, None)
            summary.removed += len(ids)
        for col, page in answer.changes.items():
            records = self.snapshot.setdefault(col, {})
            try:
                rev_at = page.cols.index("rev")
            except ValueError:
                rev_at = -1
            for row in page.rows:
                rid = str(row[0])
                held = records.get(rid)
                if (
                    held is not None
                    and rev_at >= 0
                    and held.get("rev") is not None
                    and row[rev_at] is not None
                    and row[rev_at] < held["rev"]
                ):
                    continue  # an older page than what our own write already confirmed
                records[rid] = dict(zip(page.cols, row, strict=True))
            summary.rows += len(page.rows)

        if answer.reset:
            # Resets keep the outbox: only the server-confirmed copy is rebuilt.
            self.snapshot = {}
            self.cursor = None
        else:
            self.cursor = answer.cursor or None
        self.clock_offset = answer.clock_offset
        self.server_time = answer.server_time
        self.hlc.observe(answer.server_time)
        summary.more = answer.more
        summary.reset = answer.reset

    def _confirm(
        self, mutation: dict[str, Any], rev: int | None, filled: dict[str, Any] | None = None
    ) -> None:
        records = self.snapshot.setdefault(mutation["col"], {})
        if mutation["op"] == "del":
            records.pop(mutation["rid"], None)
            return
        record = records.setdefault(mutation["rid"], {"id": mutation["rid"]})
        record.update(mutation.get("data", {}))
        record.update(filled or {})  # what the server added: the row itself is not echoed
        if rev is not None:
            record["rev"] = rev

    # ---------------------------------------------------------------- persistence

    def dump(self) -> bytes:
        """The local store as JSON: keep it across restarts and app updates."""
        return msgspec.json.encode(
            {
                "device_id": self.device_id,
                "user": self.user,
                "cursor": self.cursor,
                "snapshot": self.snapshot,
                "outbox": self.outbox,
                "rejected": self.rejected,
                "hlc": [self.hlc.wall, self.hlc.count],
            }
        )

    @classmethod
    def load(cls, http: httpx.AsyncClient, token: str, state: bytes, **kwargs: Any) -> SyncClient:
        data = msgspec.json.decode(state)
        client = cls(http, token, device_id=data["device_id"], user=data["user"], **kwargs)
        client.cursor = data["cursor"]
        client.snapshot = data["snapshot"]
        client.outbox = data["outbox"]
        client.rejected = data["rejected"]
        client.hlc.wall, client.hlc.count = data["hlc"]
        return client
