"""The layers hold: no cycle between packages, and domains do not reach into the sync
engine's internals or the web layer (docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = tuple(p for p in ("server", "wangge_client", "wangge_protocol") if (ROOT / p).is_dir())
DOMAINS = ("accounts", "areas", "audit", "fever", "people", "quarantine", "reports", "visits")
#: the sync modules a domain may import: the declaration types its collections use
SYNC_PUBLIC = frozenset({"server.sync.spec.collections", "server.sync.hooks"})


def _modules() -> dict[str, Path]:
    found = {}
    for top in PACKAGES:
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def _imports(module: str, path: Path) -> set[str]:
    """Every server module this one imports, at the top or inside a function."""
    names: set[str] = set()
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base]) if base else ".".join(anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return {n for n in names if n.split(".")[0] in PACKAGES}


def _node(module: str, modules: dict[str, Path]) -> str:
    """The package a module belongs to (server.people.models -> server.people,
    server.sync.spec.schemas -> server.sync.spec); a module directly under server/ is a
    node of its own (server.db)."""
    path = modules[module]
    if path.name == "__init__.py":
        return module
    package = module.rsplit(".", 1)[0]
    return module if package == "server" else package


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        src = _node(module, modules)
        for target in _imports(module, path):
            while target not in modules and "." in target:
                target = target.rsplit(".", 1)[0]
            if target not in modules:
                continue
            dst = _node(target, modules)
            if dst != src:
                graph.setdefault(src, set()).add(dst)
        graph.setdefault(src, set())
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_cycle_between_packages() -> None:
    assert _cycles(_graph()) == []


def test_domains_do_not_import_sync_internals_or_web() -> None:
    bad = []
    for module, path in _modules().items():
        parts = module.split(".")
        if parts[0] != "server" or len(parts) < 2 or parts[1] not in DOMAINS:
            continue
        for target in _imports(module, path):
            if target.startswith("server.web"):
                bad.append(f"{module} -> {target}")
            if (
                target.startswith("server.sync")
                and not any(target == p or target.startswith(p + ".") for p in SYNC_PUBLIC)
                and target != "server.sync"
            ):
                bad.append(f"{module} -> {target}")
    assert bad == []


def test_the_clients_do_not_import_the_server() -> None:
    bad = [
        f"{module} -> {target}"
        for module, path in _modules().items()
        if not module.startswith("server")
        for target in _imports(module, path)
        if target.startswith("server")
    ]
    assert bad == []
