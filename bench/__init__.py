"""Benchmarks: `python -m bench` (or `make bench`) prints the figures and writes them to
bench/results/<UTC timestamp>.json and bench/results/latest.json."""
