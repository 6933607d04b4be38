"""Demo data: `python -m server seed-demo` builds a believable county (see load.py)."""

from server.seed.county import Scale
from server.seed.load import DEFAULT_SEED, DEMO_PASSWORD, demo_accounts_text, seed_demo

__all__ = ["DEFAULT_SEED", "DEMO_PASSWORD", "Scale", "demo_accounts_text", "seed_demo"]
