"""Two-hour fever reports in the demo county: every state, some received late, phones with
wrong clocks; the events that moved each report on and the tests sampled for it. Pure."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from server.fever.values import FeverState
from server.seed import names
from server.seed.county import Clock, County, Row, Town, synced

#: every state, in the order a report goes through them
_STATES: tuple[FeverState, ...] = tuple(FeverState)


@dataclass
class FeverRows:
    reports: list[Row] = field(default_factory=list)
    events: list[Row] = field(default_factory=list)
    tests: list[Row] = field(default_factory=list)


# How many days ago a report in each state was seen: later states are older.
_DAYS_AGO = {
    "reported": (1, 1),
    "acknowledged": (1, 2),
    "sampled": (1, 3),
    "sent": (2, 4),
    "resulted": (3, 13),
}
# minutes after the previous step: acknowledged, sampled, sent, resulted
_STEP_MINUTES = ((5, 60), (30, 150), (60, 240), (8 * 60, 20 * 60))


def build_fever(rng: random.Random, clock: Clock, county: County) -> FeverRows:
    """Two-hour fever reports in every state; some reached the health centre late."""
    act = FeverRows()
    persons_by_village: dict[int, list[Row]] = defaultdict(list)
    village_of = {g.id: g.village.id for g in county.grids}
    for person in county.persons:
        persons_by_village[village_of[person["area_id"]]].append(person)
    address = {h["id"]: h["address"] for h in county.households}
    first_town = 0  # how many reports the first town filed
    for t, town in enumerate(county.towns):
        offsets = {fid: _clock_offset(rng) for fid, _ in town.sentinels}
        count = max(len(_STATES) + 1, round(len(town.villages) * 1.75))
        for i in range(count):
            state = (
                _STATES[i]
                if i < len(_STATES)
                else rng.choices(_STATES, weights=(8, 8, 8, 10, 66))[0]
            )
            # The demo sentinel's clinic (first village) files the first few of town one.
            fid, area = town.sentinels[0] if t == 0 and i < 3 else rng.choice(town.sentinels)
            patient = rng.choice(persons_by_village[area])
            late = i == 1 or rng.random() < 0.12
            low, high = _DAYS_AGO[state]
            days_ago = rng.randint(low, high)
            last_hour = 16 if days_ago <= 2 else 20
            seen = clock.at(clock.ago(days_ago), rng.randint(8 * 60, last_hour * 60))
            where = address[patient["household_id"]]
            _fever_report(
                rng, clock, act, town, (fid, area), (patient, where), state, seen, late,
                offsets[fid],
            )  # fmt: skip
        # This morning's patients, when the morning has begun: the pages show "today" too.
        opening = clock.at(clock.today, 7 * 60 + 30)
        for k in range(2 if t == 0 else 1):
            seen = clock.now - timedelta(minutes=rng.randint(30, 150))
            if seen < opening:
                break
            fid, area = town.sentinels[0] if t == 0 and k == 0 else rng.choice(town.sentinels)
            patient = rng.choice(persons_by_village[area])
            _fever_report(
                rng, clock, act, town, (fid, area), (patient, address[patient["household_id"]]),
                "acknowledged", seen, False, offsets[fid],
            )  # fmt: skip
        first_town = first_town or len(act.reports)
    _one_positive(act, act.reports[:first_town])
    return act


def _one_positive(act: FeverRows, first_town: list[Row]) -> None:
    """The county's one positive: the latest result of the first town's reports turns out
    positive (report, result event and test), so the demo shows what a positive raises.
    Chosen after the draws, so every other row stays as the seed made it."""
    resulted = [r for r in first_town if r["result"] is not None]
    if not resulted:
        return
    report = max(resulted, key=lambda r: r["updated_at"])
    report["result"] = "positive"
    for event in act.events:
        if event["report_id"] == report["id"] and event["kind"] == "resulted":
            event["result"], event["note"] = "positive", "核酸检测阳性"
    for test in act.tests:
        if test["fever_report_id"] == report["id"]:
            test["result"] = "positive"


def _clock_offset(rng: random.Random) -> timedelta:
    """How wrong a sentinel's phone clock is: mostly right, some minutes off, rarely days."""
    draw = rng.random()
    if draw < 0.6:
        return timedelta(0)
    if draw < 0.95:
        return timedelta(seconds=rng.choice((-1, 1)) * rng.randint(30, 600))
    return timedelta(days=2, minutes=rng.randint(0, 59))


def _fever_report(
    rng: random.Random,
    clock: Clock,
    act: FeverRows,
    town: Town,
    sentinel: tuple[int, int],
    who: tuple[Row, str],
    state: str,
    seen: datetime,
    late: bool,
    offset: timedelta,
) -> None:
    """One report seen at `seen`, moved on towards `state` as far as `clock.now` allows."""
    fid, area = sentinel
    patient, address = who
    received = seen + timedelta(minutes=rng.randint(130, 360) if late else rng.randint(5, 110))
    received = min(received, clock.now)
    steps: list[tuple[FeverState, datetime]] = []
    at = received
    for kind, (lo, hi) in zip(_STATES[1:], _STEP_MINUTES, strict=True):
        if _STATES.index(kind) > _STATES.index(state):
            break
        at = at + timedelta(minutes=rng.randint(lo, hi))
        if at > clock.now:
            break
        steps.append((kind, at))
    reached = steps[-1][0] if steps else "reported"
    temperature = round(rng.uniform(37.4, 39.3), 1)
    report = synced(rng, area, received) | {
        "facility_id": fid,
        "patient_name": patient["name"],
        "patient_phone": patient["phone"],
        "patient_id_number": patient["id_number"],
        "sex": patient["sex"],
        "age": clock.today.year - patient["birth_year"],
        "address": address,
        "temperature": temperature,
        "symptoms": ["fever", *rng.sample(names.SYMPTOMS[1:], rng.randint(0, 3))],
        "seen_at_device": seen + offset,
        "seen_at": seen,
        "received_at": received,
        "state": reached,
        "result": "negative" if reached == "resulted" else None,
        "updated_at": steps[-1][1] if steps else received,
    }
    act.reports.append(report)
    sampled_at: datetime | None = None
    result_at: datetime | None = None
    for kind, when in steps:
        note = {
            "acknowledged": f"{town.name}卫生院已接报",
            "sampled": "已采集咽拭子",
            "sent": "已送县疾控中心检测",
            "resulted": "核酸检测阴性",
        }[kind]
        act.events.append(
            synced(rng, area, when)
            | {
                "report_id": report["id"],
                "kind": kind,
                "at": when,
                "result": "negative" if kind == "resulted" else None,
                "note": note,
            }
        )
        sampled_at = when if kind == "sampled" else sampled_at
        result_at = when if kind == "resulted" else result_at
    if sampled_at is not None:
        act.tests.append(
            synced(rng, area, sampled_at)
            | {
                "person_id": patient["id"],
                "measure_id": None,
                "fever_report_id": report["id"],
                "reason": "fever",
                "due_date": clock.local_date(seen),
                "sampled_at": sampled_at,
                "result": "negative" if result_at else "pending",
                "result_at": result_at,
            }
        )
