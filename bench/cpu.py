"""Where a load run's CPU goes: the server (its process and its workers), PostgreSQL's
processes and the load generator itself, read from /proc (Linux).

On a small machine the three share the cores, so a throughput figure alone hides
whether the server is short of CPU, waiting on a lock, or leaving cores idle; CPU per
sync per process says which, and how far a change moved it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class Usage:
    """CPU seconds used so far, by pid, for each kind of process."""

    server: dict[int, float]
    postgres: dict[int, float]
    load: float


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of a process, None when it is gone."""
    try:
        raw = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # the command name is in parentheses and may hold spaces: split after it
    fields = raw.rsplit(")", 1)[1].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS


def _name(pid: int) -> str:
    try:
        return (PROC / str(pid) / "comm").read_text().strip()
    except OSError:
        return ""


def sample(server_pid: int) -> Usage | None:
    """The CPU used so far by the server's process tree, by every process named
    ``postgres`` (backends, WAL writer, checkpointer) and by this process; None without
    /proc."""
    if not PROC.is_dir():
        return None
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        stat = _stat(pid)
        if stat is not None:
            parents[pid], cpu[pid] = stat
    server: dict[int, float] = {}
    postgres: dict[int, float] = {}
    for pid, seconds in cpu.items():
        ancestor = pid
        while ancestor > 1 and ancestor != server_pid:
            ancestor = parents.get(ancestor, 0)
        if ancestor == server_pid:
            server[pid] = seconds
        elif _name(pid) == "postgres":
            postgres[pid] = seconds
    times = os.times()
    return Usage(server, postgres, times.user + times.system)


def _spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds between two samples; a process started in between counts from zero."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def spent(before: Usage | None, after: Usage | None, seconds: float, syncs: int) -> dict[str, Any]:
    """Cores busy on average over the window and milliseconds of CPU per writing sync,
    for each kind of process ({} without samples)."""
    if before is None or after is None or seconds <= 0:
        return {}
    used = {
        "server": _spent(before.server, after.server),
        "postgres": _spent(before.postgres, after.postgres),
        "load": after.load - before.load,
    }
    return {
        "cpu_cores": {name: round(value / seconds, 2) for name, value in used.items()},
        "cpu_ms_per_sync": {
            name: round(value * 1000 / syncs, 2) if syncs else None for name, value in used.items()
        },
    }
