"""Domain errors, raised by services and translated once into JSON or a page."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """An error a client caused or can act on. ``code`` is stable and documented."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, detail: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.detail = detail

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.detail is not None:
            body["detail"] = self.detail
        return {"error": body}


class BadInput(DomainError):
    status_code = 400
    code = "bad_input"


class Unauthorized(DomainError):
    status_code = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class ConflictError(DomainError):
    status_code = 409
    code = "conflict"


class TooLarge(DomainError):
    status_code = 413
    code = "body_too_large"


class UpgradeRequired(DomainError):
    status_code = 426
    code = "upgrade_required"


class Unavailable(DomainError):
    status_code = 503
    code = "unavailable"
