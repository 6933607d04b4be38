"""`python -m bench [--pg] [--no-pwa] [--no-pouch] [--no-load] [--no-pages]`: every
benchmark in one run, side by side.

1. the sync benchmark (one grid over HTTP: first load, a day of edits, an idle sync);
2. the same grid with PouchDB 9 against pouchdb-server (bench/pouch.py; skipped with a
   note when Node or the npm packages are missing);
3. the field app in Chromium (bench/pwa.py): shell, first open over emulated 2G, cold start;
4. the load generator (bench/load.py ``run()``, when present);
5. the supervisor's pages and first sync at 13k persons on PostgreSQL (bench/city.py;
   100k and 1M are `make bench-city`), and the growth plot from the latest city runs.

Prints the figures and writes them, with the git revision, to
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

from bench import city, plot, pouch, sync_bench

RESULTS = Path(__file__).resolve().parent / "results"


def run_load(quick: bool = False) -> dict[str, Any]:
    """bench/load.py (the load generator) when it exists: ``run(quick=False) -> dict``."""
    try:
        load = importlib.import_module("bench.load")
    except ModuleNotFoundError as exc:
        if exc.name != "bench.load":
            raise
        return {"skipped": "bench/load.py is not there (the load generator)"}
    result = load.run(quick=quick)
    if inspect.isawaitable(result):
        result = asyncio.run(result)  # type: ignore[arg-type]
    return result if isinstance(result, dict) else {"result": result}


def run_pages() -> dict[str, Any]:
    """The 13k demo county's supervisor pages on PostgreSQL (bench/city.py)."""
    try:
        return asyncio.run(city.run_size("13k", keep=False))
    except OSError as exc:
        return {"skipped": f"PostgreSQL not reachable ({exc})"}


def growth_plot() -> str | None:
    """bench/results/growth.svg from the city runs ("before" in the name: before issue 13)."""
    files = sorted(RESULTS.glob("city-*before*.json")) + sorted(RESULTS.glob("city-*after*.json"))
    if not files:
        return None
    plot.main([str(f) for f in files])
    return "bench/results/growth.svg"


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
    parser.add_argument("--no-pouch", action="store_true", help="skip PouchDB")
    parser.add_argument("--no-load", action="store_true", help="skip the load generator")
    parser.add_argument("--no-pages", action="store_true", help="skip the 13k page bench")
    parser.add_argument("--seed", type=int, default=2021)
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

    couch = {"skipped": "--no-pouch"} if args.no_pouch else asyncio.run(pouch.run(args.seed))
    print(f"pouchdb (bench/pouch.py): {json.dumps(couch, default=str)}")
    load = {"skipped": "--no-load"} if args.no_load else run_load(args.quick)
    print(f"load generator (bench/load.py): {json.dumps(load, default=str)[:2000]}")
    pages = {"skipped": "--no-pages"} if args.no_pages else run_pages()
    if "skipped" not in pages:
        print(
            f"pages at 13k: home {pages['home']['median_ms']} ms, area "
            f"{pages['area']['median_ms']} ms, list {pages['list']['median_ms']} ms, snapshot "
            f"pages max {pages['snapshot']['max_ms']} ms"
        )
    plotted = growth_plot()

    figures = {
        "started": started.isoformat(),
        "revision": city.git_revision(),
        "machine": {"python": sys.version.split()[0], "platform": platform.platform()},
        "link": {"name": "2G", "rtt_ms": 300, "kbit_s": 250, "handshakes": "not counted"},
        "sync": sync_results,
        "pwa": pwa,
        "pouchdb": couch,
        "load": load,
        "pages_13k": pages,
        "growth_plot": plotted,
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
