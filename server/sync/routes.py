"""HTTP routes of the sync protocol: ``POST /api/sync`` and the conflict review API.

Handlers are thin: transport.py checks the body, engine.py runs the request,
conflicts.py the review. Every refusal is a DomainError with a documented code.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import HTTPException
from litestar.params import FromPath, FromQuery
from litestar.types import ControllerRouterHandler

from server import i18n
from server.accounts.auth import authenticate, bearer_token
from server.accounts.guard import Principal
from server.db import transaction, utcnow
from server.deps import DB, AppSettings, Collections
from server.errors import BadInput, Forbidden, Unauthorized
from server.i18n import gettext as _
from server.sync import conflicts, engine, transport
from server.sync.spec.codes import CONFLICT_STATUSES
from server.sync.wire import ConflictDetail, ConflictList, Decision, DecisionResult

AnyRequest = Request[Any, Any, Any]
MAX_DECISION_BYTES = 64 * 1024


async def _body(request: AnyRequest, limit: int) -> bytes:
    try:
        return await request.body()
    except HTTPException as exc:
        if exc.status_code == 413:
            raise transport.too_large(limit) from exc
        raise


@post("/api/sync", status_code=200, summary="Push mutations and pull changes in one round trip")
async def sync(
    request: AnyRequest, db: DB, settings: AppSettings, registry: Collections
) -> Response[bytes]:
    received = utcnow()
    # 1. who is calling (before the body is read or inflated)
    token = bearer_token(request)
    if token is None:
        raise Unauthorized(_("Send the device token: Authorization: Bearer <token>."))
    await engine.authenticate(db, token)
    # 2. the body within its limits, 3. its JSON and versions, 4. its shape
    raw = await _body(request, settings.max_body_bytes)
    body = transport.decode_body(raw, request.headers.get("content-encoding"))
    sync_request, cursor = transport.parse_request(body, registry)
    # 5 to 11. one transaction
    answer = await engine.run(db, settings, registry, token, sync_request, cursor, received)
    content, gzipped = transport.encode_response(answer, request.headers.get("accept-encoding"))
    headers = {"Cache-Control": "no-store", "Vary": "Accept-Encoding"}
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    return Response(content, media_type="application/json", headers=headers)


async def _reviewer(request: AnyRequest, db: DB) -> Principal:
    user, principal = await authenticate(request, db)
    i18n.set_locale(user.locale)
    return principal


@get("/api/conflicts", summary="Conflicts in the reviewer's area, newest first")
async def list_conflicts(
    request: AnyRequest,
    db: DB,
    registry: Collections,
    status: FromQuery[str | None] = None,
    collection: FromQuery[str | None] = None,
    limit: FromQuery[int] = 50,
    before: FromQuery[int | None] = None,
) -> ConflictList:
    principal = await _reviewer(request, db)
    if status is not None and status not in CONFLICT_STATUSES:
        raise BadInput(_("Unknown conflict status %(s)s.", s=status[:20]), code="bad_request")
    if collection is not None and collection not in registry:
        raise BadInput(_("Unknown collection %(c)s.", c=collection[:32]), code="bad_request")
    async with db() as session:
        return await conflicts.list_conflicts(
            session,
            principal,
            registry,
            status=status,
            collection=collection,
            limit=limit,
            before=before,
        )


@get("/api/conflicts/{conflict_id:uuid}", summary="One conflict with its whole record")
async def get_conflict(
    request: AnyRequest, db: DB, registry: Collections, conflict_id: FromPath[uuid.UUID]
) -> ConflictDetail:
    principal = await _reviewer(request, db)
    async with transaction(db) as session:
        return await conflicts.get_conflict(session, principal, registry, conflict_id, utcnow())


@post("/api/conflicts/{conflict_id:uuid}/decision", status_code=200, summary="Decide a conflict")
async def decide(
    request: AnyRequest,
    db: DB,
    settings: AppSettings,
    registry: Collections,
    conflict_id: FromPath[uuid.UUID],
) -> DecisionResult:
    principal = await _reviewer(request, db)
    _require_json_if_cookie(request)
    raw = await _body(request, min(settings.max_body_bytes, MAX_DECISION_BYTES))
    if len(raw) > MAX_DECISION_BYTES:
        raise transport.too_large(MAX_DECISION_BYTES)
    decision = transport.decode_json(raw, Decision)
    async with transaction(db) as session:
        return await conflicts.decide(session, principal, registry, conflict_id, decision, utcnow())


def _require_json_if_cookie(request: AnyRequest) -> None:
    """Another site can post a form with the reviewer's cookie, but not application/json
    (that needs a CORS preflight this server never grants)."""
    if bearer_token(request) is None and request.content_type[0] != "application/json":
        raise Forbidden(_("Send the decision as JSON."), code="forbidden")


ROUTES: list[ControllerRouterHandler] = [sync, list_conflicts, get_conflict, decide]
