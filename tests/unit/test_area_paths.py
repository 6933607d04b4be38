"""The subtree as a range of paths, and coverage rolled up the area tree (pure)."""

from __future__ import annotations

import pytest

from server.areas.paths import ancestor_ids, subtree_end
from server.visits.queries import Coverage, roll_up


def test_subtree_is_the_range_up_to_the_next_byte_after_the_slash() -> None:
    root = "/1/4/"
    end = subtree_end(root)
    assert end == "/1/40"
    inside = ["/1/4/", "/1/4/17/", "/1/4/9/", "/1/4/99999/3/"]
    outside = ["/1/", "/1/40/", "/1/41/", "/1/5/", "/1/3/", "/1/4", "/2/4/"]
    assert all(root <= p < end for p in inside)
    assert not any(root <= p < end for p in outside)
    # the same as the prefix test it replaces, for every path in the table
    for p in inside + outside:
        assert (root <= p < end) == p.startswith(root)


def test_subtree_end_refuses_a_path_without_its_slash() -> None:
    with pytest.raises(ValueError, match="ends with"):
        subtree_end("/1/4")


def test_ancestor_ids_read_the_path() -> None:
    assert ancestor_ids("/1/4/17/") == [1, 4, 17]
    assert ancestor_ids("/") == []


def test_roll_up_sums_each_area_into_its_ancestors() -> None:
    paths = {1: "/1/", 2: "/1/2/", 3: "/1/2/3/", 4: "/1/2/4/", 5: "/1/5/"}
    per_area = {3: Coverage(10, 4), 4: Coverage(5, 5), 5: Coverage(2, 0), 9: Coverage(7, 7)}
    rolled = roll_up(per_area, paths)
    assert rolled[3] == Coverage(10, 4)
    assert rolled[2] == Coverage(15, 9)
    assert rolled[5] == Coverage(2, 0)
    assert rolled[1] == Coverage(17, 9)  # area 9 is unknown: counted nowhere
    assert 9 not in rolled
