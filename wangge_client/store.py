"""What a device keeps: a server-confirmed snapshot, an outbox of pending mutations, the
mutations the server rejected, the pull cursor and the clock; and how an answer changes
them (docs/sync-protocol.md, "What a client does with an answer"). No I/O here.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from wangge_client.clock import DeviceClock, node_of_device
from wangge_client.summary import SyncSummary
from wangge_protocol import hlc
from wangge_protocol.wire import SyncResponse

Record = dict[str, Any]


class LocalStore:
    """The device's local store. What the user sees is the snapshot with the outbox
    replayed on top; an edit never touches the snapshot, only the server's answer does."""

    def __init__(
        self, device_id: str, *, now: Callable[[], int], new_id: Callable[[], str]
    ) -> None:
        self.device_id = str(device_id)
        self.now = now
        self.new_id = new_id
        self.hlc = DeviceClock(node_of_device(self.device_id), now)
        self.snapshot: dict[str, dict[str, Record]] = {}
        self.outbox: list[dict[str, Any]] = []
        self.rejected: list[dict[str, Any]] = []
        self.cursor: str | None = None
        self.clock_offset: int | None = None
        self.server_time: int | None = None

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

    # ---------------------------------------------------------------- applying an answer

    def apply_answer(
        self,
        answer: SyncResponse,
        batch: list[dict[str, Any]],
        summary: SyncSummary,
        rebuilding: bool = False,
    ) -> None:
        """Take the server's answer to ``batch`` (sent with cursor null if ``rebuilding``)."""
        self._take_results(answer, batch, summary, rebuilding)
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

    def _take_results(
        self,
        answer: SyncResponse,
        batch: list[dict[str, Any]],
        summary: SyncSummary,
        rebuilding: bool,
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

    def state(self) -> dict[str, Any]:
        """What survives a restart (``SyncClient.dump`` writes it as JSON)."""
        return {
            "device_id": self.device_id,
            "cursor": self.cursor,
            "snapshot": self.snapshot,
            "outbox": self.outbox,
            "rejected": self.rejected,
            "hlc": self.hlc.text(),
        }

    def restore(self, data: dict[str, Any]) -> None:
        self.cursor = data["cursor"]
        self.snapshot = data["snapshot"]
        self.outbox = data["outbox"]
        self.rejected = data["rejected"]
        clock = data["hlc"]
        if isinstance(clock, list):  # a store dumped by the older client: [wall, counter]
            wall, counter = clock
            counter = min(counter, hlc.MAX_COUNTER)  # that client let it overflow
            clock = hlc.format_hlc(wall, counter, self.hlc.node) if wall else hlc.ZERO
        self.hlc.last = clock
