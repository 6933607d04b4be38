"""The area tree's rules (server/areas/rules.py): child levels, where a node may move,
how a moved subtree's paths read, whose scope a move changes."""

from __future__ import annotations

import pytest

from server.areas import rules


@pytest.mark.parametrize(
    ("parent", "child"),
    [("city", "county"), ("county", "town"), ("town", "village"), ("village", "grid"),
     ("grid", None)],
)  # fmt: skip
def test_a_child_takes_the_level_below(parent: str, child: str | None) -> None:
    assert rules.child_level(parent) == child


@pytest.mark.parametrize(
    ("node", "level", "parent", "parent_level", "root", "problem"),
    [
        ("/1/2/3/4/", "village", "/1/2/5/", "town", "/1/2/", None),
        ("/1/2/", "county", "/1/9/", "city", "/1/2/", "root"),  # the admin's own area
        ("/1/", "city", "/1/2/", "county", "/1/2/", "root"),  # above it
        ("/1/2/3/4/", "village", "/1/7/8/", "town", "/1/2/", "outside"),
        ("/1/2/3/", "town", "/1/2/3/4/", "village", "/1/2/", "self"),
        ("/1/2/3/4/", "village", "/1/2/3/4/", "village", "/1/2/", "self"),
        ("/1/2/3/4/", "village", "/1/2/", "county", "/1/2/", "level"),
        ("/1/2/3/4/", "village", "/1/2/3/", "town", "/1/2/", "same"),
        ("/1/2/3/4/10/", "grid", "/1/2/3/14/", "village", "/1/2/3/4/", "outside"),
    ],
)
def test_where_a_node_may_move(
    node: str, level: str, parent: str, parent_level: str, root: str, problem: str | None
) -> None:
    assert rules.move_problem(node, level, parent, parent_level, root) == problem


def test_a_moved_subtree_keeps_its_tail() -> None:
    assert rules.moved_path("/1/2/3/4/10/", "/1/2/3/4/", "/1/2/5/4/") == "/1/2/5/4/10/"
    assert rules.moved_path("/1/2/3/4/", "/1/2/3/4/", "/1/2/5/4/") == "/1/2/5/4/"
    with pytest.raises(ValueError, match="not under"):
        rules.moved_path("/1/9/", "/1/2/", "/1/3/")


def test_whose_subtree_a_move_changes() -> None:
    # a grid 10 from village 4 (town 3) to village 6 (town 5), county 2
    common = rules.common_prefix("/1/2/3/4/", "/1/2/5/6/")
    assert common == "/1/2/"
    assert rules.ancestors_between("/1/2/3/4/10/", common) == [3, 4]
    assert rules.ancestors_between("/1/2/5/6/10/", common) == [5, 6]
    # within one town only the two villages change
    assert rules.common_prefix("/1/2/3/4/", "/1/2/3/7/") == "/1/2/3/"
    assert rules.common_prefix("/1/", "/9/") == "/"


@pytest.mark.parametrize(
    ("code", "ok"), [("G-001", True), ("a", True), ("x" * 33, False), ("-G", False),
                     ("网格", False), ("", False)],
)  # fmt: skip
def test_codes(code: str, ok: bool) -> None:
    assert (rules.code_problem(code) is None) is ok


def test_names() -> None:
    assert rules.name_problem("  ") == "required"
    assert rules.name_problem("x" * 81) == "length"
    assert rules.name_problem("一组网格") is None
