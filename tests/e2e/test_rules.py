"""rules.js and uuid5 in the browser agree with the Python rules: one table, both sides."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext

from server.people import rules as people
from server.quarantine import rules as quarantine
from server.reports.rules import daily_report_id, zero_report_allowed
from server.timeutil import local_today
from server.visits import rules as visits
from tests.e2e.conftest import LiveServer, serve_test_modules

pytestmark = pytest.mark.e2e

CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "data" / "rules_cases.json").read_text(encoding="utf-8")
)["cases"]


def _d(s: str | None) -> date | None:
    return date.fromisoformat(s) if s else None


def _dt(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def _policy_for(kind: str, on: str, policies: list[dict[str, Any]]) -> list[Any] | None:
    rules = [
        quarantine.PolicyRule(p["kind"], p["version"], p["duration_days"], tuple(p["test_days"]),
                              p["checks_per_day"], date.fromisoformat(p["effective_from"]))
        for p in policies
    ]  # fmt: skip
    try:
        found = quarantine.policy_for(kind, date.fromisoformat(on), rules)
    except quarantine.NoPolicyError:
        return None
    return [found.kind, found.version]


def _id_check(text: str | None, today: str) -> dict[str, Any]:
    found = people.check_id_number(text, date.fromisoformat(today))
    return {"ok": found.ok, "reason": found.reason, "birthYear": found.birth_year,
            "sex": found.sex}  # fmt: skip


def _phone_check(text: str | None) -> dict[str, Any]:
    found = people.check_phone(text)
    return {"ok": found.ok, "reason": found.reason, "kind": found.kind}


def _past_date(iso: str | None, today: str) -> dict[str, Any]:
    reason = people.check_past_date(iso, date.fromisoformat(today))
    return {"ok": reason is None, "reason": reason}


def _schedule(policy: dict[str, Any], start: str) -> dict[str, Any]:
    rule = quarantine.PolicyRule("x", 1, policy["duration_days"], tuple(policy["test_days"]), 2,
                                 date(2021, 1, 1))  # fmt: skip
    plan = quarantine.schedule(rule, date.fromisoformat(start))
    return {"start_date": plan.start_date.isoformat(), "end_date": plan.end_date.isoformat(),
            "test_dates": [d.isoformat() for d in plan.test_dates]}  # fmt: skip


PYTHON: dict[str, Callable[..., Any]] = {
    "certificate_state": lambda c, a, t: people.certificate_state(
        _d(c), _d(a), date.fromisoformat(t)),
    "needs_special_report": people.needs_special_report,
    "required_measure": people.required_measure,
    "mask_id_number": people.mask_id_number,
    "mask_phone": people.mask_phone,
    "is_fever": people.is_fever,
    "needs_fever_lead": people.needs_fever_lead,
    "day_number": lambda s, t: quarantine.day_number(date.fromisoformat(s), date.fromisoformat(t)),
    "checks_due": lambda s, e, st, t, done, n: quarantine.checks_due(
        date.fromisoformat(s), _d(e), st, date.fromisoformat(t), set(done), n),
    "missed_checks": lambda s, e, t, done, n: [
        [d.isoformat(), slot] for d, slot in quarantine.missed_checks(
            date.fromisoformat(s), _d(e), date.fromisoformat(t),
            [(date.fromisoformat(x), y) for x, y in done], n)],
    "policy_for": _policy_for,
    "schedule": _schedule,
    "coverage_state": lambda vs, s, e: visits.coverage_state(
        [(_dt(a), b) for a, b in vs], _dt(s), _dt(e) if e else None),
    "daily_report_id": lambda g, day: str(daily_report_id(g, date.fromisoformat(day))),
    "local_today": lambda iso, tz: local_today(_dt(iso), tz).isoformat(),
    "check_id_number": _id_check,
    "check_phone": _phone_check,
    "check_past_date": _past_date,
    "zero_report_allowed": zero_report_allowed,
    "risk_category_for": lambda origin, areas, on: people.risk_category_for(
        origin, areas, date.fromisoformat(on)),
}  # fmt: skip


def test_the_table_covers_every_ported_rule() -> None:
    assert {c["fn"] for c in CASES} == set(PYTHON)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["fn"])
def test_python_rules_match_the_table(case: dict[str, Any]) -> None:
    assert PYTHON[case["fn"]](*case["args"]) == case["expected"]


def test_default_policies_match(new_context: Callable[..., BrowserContext]) -> None:
    page = new_context(service_workers="block").new_page()
    page.goto("/healthz")
    js = page.evaluate("async () => (await import('/static/js/rules.js')).DEFAULT_POLICIES")
    python = [
        {"id": None, "kind": p.kind, "version": p.version, "duration_days": p.duration_days,
         "test_days": list(p.test_days), "checks_per_day": p.checks_per_day,
         "effective_from": p.effective_from.isoformat()}
        for p in quarantine.DEFAULT_POLICIES
    ]  # fmt: skip
    assert js == python


def test_rules_js_matches_the_table(new_context: Callable[..., BrowserContext],
                                    server: LiveServer) -> None:  # fmt: skip
    ctx = new_context(service_workers="block")
    serve_test_modules(ctx, server.url)
    page = ctx.new_page()
    page.goto("/healthz")
    outcome = page.evaluate(
        "async (cases) => (await import('/__test__/rules_runner.js')).run(cases)", CASES
    )
    assert outcome["count"] == len(CASES)
    assert outcome["failures"] == []


def test_ordered_ids_are_unique_uuids_in_time_order(
    new_context: Callable[..., BrowserContext],
) -> None:
    """New records and mutations get time-ordered ids (cheap to gzip on 2G); the server
    must take them as record ids, and two in the same millisecond must still differ."""
    page = new_context(service_workers="block").new_page()
    page.goto("/healthz")
    ids = page.evaluate(
        """async () => {
          const { orderedId } = await import('/static/js/uuid.js');
          const out = [];
          for (let i = 0; i < 5000; i++) out.push(orderedId(1764300000000 + Math.floor(i / 3000)));
          return out;
        }"""
    )
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)
    for text in ids[::997]:
        assert str(uuid.UUID(text)) == text  # lower-case canonical, as the server requires
    assert {text[-12:] for text in ids} == {ids[0][-12:]}  # one random tail per app start
