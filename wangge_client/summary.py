"""What a sync did, for the caller and the benchmarks."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


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
