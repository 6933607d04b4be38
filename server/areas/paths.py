"""Materialised area paths ("/1/4/17/": ids between slashes, root first, ending in "/")
and the one spelling of "the subtree of X" over them. Pure SQL expressions, no I/O."""

from __future__ import annotations

from sqlalchemy import ColumnElement, String, and_, func
from sqlalchemy.orm import InstrumentedAttribute


def subtree_end(root_path: str) -> str:
    """The smallest path after every path under ``root_path``: paths are ids between
    slashes ending in "/" ("/1/4/17/"), and "0" is the byte right after "/", so the subtree
    of "/1/4/" is the range ["/1/4/", "/1/40")."""
    if not root_path.endswith("/"):
        raise ValueError(f"an area path ends with '/': {root_path!r}")
    return root_path[:-1] + "0"


def in_subtree_path(
    path: ColumnElement[str] | InstrumentedAttribute[str], root_path: str
) -> ColumnElement[bool]:
    """An area path column lies under ``root_path`` (the one spelling of "the subtree").

    A range, not ``LIKE 'x%'``: a plain btree on ``areas.path`` answers it on both
    databases (the column compares bytewise: COLLATE "C" on PostgreSQL, BINARY on SQLite;
    under a language collation PostgreSQL never uses an index for LIKE)."""
    return and_(path >= root_path, path < subtree_end(root_path))


def path_under(
    path: ColumnElement[str] | InstrumentedAttribute[str],
    root: ColumnElement[str] | InstrumentedAttribute[str],
) -> ColumnElement[bool]:
    """Column-to-column form of :func:`in_subtree_path` (a join of areas on their paths)."""
    end = func.substr(root, 1, func.length(root) - 1, type_=String).concat("0")
    return and_(path >= root, path < end)


def ancestor_ids(area_path: str) -> list[int]:
    """The ids on a path, root first ("/1/4/17/" -> [1, 4, 17]): the area and its ancestors."""
    return [int(p) for p in area_path.strip("/").split("/") if p.isdigit()]
