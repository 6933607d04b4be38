"""Every domain's rules (``server/*/rules.py``) are pure: plain functions over values, no
storage, no web, no network, no files, no event loop. They are tested directly with
parameter tables and ported to the field app; I/O belongs in the domain's queries or
hooks. The check follows ``server.*`` imports, so a rule cannot reach I/O through a helper.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVER = ROOT / "server"
RULES = sorted(SERVER.glob("*/rules.py"))
#: top-level modules that do I/O or tie a function to a framework
FORBIDDEN = frozenset(
    {
        "sqlalchemy", "litestar", "httpx", "asyncio", "aiosqlite", "asyncpg", "alembic",
        "advanced_alchemy", "jinja2", "uvicorn", "socket", "ssl", "http", "urllib",
        "subprocess", "os", "shutil", "pathlib", "io", "tempfile", "sqlite3", "logging",
    }
)  # fmt: skip
#: builtins that read or write outside the function's arguments
FORBIDDEN_CALLS = frozenset({"open", "print", "input", "exec", "eval", "__import__"})


def _module_path(name: str) -> Path | None:
    parts = name.split(".")
    for candidate in (
        ROOT.joinpath(*parts).with_suffix(".py"),
        ROOT.joinpath(*parts, "__init__.py"),
    ):
        if candidate.is_file():
            return candidate
    return None


def _imports(tree: ast.AST) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            # `from server.x import y` may name a module y
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def impurities(path: Path, seen: set[Path] | None = None) -> list[str]:
    """Why `path` (and every server module it imports) is not pure; [] when it is."""
    seen = set() if seen is None else seen
    if path in seen:
        return []
    seen.add(path)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    where = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
    problems = [
        f"{where} imports {name}"
        for name in sorted(_imports(tree))
        if name.split(".")[0] in FORBIDDEN
    ]
    problems += [
        f"{where} calls {node.func.id}()"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in FORBIDDEN_CALLS
    ]
    problems += [
        f"{where} has async code"
        for node in ast.walk(tree)
        if isinstance(node, ast.AsyncFunctionDef)
    ]
    for name in sorted(n for n in _imports(tree) if n.startswith("server.")):
        target = _module_path(name)
        if target is not None:
            problems += impurities(target, seen)
    return problems


def test_every_domain_has_its_rules_checked() -> None:
    domains = {p.parent.name for p in RULES}
    assert domains >= {"fever", "people", "quarantine", "reports", "visits"}


@pytest.mark.parametrize("path", RULES, ids=lambda p: p.parent.name)
def test_rules_are_pure(path: Path) -> None:
    assert impurities(path) == []


@pytest.mark.parametrize(
    "source",
    [
        "from sqlalchemy import select\n",
        "import asyncio\n",
        "import httpx\n",
        "from litestar import get\n",
        "def f(p):\n    return open(p).read()\n",
        "async def f():\n    return 1\n",
        "from server.people.models import Person\n",  # a pure-looking import of a table
    ],
)
def test_the_check_catches(source: str, tmp_path: Path) -> None:
    probe = tmp_path / "rules.py"
    probe.write_text(source, encoding="utf-8")
    assert impurities(probe) != []
