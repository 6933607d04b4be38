"""Every role has a home, and every home template reads only what its context defines.

A partial reads ``home.<field>`` (and deeper: ``home.coverage.percent``); a name or an
attribute its dataclass does not define would render as empty text in production, so the
templates are checked here against the dataclasses, statically, on every run.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path
from typing import Any

import pytest
from jinja2 import Environment, nodes
from jinja2.meta import find_undeclared_variables
from litestar.plugins.jinja import JinjaTemplateEngine

from server.accounts.values import Role
from server.config import Settings
from server.web.homes import HOMES
from server.web.templating import configure_templates

TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "templates"


def environment() -> Environment:
    engine = JinjaTemplateEngine(directory=TEMPLATES)
    configure_templates(engine, Settings())
    return engine.engine


def _attribute_chains(tree: nodes.Template) -> set[tuple[str, ...]]:
    """Every ``home.a.b...`` chain read in the template, outermost first."""
    chains: set[tuple[str, ...]] = set()
    for node in tree.find_all(nodes.Getattr):
        attrs: list[str] = []
        current: nodes.Node = node
        while isinstance(current, nodes.Getattr):
            attrs.append(current.attr)
            current = current.node
        if isinstance(current, nodes.Name) and current.name == "home":
            chains.add(tuple(reversed(attrs)))
    return chains


def _type_of(owner: type, name: str) -> type | None:
    """The class `owner.name` holds, when it is one we can check further (else None)."""
    member = getattr(owner, name, None)
    hint: Any = (
        typing.get_type_hints(member.fget).get("return")
        if isinstance(member, property)
        else typing.get_type_hints(owner).get(name)
    )
    if isinstance(hint, types.UnionType):  # X | None: check X
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        hint = inner[0] if len(inner) == 1 else None
    return hint if isinstance(hint, type) and dataclasses.is_dataclass(hint) else None


def _check_chain(context: type, chain: tuple[str, ...]) -> str | None:
    owner: type | None = context
    for depth, attr in enumerate(chain):
        if owner is None:
            return None  # a dict, list or model: not ours to check
        if not hasattr(owner, attr):
            return f"home.{'.'.join(chain[: depth + 1])} is not defined by {owner.__name__}"
        owner = _type_of(owner, attr)
    return None


def test_every_role_has_a_home_and_its_template() -> None:
    assert set(HOMES) == set(Role)
    for role, home in HOMES.items():
        assert (TEMPLATES / home.template).is_file(), f"{role}: no {home.template}"
        assert dataclasses.is_dataclass(home.context), role
        assert home.context.__dataclass_params__.frozen, f"{role}: context must be frozen"  # type: ignore[attr-defined]


@pytest.mark.parametrize("role", sorted(HOMES))
def test_home_template_reads_only_its_context(role: str) -> None:
    env = environment()
    home = HOMES[role]
    source = (TEMPLATES / home.template).read_text(encoding="utf-8")
    tree = env.parse(source)
    free = find_undeclared_variables(tree) - set(env.globals)
    assert free <= {"home"}, f"{home.template} reads {sorted(free - {'home'})} outside `home`"
    problems = [p for c in _attribute_chains(tree) if (p := _check_chain(home.context, c))]
    assert not problems, f"{home.template}: {problems}"


def test_the_check_catches_an_unknown_key() -> None:
    env = environment()
    home = HOMES["supervisor"]
    tree = env.parse("{{ home.coverage.percentage }} {{ home.nope }} {{ coverage }}")
    assert find_undeclared_variables(tree) - set(env.globals) == {"home", "coverage"}
    problems = {_check_chain(home.context, c) for c in _attribute_chains(tree)} - {None}
    assert problems == {
        "home.coverage.percentage is not defined by Coverage",
        "home.nope is not defined by SupervisorHome",
    }


def test_a_county_home_lists_the_villages_that_most_need_a_visit() -> None:
    from datetime import UTC, datetime

    from server.visits.models import Campaign
    from server.visits.queries import AreaCoverage, Coverage
    from server.web.homes import VILLAGES_SHOWN, villages_to_show

    few = [AreaCoverage(f"村{i}", Coverage(10, i)) for i in range(5)]
    campaign = Campaign(name="秋季", starts_on=datetime(2026, 11, 1, tzinfo=UTC))
    assert villages_to_show(few, campaign) == few  # a town's handful: all, in code order
    many = [AreaCoverage(f"村{i}", Coverage(100, (i * 37) % 100)) for i in range(500)]
    shown = villages_to_show(many, campaign)
    assert len(shown) == VILLAGES_SHOWN
    worst = sorted(v.coverage.ratio for v in many)[:VILLAGES_SHOWN]
    assert [v.coverage.ratio for v in shown] == worst
    assert villages_to_show(many, None) == many[:VILLAGES_SHOWN]  # no campaign: code order
