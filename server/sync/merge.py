"""Field-level merge of one ``put`` into an existing record (docs/sync-protocol.md, "Merge").

Input: the record's current values, its per-field versions
``{field: [rev, hlc, by, device]}`` (a missing field is ``[0, "", None, None]``; versions
stored before the device was kept have three elements), the mutation's ``base`` rev, its
``data``, effective HLC and authenticated device, and the collection's critical fields.
Output: the fields to write, the conflicts to record and the fields held for review.
Pure: no I/O, no SQLAlchemy.

For each field in ``data``:

1. *Sequential*: the field's rev ≤ ``base`` (the device saw the latest value), or the
   field was last written by the same device (the device the server authenticated, kept
   in the version; never the node inside the HLC, which the client chooses): a device's
   own queued edits are causally ordered even though their base predates its earlier,
   unconfirmed edits. A version without a device (a server write, or stored before the
   device was kept) is never the same device.
   The value is written unless it is already equal.
2. *Concurrent* (otherwise), with an equal value: nothing to write, nothing to record.
3. Concurrent, critical field, different value: the current value stays; the proposal is
   recorded as a ``pending`` conflict for a supervisor.
4. Concurrent, other field, different value: the greater HLC wins (the mutation's HLC is
   compared with the field's); the losing value is kept in an ``auto_resolved`` conflict.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from server.sync import hlc as hlcmod

Winner = Literal["kept", "proposed"]
Status = Literal["applied", "merged", "conflict"]


@dataclass(frozen=True, slots=True)
class Version:
    rev: int = 0
    hlc: str = hlcmod.ZERO
    by: int | None = None
    #: the writing device (``uuid.hex``) as authenticated; None for the server
    device: str | None = None

    def as_json(self) -> list[Any]:
        return [self.rev, self.hlc, self.by, self.device]


def version_of(versions: Mapping[str, Any], name: str) -> Version:
    raw = versions.get(name)
    if not isinstance(raw, Sequence) or isinstance(raw, str) or len(raw) < 2:
        return Version()
    by = raw[2] if len(raw) > 2 and isinstance(raw[2], int) else None
    device = raw[3] if len(raw) > 3 and isinstance(raw[3], str) else None
    return Version(rev=int(raw[0]), hlc=str(raw[1]), by=by, device=device)


@dataclass(frozen=True, slots=True)
class FieldConflict:
    field: str
    critical: bool
    status: Literal["auto_resolved", "pending"]
    kept_value: Any  # the value the record held when the mutation arrived
    kept: Version  # and who/when wrote it
    proposed_value: Any  # the mutation's value
    winner: Winner  # whose value the field holds now ("kept" while a review is pending)

    @property
    def resolution_value(self) -> Any:
        return self.proposed_value if self.winner == "proposed" else self.kept_value


@dataclass(frozen=True, slots=True)
class MergeResult:
    apply: dict[str, Any] = field(default_factory=dict)
    conflicts: tuple[FieldConflict, ...] = ()
    held: tuple[str, ...] = ()
    concurrent: bool = False

    @property
    def status(self) -> Status:
        if self.held:
            return "conflict"
        return "merged" if self.concurrent else "applied"


def merge_fields(
    current: Mapping[str, Any],
    versions: Mapping[str, Any],
    base: int | None,
    data: Mapping[str, Any],
    hlc: str,
    critical: frozenset[str] | set[str],
    device: str | None = None,
) -> MergeResult:
    """Merge ``data`` (made at ``hlc`` on top of rev ``base`` by the authenticated
    ``device``) into the current record."""
    seen = base or 0
    apply: dict[str, Any] = {}
    conflicts: list[FieldConflict] = []
    held: list[str] = []
    concurrent = False
    for name, value in data.items():
        now = current.get(name)
        v = version_of(versions, name)
        sequential = v.rev <= seen or (device is not None and v.device == device)
        if sequential:
            if value != now:
                apply[name] = value
            continue
        concurrent = True
        if value == now:
            continue
        if name in critical:
            held.append(name)
            conflicts.append(FieldConflict(name, True, "pending", now, v, value, "kept"))
            continue
        winner: Winner = "proposed" if hlcmod.compare(hlc, v.hlc) > 0 else "kept"
        if winner == "proposed":
            apply[name] = value
        conflicts.append(FieldConflict(name, False, "auto_resolved", now, v, value, winner))
    return MergeResult(apply, tuple(conflicts), tuple(held), concurrent)
