"""Helpers shared by the test suites and the benchmarks (never imported by the server)."""
