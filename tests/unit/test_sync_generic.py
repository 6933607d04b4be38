"""The sync engine is generic: it names no collection, and each domain reaches it only
through its public declaration package (server/sync/spec/)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from server.registry import REGISTRY
from server.sync.models import CONFLICTS

ROOT = Path(__file__).resolve().parents[2]
SYNC = ROOT / "server" / "sync"
NAMES = frozenset(c.name for c in REGISTRY.ordered)
#: Where a collection's name may be written inside server/sync: the collection sync owns,
#: where it is declared and stored.
ALLOWED: dict[str, frozenset[str]] = {"models.py": frozenset({CONFLICTS.name})}
SYNC_FILES = sorted(SYNC.rglob("*.py"))
DOMAIN_DECLARATIONS = sorted(
    p for p in (ROOT / "server").glob("*/collections.py") if p.parent != SYNC
)


def names_in(source: str) -> set[str]:
    """String constants in the code that are exactly a collection's name."""
    return {
        node.value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in NAMES
    }


@pytest.mark.parametrize("path", SYNC_FILES, ids=lambda p: str(p.relative_to(SYNC)))
def test_the_engine_names_no_collection(path: Path) -> None:
    found = names_in(path.read_text(encoding="utf-8")) - ALLOWED.get(path.name, frozenset())
    assert not found, f"server/sync/{path.name} names {sorted(found)}: declare it in a domain"


def test_the_check_would_catch_a_name() -> None:
    assert names_in('if coll.name == "persons":\n    pass\n') == {"persons"}
    assert names_in('"""persons move"""\nx = "person"\n') == set()


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("path", DOMAIN_DECLARATIONS, ids=lambda p: p.parent.name)
def test_domains_use_only_the_declaration_module(path: Path) -> None:
    used = {m for m in imports(path) if m.startswith(("server.sync", "server.web"))}
    assert all(m.startswith("server.sync.spec") for m in used), f"{path} imports {sorted(used)}"


def test_the_engine_imports_no_domain_declaration() -> None:
    for path in SYNC_FILES:
        used = {m for m in imports(path) if m == "server.registry" or m.endswith(".collections")}
        assert used <= {"server.sync.spec.collections"}, f"{path} imports {used}"


def test_the_registry_keeps_the_cursor_order() -> None:
    # Positions are collection numbers in snapshot cursors devices hold: never reorder.
    assert [c.name for c in REGISTRY.ordered] == [
        "areas",
        "facilities",
        "policies",
        "campaigns",
        "measures",
        "persons",
        "households",
        "visits",
        "checks",
        "tests",
        "daily_reports",
        "fever_reports",
        "fever_events",
        "conflicts",
        "risk_areas",
        "reminders",
    ]


def test_followers_come_from_the_references_that_give_an_area() -> None:
    followers = {(c.name, ref.field) for c, ref, _before in REGISTRY.followers("persons")}
    assert followers == {("measures", "person_id"), ("checks", "person_id"), ("tests", "person_id")}
    # a test takes its area from its person first: it follows its fever report only without one
    (test_follows,) = [b for c, _r, b in REGISTRY.followers("fever_reports") if c.name == "tests"]
    assert [r.field for r in test_follows] == ["person_id"]


def test_purge_order_puts_children_before_parents() -> None:
    order = [c.name for c in REGISTRY.children_first()]
    for coll in REGISTRY.children_first():
        for child, _field in REGISTRY.referrers(coll.name):
            if child.synced and child is not coll:
                assert order.index(child.name) < order.index(coll.name), (child.name, coll.name)
