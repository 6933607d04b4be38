"""`python -m bench [--pg] [--no-pwa]`: the sync benchmark, then the PWA one if present.

Prints a table of measured figures against the targets (bench/netsim.py) and writes every
figure to
bench/results/<UTC timestamp>.json and bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import importlib.util
import inspect
import json
import platform
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import sync_bench

RESULTS = Path(__file__).resolve().parent / "results"


def run_pwa() -> dict[str, Any]:
    """bench/pwa.py is another benchmark's: run it when it and Chromium are there."""
    try:
        pwa = importlib.import_module("bench.pwa")
    except ModuleNotFoundError as exc:
        if exc.name not in {"bench.pwa", "playwright"}:
            raise
        return {"skipped": f"bench.pwa not importable ({exc.name} missing)"}
    if shutil.which("chromium") is None and not Path("/usr/bin/chromium").exists():
        return {"skipped": "chromium is not installed (make system-deps)"}
    result = pwa.run()
    if inspect.isawaitable(result):
        result = asyncio.run(result)  # type: ignore[arg-type]
    if isinstance(result, dict):
        return result
    return {"result": result}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--pg", action="store_true", help="also run the sync bench on PostgreSQL")
    parser.add_argument("--no-pwa", action="store_true", help="skip the PWA benchmark")
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--no-load", action="store_true", help="skip the load generator")
    parser.add_argument("--quick", action="store_true", help="load generator: K = 10, 50 only")
    args = parser.parse_args(argv)

    started = datetime.now(UTC)
    sync_results = asyncio.run(sync_bench.run(pg=args.pg, seed=args.seed))
    for result in sync_results:
        print(sync_bench.table(result))
        print()
    pwa = {"skipped": "--no-pwa"} if args.no_pwa else run_pwa()
    if "skipped" in pwa:
        print(f"pwa benchmark skipped: {pwa['skipped']}")
    else:
        print("pwa benchmark (bench/pwa.py):")
        for key, value in pwa.items():
            print(f"  {key:<32} {value}")

    # The load generator (bench/load.py): writes bench/results/load_<stamp>.json itself.
    load: dict[str, Any] = {"skipped": "--no-load"}
    if not args.no_load and importlib.util.find_spec("bench.load") is not None:
        load = importlib.import_module("bench.load").run(quick=args.quick)

    figures = {
        "started": started.isoformat(),
        "machine": {"python": sys.version.split()[0], "platform": platform.platform()},
        "link": {"name": "2G", "rtt_ms": 300, "kbit_s": 250, "handshakes": "not counted"},
        "sync": sync_results,
        "pwa": pwa,
        "load": load,
    }
    RESULTS.mkdir(exist_ok=True)
    text = json.dumps(figures, ensure_ascii=False, indent=2, default=str)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"{stamp}.json").write_text(text, encoding="utf-8")
    (RESULTS / "latest.json").write_text(text, encoding="utf-8")
    print(f"written: bench/results/{stamp}.json and bench/results/latest.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
