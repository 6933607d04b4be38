"""One device talking to the server: sign-in, sync rounds, and keeping the store.

The local store and what an answer does to it are in ``store``; the HTTP side is in
``transport``. docs/python-client.md is the user's guide.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import httpx
import msgspec

from wangge_client.ids import uuid4, wall_ms
from wangge_client.store import LocalStore
from wangge_client.summary import SyncReport, SyncSummary
from wangge_client.transport import (
    GZIP_MIN_BYTES,
    SYNC_PATH,
    decode_sync_answer,
    encode_sync_body,
    request_token,
)
from wangge_protocol.wire import MAX_MUTATIONS, PROTOCOL_VERSION

SCHEMA_VERSION = 1


class SyncClient(LocalStore):
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
        accept_encoding: str = "gzip",
        now: Callable[[], int] = wall_ms,
        new_id: Callable[[], str] = uuid4,
        path: str = SYNC_PATH,
    ) -> None:
        super().__init__(device_id, now=now, new_id=new_id)
        self.http = http
        self.token = token
        self.user = user or {}
        self.app = app
        self.schema = schema
        self.protocol = protocol
        self.gzip_min_bytes = gzip_min_bytes
        self.accept_encoding = accept_encoding
        self.path = path

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
        body = await request_token(http, phone, password, device_name)
        return cls(
            http, body["token"], device_id=body["device_id"], user=body.get("user"), **kwargs
        )

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
        raw, headers = encode_sync_body(body, self.token, self.gzip_min_bytes, self.accept_encoding)
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
        answer = decode_sync_answer(response)
        self.apply_answer(answer, batch, summary, rebuilding)
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

    # ---------------------------------------------------------------- persistence

    def dump(self) -> bytes:
        """The local store as JSON: keep it across restarts and app updates."""
        return msgspec.json.encode({**self.state(), "user": self.user})

    @classmethod
    def load(cls, http: httpx.AsyncClient, token: str, state: bytes, **kwargs: Any) -> SyncClient:
        data = msgspec.json.decode(state)
        client = cls(http, token, device_id=data["device_id"], user=data["user"], **kwargs)
        client.restore(data)
        return client
