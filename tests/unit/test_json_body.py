"""The one JSON body decoder (server/json_body.py): its depth limit, checked on the bytes
without recursion, and its codes."""

from __future__ import annotations

import json
import random
from typing import Any

import msgspec
import pytest

from server.errors import BadInput
from server.json_body import MAX_DEPTH, decode_json, nested_deeper_than


def depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    return 0


@pytest.mark.parametrize(
    ("text", "levels"),
    [
        ("1", 0),
        ('"[[[[{{{{"', 0),
        ("[]", 1),
        ("{}", 1),
        ('{"a": [1, {"b": []}], "c": "]]]}}}"}', 4),
        ('["\\\\", ["\\"[", [[]]]]', 4),
        ("[[], [[]], [[[]]], []]", 4),
        ('{"k\\\\\\"[": [{"x": "\\\\"}]}', 3),
    ],
)
def test_depth_of_json_text(text: str, levels: int) -> None:
    assert depth(json.loads(text)) == levels  # the table itself is right
    raw = text.encode()
    assert not nested_deeper_than(raw, levels)
    assert nested_deeper_than(raw, levels - 1) == (levels > 0)


def test_depth_agrees_with_a_recursive_count_on_random_json() -> None:
    rng = random.Random(7)
    leaves = ["a[b", 'q"\\', "\\\\[", 1, None, "}}", '\\"{', "\n\\", "中文]"]

    def gen(levels: int) -> Any:
        if levels == 0:
            return rng.choice(leaves)
        width = rng.choice((0, 1, 1, 1, 1, 1, 1, 2))  # narrow: deep, not wide
        if rng.random() < 0.5:
            return [gen(levels - 1) for _ in range(width)]
        return {f'k{i}]"\\': gen(levels - 1) for i in range(width)}

    for _ in range(400):
        value = gen(rng.randint(0, 40))
        raw = json.dumps(value, ensure_ascii=rng.random() < 0.5).encode()
        for limit in (1, 5, 32):
            assert nested_deeper_than(raw, limit) == (depth(value) > limit), raw[:120]


def test_a_very_deep_body_is_refused_quickly_without_recursion() -> None:
    raw = b"[" * 1_000_000 + b"]" * 1_000_000
    with pytest.raises(BadInput) as caught:
        decode_json(raw, Any)
    assert caught.value.code == "bad_json"
    assert caught.value.detail == {"max_depth": MAX_DEPTH}


class Shape(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    tags: list[Any] = []


@pytest.mark.parametrize(
    ("raw", "code", "detail"),
    [
        (b"", "bad_json", None),
        (b"{", "bad_json", None),
        (b"[1]", "bad_body", {"path": None}),
        (b'{"name": 1}', "bad_body", {"path": "$.name"}),
        (b'{"name": "x", "other": 1}', "bad_body", {"path": None}),
        (b'{"name": "x", "tags": ' + b"[" * 33 + b"]" * 33 + b"}", "bad_json", {"max_depth": 32}),
    ],
)
def test_decoder_codes(raw: bytes, code: str, detail: Any) -> None:
    with pytest.raises(BadInput) as caught:
        decode_json(raw, Shape)
    assert (caught.value.code, caught.value.detail) == (code, detail)


def test_decoder_accepts_the_deepest_allowed() -> None:
    raw = b'{"name": "x", "tags": ' + b"[" * 31 + b"]" * 31 + b"}"
    assert decode_json(raw, Shape).name == "x"
