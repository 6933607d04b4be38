"""The Python client talks HTTP and needs none of the server's modules: wangge_client and
wangge_protocol import nothing from ``server`` (and the protocol nothing from the client),
and the HLC arithmetic exists once, in wangge_protocol/hlc.py."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
THIRD_PARTY = {
    "wangge_protocol": {"msgspec"},
    "wangge_client": {"httpx", "msgspec", "wangge_protocol"},
}
# The clock is the protocol's: standard library only.
STDLIB_ONLY = {"wangge_protocol/hlc.py"}
MODULES = sorted(p for package in THIRD_PARTY for p in (ROOT / package).rglob("*.py"))


def imported(source: str) -> set[str]:
    """Top-level names of every module ``source`` imports (relative imports as ``.``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.add("." if node.level else (node.module or "").split(".")[0])
    return found


def test_both_packages_have_modules() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in MODULES}
    assert {"wangge_protocol/hlc.py", "wangge_protocol/wire.py", "wangge_client/client.py"} <= names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_the_client_packages_import_no_server_module(path: Path) -> None:
    package = path.relative_to(ROOT).parts[0]
    names = imported(path.read_text(encoding="utf-8"))
    assert "server" not in names, f"{path.relative_to(ROOT)} imports the server"
    allowed = set(sys.stdlib_module_names) | {package, "__future__"}
    if path.relative_to(ROOT).as_posix() not in STDLIB_ONLY:
        allowed |= THIRD_PARTY[package]
    assert names <= allowed, f"{path.relative_to(ROOT)} imports {sorted(names - allowed)}"


def test_the_check_would_catch_a_server_import() -> None:
    probe = "from server.sync import hlc\nimport server.config\nfrom .x import y\n"
    assert imported(probe) == {"server", "."}
    assert imported("import wangge_client.store\n") == {"wangge_client"}


def test_the_old_client_module_is_gone_and_the_clock_is_written_once() -> None:
    """No twin of the client in the server, and no second HLC: the text form is formatted
    in one place."""
    assert not (ROOT / "server" / "sync" / "client.py").exists()
    formatters = [
        p.relative_to(ROOT).as_posix()
        for top in ("server", "wangge_client", "wangge_protocol", "bench", "devkit")
        for p in (ROOT / top).rglob("*.py")
        if ":013d}:" in p.read_text(encoding="utf-8")
    ]
    assert formatters == ["wangge_protocol/hlc.py"]
