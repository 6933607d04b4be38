"""Steps 8.3 and 8.4: the form of a mutation, checked before any record is read (no I/O)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import msgspec

from server.i18n import gettext as _
from server.labels import label as label  # collection names in messages
from server.sync.codes import REJECTIONS
from server.sync.collections import Collection
from server.sync.schemas import FIRST_DAY, LAST_DAY, in_range

_PATH = re.compile(r"`\$\.([A-Za-z_]+)")


class Rejected(Exception):
    """A mutation refused with a documented code (codes.REJECTIONS)."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        assert code in REJECTIONS, code
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


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


def check_links(coll: Collection, data: dict[str, Any], found: dict[str, Any]) -> None:
    """A check's or test's measure must belong to the person it names."""
    measure = found.get("measure_id")
    person_id = data.get("person_id")
    if measure is not None and person_id is not None and measure.person_id != person_id:
        raise Rejected("invalid", _("The measure belongs to another person."), "measure_id")
    if (
        coll.name == "fever_events"
        and data.get("result") is not None
        and data.get("kind") != "resulted"
    ):
        raise Rejected("invalid", _("Only a result event carries a result."), "result")
