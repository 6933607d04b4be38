"""The sync core is pure: clocks, merge, cursors and wire types import neither SQLAlchemy
nor Litestar (pure logic lives in plain functions without I/O, tested directly), directly
or through another server module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SYNC = Path(__file__).resolve().parents[2] / "server" / "sync"
PURE = ("hlc", "merge", "cursor", "wire")
FORBIDDEN = ("sqlalchemy", "litestar")


def imports(module: str) -> set[str]:
    tree = ast.parse((SYNC / f"{module}.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


@pytest.mark.parametrize("module", PURE)
def test_pure_modules_import_no_storage_or_web(module: str) -> None:
    for name in imports(module):
        assert name.split(".")[0] not in FORBIDDEN, f"{module}.py imports {name}"
        if name.startswith("server."):
            # only other pure sync modules
            assert (
                name.removeprefix("server.sync.").split(".")[0] in PURE
                or name in {"server.sync"}
                or name.startswith(tuple(f"server.sync.{p}" for p in PURE))
            ), f"{module}.py imports {name}, which is not one of the pure modules"


def test_the_check_would_catch_an_import(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("from sqlalchemy import select\nimport litestar.params\n", encoding="utf-8")
    tree = ast.parse(probe.read_text(encoding="utf-8"))
    names = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    assert {name.split(".")[0] for name in names} >= set(FORBIDDEN)
