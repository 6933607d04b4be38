"""HTTP routes of the sync protocol: ``POST /api/sync`` and the conflict review API.

Handlers are thin: transport.py checks the body, engine.py runs the request,
conflicts.py the review. Every refusal is a DomainError with a documented code.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Annotated, Any

import anyio.to_thread
from litestar import Request, Response, get, post
from litestar.background_tasks import BackgroundTask, BackgroundTasks
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.types import ControllerRouterHandler

from server.accounts.deps import CurrentIdentity, CurrentPrincipal
from server.accounts.guards import cookie_writes_need_csrf, device, reviewer
from server.db import utcnow
from server.deps import DB, AppSettings, Collections, Session
from server.errors import BadInput
from server.i18n import gettext as _
from server.json_body import decode_json, read_body
from server.sync import conflicts, engine, transport
from server.sync import cursor as cursors
from server.sync.spec.codes import CONFLICT_STATUSES
from server.sync.wire import ConflictDetail, ConflictList, Decision, DecisionResult

AnyRequest = Request[Any, Any, Any]
MAX_DECISION_BYTES = 64 * 1024
#: the largest rev a ``before`` can name (revs are 64-bit signed integers)
MAX_REV = 2**63 - 1


@post(
    "/api/sync",
    status_code=200,
    summary="Push mutations and pull changes in one round trip",
    guards=[device],  # 1. who is calling, before the body is read or inflated
)
async def sync(
    request: AnyRequest,
    db: DB,
    settings: AppSettings,
    registry: Collections,
    identity: CurrentIdentity,
) -> Response[bytes]:
    received = utcnow()
    # 2. the body within its limits, 3. its JSON and versions, 4. its shape
    raw = await read_body(request, settings.max_body_bytes)
    body = transport.decode_body(raw, request.headers.get("content-encoding"))
    sync_request, cursor = transport.parse_request(body, registry)
    # 5 to 11. one transaction (of its own: the engine retries it on a write conflict)
    # (the bookkeeping of a sync that wrote nothing runs after the answer is sent)
    after: list[Callable[[], Awaitable[None]]] = []
    answer = await engine.run(
        db, settings, registry, identity, sync_request, cursor, received, deferred=after
    )
    accept = request.headers.get("accept-encoding")
    if sync_request.pull and not isinstance(cursor, cursors.FeedCursor):
        # a snapshot page (first sync): compressed harder, in a thread (transport.py)
        content, encoding = await anyio.to_thread.run_sync(
            partial(transport.encode_response, answer, accept, snapshot=True)
        )
    else:
        content, encoding = transport.encode_response(answer, accept)
    headers = {"Cache-Control": "no-store", "Vary": "Accept-Encoding"}
    if encoding:
        headers["Content-Encoding"] = encoding
    background = BackgroundTasks([BackgroundTask(job) for job in after]) if after else None
    return Response(content, media_type="application/json", headers=headers, background=background)


@get("/api/conflicts", summary="Conflicts in the reviewer's area, newest first", guards=[reviewer])
async def list_conflicts(
    session: Session,
    principal: CurrentPrincipal,
    registry: Collections,
    status: FromQuery[str | None] = None,
    collection: FromQuery[str | None] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=conflicts.MAX_LIST)] = 50,
    before: Annotated[int | None, QueryParameter(ge=1, le=MAX_REV)] = None,
) -> ConflictList:
    if status is not None and status not in CONFLICT_STATUSES:
        raise BadInput(_("Unknown conflict status %(s)s.", s=status[:20]), code="bad_request")
    if collection is not None and collection not in registry:
        raise BadInput(_("Unknown collection %(c)s.", c=collection[:32]), code="bad_request")
    return await conflicts.list_conflicts(
        session,
        principal,
        registry,
        status=status,
        collection=collection,
        limit=limit,
        before=before,
    )


@get(
    "/api/conflicts/{conflict_id:uuid}",
    summary="One conflict with its whole record",
    guards=[reviewer],
)
async def get_conflict(
    session: Session,
    principal: CurrentPrincipal,
    registry: Collections,
    conflict_id: FromPath[uuid.UUID],
) -> ConflictDetail:
    return await conflicts.get_conflict(session, principal, registry, conflict_id, utcnow())


@post(
    "/api/conflicts/{conflict_id:uuid}/decision",
    status_code=200,
    summary="Decide a conflict",
    guards=[reviewer, cookie_writes_need_csrf],
)
async def decide(
    request: AnyRequest,
    session: Session,
    settings: AppSettings,
    principal: CurrentPrincipal,
    registry: Collections,
    conflict_id: FromPath[uuid.UUID],
) -> DecisionResult:
    raw = await read_body(request, min(settings.max_body_bytes, MAX_DECISION_BYTES))
    decision = decode_json(raw, Decision)
    return await conflicts.decide(session, principal, registry, conflict_id, decision, utcnow())


ROUTES: list[ControllerRouterHandler] = [sync, list_conflicts, get_conflict, decide]
