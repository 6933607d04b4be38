"""The load benchmark's CPU split (bench/cpu.py): which processes count as the server,
and the per-sync arithmetic."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from bench import cpu


def test_cores_and_milliseconds_per_sync() -> None:
    before = cpu.Usage(server={10: 1.0, 11: 2.0}, postgres={20: 5.0}, load=3.0)
    # pid 12 started during the window: all of its time is the window's
    after = cpu.Usage(server={10: 2.0, 11: 2.5, 12: 0.5}, postgres={20: 6.0, 21: 1.0}, load=3.5)
    figures = cpu.spent(before, after, seconds=2.0, syncs=100)
    assert figures["cpu_cores"] == {"server": 1.0, "postgres": 1.0, "load": 0.25}
    assert figures["cpu_ms_per_sync"] == {"server": 20.0, "postgres": 20.0, "load": 5.0}


def test_no_samples_or_no_syncs() -> None:
    usage = cpu.Usage(server={}, postgres={}, load=0.0)
    assert cpu.spent(None, usage, 1.0, 10) == {}
    assert cpu.spent(usage, usage, 1.0, 0)["cpu_ms_per_sync"]["server"] is None


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc (Linux)")
def test_the_server_is_its_process_and_its_children() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", "import time\nend = time.time() + 30\nwhile time.time() < end: pass"]
    )
    try:
        first = cpu.sample(os.getpid())
        assert first is not None
        assert os.getpid() in first.server
        deadline = time.monotonic() + 20
        while True:  # wait until the child has spent some CPU
            now = cpu.sample(os.getpid())
            assert now is not None
            if now.server.get(child.pid, 0.0) >= 0.05:
                break
            assert time.monotonic() < deadline, "the child's CPU was never counted"
        # a process outside the tree (pid 1, not a postgres) is in neither figure
        assert 1 not in now.server
        assert 1 not in now.postgres
    finally:
        child.kill()
        child.wait()
