"""One place that turns errors into responses: JSON for the API, a page for people.

:func:`wants_json` is the one rule for which of the two a request gets; the sign-in
redirect (server/accounts/auth.py) and the locale of API calls follow it too.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import MediaType, Request, Response
from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ExceptionHandlersMap

from server.errors import DomainError

log = logging.getLogger("wangge.errors")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


def wants_json(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """API paths always; other paths when the client asks for JSON and not for HTML."""
    path = connection.url.path
    if path.startswith(("/api/", "/healthz", "/schema")):
        return True
    accept = connection.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _respond(
    request: Request[Any, Any, Any], status: int, code: str, message: str, detail: Any = None
) -> Response[Any]:
    if wants_json(request):
        body: dict[str, Any] = {"code": code, "message": message}
        if detail is not None:
            body["detail"] = detail
        return Response({"error": body}, status_code=status, media_type=MediaType.JSON)
    return Template(
        template_name="error.html",
        context={"status": status, "code": code, "message": message},
        status_code=status,
    )


def _domain(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    return _respond(request, exc.status_code, exc.code, exc.message, exc.detail)


def _validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    return _respond(request, 400, "bad_request", str(exc.detail), exc.extra)


def _http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    code = _HTTP_CODES.get(status, "http_error")
    if status >= 500:
        log.error("server error on %s: %s", request.url.path, exc.detail)
    return _respond(request, status, code, str(exc.detail))


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    return _respond(request, HTTP_500_INTERNAL_SERVER_ERROR, "internal", "internal error")


def exception_handlers() -> ExceptionHandlersMap:
    return {
        DomainError: _domain,
        ValidationException: _validation,
        HTTPException: _http,
        Exception: _unexpected,
    }
