"""Statements built once and reused, for the sync hot path.

SQLAlchemy computes a statement's cache key by walking the whole expression tree on every
execution of a *new* statement object; the key is memoised on the object. A statement
built once per shape (a collection, a principal's scope) with ``bindparam`` for what
changes between calls (revs, ids, limits) skips that walk, the construction itself and
the lookup of a compiled form: the feed's UNION ALL over every collection cost more to
build than to run.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class StatementCache(Generic[T]):
    """A bounded LRU of built statements keyed by their shape."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, T] = OrderedDict()

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
            return found
        made = build()
        self._items[key] = made
        if len(self._items) > self.size:
            self._items.popitem(last=False)
        return made

    def __len__(self) -> int:
        return len(self._items)
