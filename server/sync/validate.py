"""Steps 8.3 and 8.4: the form of a mutation, checked before any record is read (no I/O)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import msgspec

from server.i18n import gettext as _
from server.sync.spec.collections import Collection, Rejected
from server.sync.spec.schemas import FIRST_DAY, LAST_DAY, in_range

_PATH = re.compile(r"`\$\.([A-Za-z_]+)")

__all__ = ["Rejected", "bad_id", "clean", "has_nul", "record_id", "validate_data"]


def bad_id() -> str:
    return _("The mutation id must be a UUID that was not used before.")


def record_id(text: str) -> uuid.UUID:
    try:
        rid = uuid.UUID(text)
    except ValueError:
        rid = None
    if rid is None or str(rid) != text:
        raise Rejected("invalid", _("The record id must be a lower-case UUID."), "rid")
    return rid


def has_nul(value: Any) -> bool:
    """NUL cannot be stored in a text column (PostgreSQL refuses it): caught here, per
    mutation, rather than failing the whole batch at the database."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list):
        return any(has_nul(v) for v in value)
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    return False


def clean(text: str, limit: int) -> str:
    return text.replace("\x00", "")[:limit]


def validate_data(coll: Collection, data: dict[str, Any]) -> dict[str, Any]:
    assert coll.schema is not None
    for key, value in data.items():
        if has_nul(key) or has_nul(value):
            raise Rejected("invalid", _("Text may not contain NUL characters."), clean(key, 40))
    for key in data:
        if key not in coll.writable:
            name = key[:40]
            if key in coll.cols or key in ("id", "rev"):
                raise Rejected("read_only", _("Only the server sets %(f)s.", f=name), name)
            raise Rejected("unknown_field", _("There is no field %(f)s.", f=name), name)
    try:
        parsed = msgspec.convert(data, coll.schema)
    except msgspec.ValidationError as exc:
        match = _PATH.search(str(exc))
        where = match.group(1) if match else None
        raise Rejected(
            "invalid", _("Invalid value for %(f)s: %(why)s", f=where or "?", why=exc), where
        ) from exc
    values = {name: getattr(parsed, name) for name in data}
    for name, value in values.items():
        if not in_range(value):
            raise Rejected(
                "invalid",
                _(
                    "Invalid value for %(f)s: %(why)s",
                    f=name,
                    why=f"{FIRST_DAY.year}-{LAST_DAY.year}",
                ),
                name,
            )
    return values
