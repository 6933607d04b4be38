"""The last weeks of work in the demo county: measures, checks, tests, visits, fever reports
and daily reports. Pure, like :mod:`server.seed.county`; the domain rules decide the
measure each returnee gets, its release date and its test days.

Nothing is dated after ``clock.now``: a check or a visit that would fall later today has
simply not happened yet.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from server.people.rules import certificate_state, is_fever, required_measure
from server.quarantine.rules import DEFAULT_POLICIES, policy_for, schedule, slots_for
from server.reports.rules import daily_report_id
from server.seed import names
from server.seed.county import Clock, County, Row, synced
from server.seed.fever import build_fever

CAMPAIGN_NAME = "冬春返乡人员排查"
CAMPAIGN_DAYS = 10
REPORT_DAYS = 14
POLICY_IDS = {p.kind: i for i, p in enumerate(DEFAULT_POLICIES, start=1)}
_PLACES = {
    "central_quarantine": "县集中隔离点(示范宾馆)",
    "hospital": "县人民医院发热门诊",
}
_NEEDS = ("", "", "", "", "", "需要代购生活用品", "需要代购常用药", "孩子网课需要帮助")


@dataclass
class Activity:
    policies: list[Row]
    campaign: Row
    measures: list[Row] = field(default_factory=list)
    checks: list[Row] = field(default_factory=list)
    tests: list[Row] = field(default_factory=list)
    visits: list[Row] = field(default_factory=list)
    fever_reports: list[Row] = field(default_factory=list)
    fever_events: list[Row] = field(default_factory=list)
    daily_reports: list[Row] = field(default_factory=list)
    risk_areas: list[Row] = field(default_factory=list)


def _risk_areas(clock: Clock, made: datetime) -> list[Row]:
    """The medium/high-risk areas the demo's returnees came from, listed since before the
    first arrival, and one that came off the list before it."""
    listed = [
        {"province": p, "city": c, "district": d, "level": "high" if k % 3 == 0 else "mid",
         "effective_from": clock.ago(60), "effective_to": None}
        for k, (p, c, d) in enumerate(names.MID_HIGH_AREAS)
    ]  # fmt: skip
    p, c, d = names.PAST_RISK_AREA
    listed.append({"province": p, "city": c, "district": d, "level": "mid",
                   "effective_from": clock.ago(80), "effective_to": clock.ago(45)})  # fmt: skip
    return [{"id": n, **row, "created_at": made} for n, row in enumerate(listed, 1)]


def build_activity(seed: int, clock: Clock, county: County, county_area_id: int) -> Activity:
    made = clock.at(clock.ago(90), 9 * 60)
    policies = [
        {
            "id": POLICY_IDS[p.kind],
            "kind": p.kind,
            "version": p.version,
            "duration_days": p.duration_days,
            "test_days": list(p.test_days),
            "checks_per_day": p.checks_per_day,
            "effective_from": p.effective_from,
            "note": "默认规则",
            "created_at": made,
        }
        for p in DEFAULT_POLICIES
    ]
    campaign = {
        "id": 1,
        "area_id": county_area_id,
        "name": CAMPAIGN_NAME,
        "starts_on": clock.at(clock.ago(CAMPAIGN_DAYS), 0),
        "ends_on": None,
    }
    act = Activity(policies=policies, campaign=campaign, risk_areas=_risk_areas(clock, made))
    _measures(random.Random(f"{seed}:measures"), clock, county, act)
    _visits(random.Random(f"{seed}:visits"), clock, county, act)
    fever = build_fever(random.Random(f"{seed}:fever"), clock, county)
    act.fever_reports, act.fever_events = fever.reports, fever.events
    act.tests.extend(fever.tests)
    _daily_reports(random.Random(f"{seed}:reports"), clock, county, act)
    return act


def _measures(rng: random.Random, clock: Clock, county: County, act: Activity) -> None:
    village_of = {g.id: g.village.id for g in county.grids}
    residents: dict[int, list[Row]] = defaultdict(list)
    for person in county.persons:
        category = person["category"]
        if category == "resident":
            residents[village_of[person["area_id"]]].append(person)
            continue
        cert = certificate_state(person["certificate_date"], person["arrival_date"], clock.today)
        kind = required_measure(category, cert)
        if kind != "none":
            start = min(
                person["arrival_date"] + timedelta(days=rng.choice((0, 0, 0, 1))), clock.today
            )
            _add_measure(rng, clock, act, person, kind, start, "")
    # Close contacts at home, and in every town one elderly villager taken to hospital.
    for town in county.towns:
        for v, village in enumerate(town.villages):
            adults = [p for p in residents[village.id] if p["relation"] in ("户主", "配偶")]
            picked = rng.sample(adults, min(len(adults), 1 + (rng.random() < 0.5)))
            for k, person in enumerate(picked):
                start = clock.ago(rng.randint(0, 10) if k == 0 else rng.randint(16, 25))
                person["notes"] = "密切接触者"
                _add_measure(rng, clock, act, person, "home_quarantine", start, "")
            if v == 0:
                old = [
                    p
                    for p in residents[village.id]
                    if clock.today.year - p["birth_year"] >= 60 and p["measure"] == "none"
                ]
                if old:
                    person = rng.choice(old)
                    start = clock.ago(rng.randint(1, 5))
                    _add_measure(rng, clock, act, person, "hospital", start, _PLACES["hospital"])


def _add_measure(
    rng: random.Random,
    clock: Clock,
    act: Activity,
    person: Row,
    kind: str,
    start: date,
    place: str,
) -> None:
    area = person["area_id"]
    made = clock.at(start, 10 * 60 + rng.randint(0, 300))
    made = max(made, person["created_at"] + timedelta(minutes=rng.randint(5, 40)))
    if made > clock.now:
        made = clock.now - timedelta(minutes=rng.randint(1, 30))
    policy = policy_for(kind, start) if kind in POLICY_IDS else None
    plan = schedule(policy, start) if policy else None
    end = plan.end_date if plan else None
    status = "released" if end is not None and end <= clock.today else "active"
    measure = synced(rng, area, made) | {
        "person_id": person["id"],
        "kind": kind,
        "policy_id": POLICY_IDS.get(kind),
        "start_date": start,
        "end_date": end,
        "status": status,
        "place": place or _PLACES.get(kind, ""),
    }
    if end is not None and status == "released":
        measure["updated_at"] = clock.at(end, 9 * 60)
    act.measures.append(measure)
    if status == "active":
        person["measure"] = kind
        person["updated_at"] = max(person["updated_at"], made)
    if policy is None or plan is None:
        return
    day = start
    while day < min(end or clock.today, clock.today + timedelta(days=1)):
        for slot in slots_for(policy.checks_per_day):
            minutes = (7 * 60 + 30 if slot == "morning" else 17 * 60 + 30) + rng.randint(0, 150)
            at = clock.at(day, minutes)
            if at > clock.now or rng.random() < 0.03:  # not yet, or missed
                continue
            temperature = round(
                rng.uniform(37.3, 38.4)
                if rng.random() < 0.008
                else min(37.1, max(35.9, rng.gauss(36.5, 0.25))),
                1,
            )
            symptoms = (
                ["fever", *rng.sample(names.SYMPTOMS[1:], rng.randint(0, 2))]
                if is_fever(temperature)
                else []
            )
            act.checks.append(
                synced(rng, area, at)
                | {
                    "measure_id": measure["id"],
                    "person_id": person["id"],
                    "check_date": day,
                    "slot": slot,
                    "temperature": temperature,
                    "symptoms": symptoms,
                    "at_home": True,
                    "needs": rng.choice(_NEEDS),
                    "checked_at": at,
                }
            )
        day += timedelta(days=1)
    for due in (d for d in plan.test_dates if d <= clock.today):
        sampled: datetime | None = clock.at(due, 9 * 60 + rng.randint(0, 150))
        if sampled is not None and sampled > clock.now:
            sampled = None
        elif due < clock.today and rng.random() < 0.03:
            continue  # overdue: nobody came to take the sample
        result_at = sampled + timedelta(hours=rng.randint(8, 20)) if sampled else None
        done = result_at is not None and result_at <= clock.now
        act.tests.append(
            synced(rng, area, sampled or clock.at(due, 8 * 60))
            | {
                "person_id": person["id"],
                "measure_id": measure["id"],
                "fever_report_id": None,
                "reason": "scheduled",
                "due_date": due,
                "sampled_at": sampled,
                "result": "negative" if done else "pending",
                "result_at": result_at if done else None,
            }
        )


def _visits(rng: random.Random, clock: Clock, county: County, act: Activity) -> None:
    """About three households in four visited since the campaign began; some found nobody."""
    members: dict[object, list[Row]] = defaultdict(list)
    for person in county.persons:
        members[person["household_id"]].append(person)

    def visit(household: Row, day_offset: int, outcome: str) -> bool:
        day = clock.ago(CAMPAIGN_DAYS - day_offset)
        at = clock.at(day, 8 * 60 + 30 + rng.randint(0, 570))
        if at > clock.now:
            return False
        people = members[household["id"]]
        checklist = (
            {}
            if outcome != "visited"
            else {
                "members": len(people),
                "present": rng.randint(max(1, len(people) - 2), len(people)),
                "returnees": sum(p["category"] != "resident" for p in people),
                "certificates_checked": True,
                "notice_given": True,
            }
        )
        notes = {
            "visited": "",
            "nobody_home": "家中无人，已电话联系",
            "refused": "拒绝入户，已报村委会",
        }[outcome]
        act.visits.append(
            synced(rng, household["area_id"], at)
            | {
                "household_id": household["id"],
                "visited_at": at,
                "outcome": outcome,
                "checklist": checklist,
                "notes": notes,
            }
        )
        return True

    for household in county.households:
        draw = rng.random()
        if draw < 0.76:
            first = rng.randint(0, CAMPAIGN_DAYS)
            if first > 0 and rng.random() < 0.1:
                visit(household, first - 1, "nobody_home")
            visit(household, first, "visited")
        elif draw < 0.83:
            visit(household, rng.randint(0, CAMPAIGN_DAYS), "nobody_home")
        elif draw < 0.84:
            visit(household, rng.randint(0, CAMPAIGN_DAYS), "refused")


def _daily_reports(rng: random.Random, clock: Clock, county: County, act: Activity) -> None:
    """One report per grid per day for the last two weeks, a few missing; today's only from
    the grids that already filed it."""
    visited = Counter(
        (v["area_id"], clock.local_date(v["visited_at"]))
        for v in act.visits
        if v["outcome"] == "visited"
    )
    arrivals = Counter(
        (p["area_id"], p["arrival_date"]) for p in county.persons if p["arrival_date"] is not None
    )
    checks = Counter((c["area_id"], c["check_date"]) for c in act.checks)
    fevers = Counter(
        (c["area_id"], c["check_date"]) for c in act.checks if is_fever(c["temperature"])
    )
    under: Counter[tuple[int, date]] = Counter()
    for m in act.measures:
        day = max(m["start_date"], clock.ago(REPORT_DAYS))
        while day <= clock.today and (m["end_date"] is None or day < m["end_date"]):
            under[(m["area_id"], day)] += 1
            day += timedelta(days=1)
    grids = county.grids
    forced_missing = (rng.randrange(len(grids)), rng.randint(1, REPORT_DAYS))
    for g, grid in enumerate(grids):
        for days_ago in range(REPORT_DAYS, -1, -1):
            day = clock.ago(days_ago)
            if days_ago == 0:
                submitted = clock.at(day, 9 * 60 + rng.randint(0, 12 * 60))
                if submitted > clock.now:
                    continue  # not filed yet today
            else:
                submitted = clock.at(day, 17 * 60 + rng.randint(0, 270))
                if rng.random() < 0.04 or (g, days_ago) == forced_missing:
                    continue  # missing: itself a finding
            key = (grid.id, day)
            is_zero = arrivals[key] == 0 and fevers[key] == 0
            parts = []
            if arrivals[key]:
                parts.append(f"新增返乡人员{arrivals[key]}人，已登记")
            if fevers[key]:
                parts.append(f"监测发现发热{fevers[key]}人次，已报卫生院")
            act.daily_reports.append(
                synced(rng, grid.id, submitted)
                | {
                    "id": daily_report_id(grid.id, day),
                    "report_date": day,
                    "is_zero": is_zero,
                    "households_visited": visited[key],
                    "new_returnees": arrivals[key],
                    "under_measure": under[key],
                    "checks_done": checks[key],
                    "fever_found": fevers[key],
                    "notes": "；".join(parts) or "今日无新增情况",
                    "submitted_at": submitted,
                }
            )
