"""Hypothesis strategies for fuzzing the sync body (tests/integration/test_sync_fuzz.py):
random JSON trees, odd values, valid requests broken at random places, and the ways the
bytes travel (plain, gzip, gzip garbage, truncated gzip, an unknown encoding)."""

from __future__ import annotations

import gzip
import json
from typing import Any

import hypothesis.strategies as st

HUGE = [2**31, 2**53 + 1, 2**63 - 1, 2**63, -(2**63) - 1, 2**64, 10**30, -(10**30)]
TEXTS = [
    "",
    "\x00",
    "a\x00b",
    "\ud7ff\ue000\U0010ffff",
    "网格防控" * 20,
    "💉" * 70,
    "x" * 70_000,
    "F1.1.999999999999999999",
    "S1.1.1.0.0.",
]
BAD_CURSORS = [
    "",
    "F1",
    "F1.1.-1",
    "F1.1.99999999999999999999999",
    "F1.99999999999999999.1",
    "F1.1.999999999999999999",
    "F2.1.1",
    "S1.1.1.zz.0.",
    "S1.1.1.0.9.",
    "S1.1.1.0.0.not-a-uuid",
    "S1.1.99999.4.0.ffffffff-ffff-ffff-ffff-ffffffffffff",
    "F1.1.1\x00",
    "F1.１.1",
    "x" * 200,
]

leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from(HUGE)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(TEXTS)
)
json_trees = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def nested(depth: int, kind: str) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value] if kind == "list" else {"k": value}
    return value


odd_values = (
    json_trees
    | st.sampled_from(HUGE + TEXTS + BAD_CURSORS)
    | st.builds(nested, st.integers(50, 400), st.sampled_from(["list", "dict"]))
    | st.text(min_size=1, max_size=12).map(lambda t: f"col_{t}")
)


def paths(tree: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON tree (the root excluded)."""
    found: list[tuple[Any, ...]] = []
    items = (
        tree.items()
        if isinstance(tree, dict)
        else enumerate(tree)
        if isinstance(tree, list)
        else []
    )
    for key, value in items:
        found.append((*at, key))
        found.extend(paths(value, (*at, key)))
    return found


def parent(tree: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        tree = tree[key]
    return tree


@st.composite
def mutated_bodies(draw: st.DrawFn, valid: dict[str, Any]) -> Any:
    """A valid request changed in one to three places."""
    body = json.loads(json.dumps(valid))
    for _ in range(draw(st.integers(1, 3))):
        places = paths(body)
        how = draw(
            st.sampled_from(["data", "data", "replace", "drop", "add", "collection", "cursor"])
        )
        # earlier changes may have broken the structure: only whole mutations are targets
        listed = body.get("mutations")
        whole = [
            m
            for m in (listed if isinstance(listed, list) else [])
            if isinstance(m, dict) and isinstance(m.get("data"), dict)
        ]
        if how == "data" and whole:
            # inside a mutation's data: what reaches the engine's per-field checks
            target = draw(st.sampled_from(whole))
            fields = [*sorted(target["data"]), draw(st.text(max_size=10))]
            target["data"][draw(st.sampled_from(fields))] = draw(odd_values)
        elif how == "cursor":
            body["cursor"] = draw(st.sampled_from(BAD_CURSORS) | st.text(max_size=30))
        elif how == "collection" and whole:
            target = draw(st.sampled_from(whole))
            target["col"] = draw(st.sampled_from(["", "users", "sync_mutations", "Persons"]))
        elif how == "add":
            holders = [body, *(parent(body, (*p, 0)) for p in places)]
            holder = draw(st.sampled_from([h for h in holders if isinstance(h, dict)]))
            holder[draw(st.text(max_size=10))] = draw(odd_values)
        elif places:
            place = draw(st.sampled_from(places))
            container = parent(body, place)
            if how == "drop" and isinstance(container, dict):
                del container[place[-1]]
            else:
                container[place[-1]] = draw(odd_values)
    return body


TRANSPORTS = [
    *["plain"] * 5,
    *["gzip"] * 2,
    "gzip_garbage",
    "gzip_truncated",
    "other_encoding",
]


def wire_bytes(body: Any, transport: str, garbage: bytes) -> tuple[bytes, dict[str, str]]:
    raw = (
        body
        if isinstance(body, bytes)
        else json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")
    )
    if transport == "plain":
        return raw, {}
    if transport == "gzip":
        return gzip.compress(raw), {"Content-Encoding": "gzip"}
    if transport == "gzip_garbage":
        return gzip.compress(raw)[:10] + garbage, {"Content-Encoding": "gzip"}
    if transport == "gzip_truncated":
        packed = gzip.compress(raw)
        return packed[: max(1, len(packed) // 2)], {"Content-Encoding": "gzip"}
    return raw, {"Content-Encoding": "br"}
