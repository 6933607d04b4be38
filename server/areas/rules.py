"""Rules of the area tree as plain functions: which level a child takes, where a node may
move, how a moved subtree's paths read. Pure; no I/O (server/orgadmin/areas.py
applies them).
"""

from __future__ import annotations

import re

from server.areas.values import AreaLevel

#: each level's child level, from the root down (a grid has none)
CHILD_LEVEL: dict[str, str] = {
    AreaLevel.CITY: AreaLevel.COUNTY,
    AreaLevel.COUNTY: AreaLevel.TOWN,
    AreaLevel.TOWN: AreaLevel.VILLAGE,
    AreaLevel.VILLAGE: AreaLevel.GRID,
}
PARENT_LEVEL: dict[str, str] = {child: parent for parent, child in CHILD_LEVEL.items()}

_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
MAX_NAME = 80


def child_level(parent_level: str) -> str | None:
    """The level of a node added under a parent of ``parent_level`` (None under a grid)."""
    return CHILD_LEVEL.get(parent_level)


def code_problem(code: str) -> str | None:
    """ "format" unless the code is 1 to 32 letters, digits, ``-``, ``_`` or ``.``."""
    return None if _CODE.fullmatch(code) else "format"


def name_problem(name: str) -> str | None:
    """ "required" for an empty name, "length" for one over 80 characters."""
    if not name.strip():
        return "required"
    return "length" if len(name.strip()) > MAX_NAME else None


def move_problem(
    node_path: str, node_level: str, parent_path: str, parent_level: str, root_path: str
) -> str | None:
    """Why a node cannot move under a parent, or None.

    "root": the node is the admin's own area (or above it); "outside": the new parent is
    outside the admin's subtree; "self": the parent is the node or lies under it;
    "level": the parent is not of the level right above the node's; "same": no move.
    """
    if not node_path.startswith(root_path) or node_path == root_path:
        return "root"
    if not parent_path.startswith(root_path):
        return "outside"
    if parent_path.startswith(node_path):
        return "self"
    if PARENT_LEVEL.get(node_level) != parent_level:
        return "level"
    if node_path.rsplit("/", 2)[0] + "/" == parent_path:
        return "same"
    return None


def moved_path(path: str, old_prefix: str, new_prefix: str) -> str:
    """The path of a node of a moved subtree: its old prefix swapped for the new one."""
    if not path.startswith(old_prefix):
        raise ValueError(f"{path!r} is not under {old_prefix!r}")
    return new_prefix + path[len(old_prefix) :]


def ancestors_between(path: str, common: str) -> list[int]:
    """Ids on ``path`` strictly below the ``common`` prefix (the areas whose subtree a
    move adds to or takes from), the node's own id excluded."""
    rest = path[len(common) :].strip("/")
    ids = [int(p) for p in rest.split("/") if p]
    return ids[:-1]


def common_prefix(a: str, b: str) -> str:
    """The deepest area path both ``a`` and ``b`` lie under ("/" at worst)."""
    parts_a, parts_b = a.strip("/").split("/"), b.strip("/").split("/")
    shared: list[str] = []
    for x, y in zip(parts_a, parts_b, strict=False):
        if x != y:
            break
        shared.append(x)
    return "/" + "".join(p + "/" for p in shared if p)
