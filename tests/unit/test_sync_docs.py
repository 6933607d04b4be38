"""docs/sync-protocol.md documents every message type and every code the server answers."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import msgspec
import pytest

from server.sync import wire
from server.sync.spec import codes
from wangge_protocol import wire as protocol_wire

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "sync-protocol.md").read_text(encoding="utf-8")
SYNC = ROOT / "server" / "sync"
#: modules outside server/sync whose codes the sync API answers: the one JSON decoder
SHARED = [ROOT / "server" / "json_body.py"]
ALL_CODES = {**codes.REJECTIONS, **codes.ERRORS, **codes.REVIEW_ERRORS}

STRUCTS = sorted(
    name
    for name, obj in vars(wire).items()
    if inspect.isclass(obj)
    and issubclass(obj, msgspec.Struct)
    and obj.__module__ in (wire.__name__, protocol_wire.__name__)  # the sync messages live there
)


@pytest.mark.parametrize("name", STRUCTS)
def test_every_message_type_is_documented(name: str) -> None:
    assert re.search(rf"\b{name}\b", DOC), f"{name} (server/sync/wire.py) is not in the spec"


@pytest.mark.parametrize("name", STRUCTS)
def test_every_message_field_is_documented(name: str) -> None:
    for field in getattr(wire, name).__struct_fields__:
        assert f"`{field}`" in DOC or f'"{field}"' in DOC, f"{name}.{field} is not in the spec"


@pytest.mark.parametrize(
    "code",
    sorted({*ALL_CODES, *codes.RESETS, *codes.STATUSES, *codes.CONFLICT_STATUSES}),
)
def test_every_code_is_documented(code: str) -> None:
    assert f"`{code}`" in DOC or f'"{code}"' in DOC, f"{code} is not in the spec"


def codes_used_in_source() -> dict[str, str]:
    """Codes passed as ``code=...`` or as the first argument of ``Rejected(...)`` anywhere
    in server/sync, in the domains' collection hooks and in the shared JSON decoder
    (code -> where)."""
    used: dict[str, str] = {}
    hooks = sorted((ROOT / "server").glob("*/collections.py"))
    for path in [*sorted(SYNC.glob("*.py")), *hooks, *SHARED]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            for kw in node.keywords:
                if kw.arg == "code" and isinstance(kw.value, ast.Constant):
                    used.setdefault(str(kw.value.value), f"{path.name}:{node.lineno}")
            callee = node.func
            if (
                isinstance(callee, ast.Name)
                and callee.id == "Rejected"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                used.setdefault(str(node.args[0].value), f"{path.name}:{node.lineno}")
    return used


def test_source_scan_finds_codes() -> None:
    used = codes_used_in_source()
    assert {"forbidden", "bad_json", "already_resolved", "id_mismatch"} <= set(used)


@pytest.mark.parametrize("code", sorted(codes_used_in_source()))
def test_every_code_used_is_registered_and_documented(code: str) -> None:
    assert code in ALL_CODES, f"{code} is used in server/sync but not in codes.py"
    assert f"`{code}`" in DOC


def test_status_codes_match_the_doc_tables() -> None:
    for code, (status, _meaning) in {**codes.ERRORS, **codes.REVIEW_ERRORS}.items():
        assert re.search(rf"\|\s*{status}\s*\|\s*`{code}`", DOC) or (
            code in ("bad_json", "bad_body")
        ), f"{code} is not in an error table with status {status}"


def test_collections_are_documented() -> None:
    from server.registry import REGISTRY

    for index, coll in enumerate(REGISTRY):
        assert re.search(rf"\|\s*{index}\s*\|\s*`{coll.name}`", DOC), coll.name
        for col in coll.cols:
            assert f"`{col}`" in DOC, f"{coll.name}.{col}"
