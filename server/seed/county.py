"""The demo county's places and people: the area tree, facilities, households and persons.

Pure: builds row dictionaries ready for a bulk insert; no I/O. Every random draw comes from
``random.Random`` streams named after the seed, and every date is counted back from the
``today`` the caller passes, so one seed and one day give the same county on any machine.
``rev`` is left out: the loader numbers the rows as it inserts them.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from server.seed import names

Row = dict[str, Any]

CITY_NAME = "示范市"
COUNTY_NAME = "示范县"
CITY_CODE = "419900"
COUNTY_CODE = "419921"  # also the region part of the demo ID numbers
PHONE_AREA_CODE = "0398"


@dataclass(frozen=True)
class Scale:
    """How big the county is. Tests shrink it; the demo keeps the defaults."""

    towns: int = 3
    villages_per_town: int = 8
    households_per_village: int = 150
    min_grids: int = 2
    max_grids: int = 4


@dataclass(frozen=True)
class Clock:
    """Local calendar days and the instant the data is "as of" (nothing happens after it)."""

    today: date
    now: datetime
    tz: ZoneInfo

    def at(self, day: date, minutes: int) -> datetime:
        """`minutes` after local midnight of `day`, as aware UTC."""
        midnight = datetime.combine(day, time(0, 0), self.tz)
        return (midnight + timedelta(minutes=minutes)).astimezone(UTC)

    def local_date(self, dt: datetime) -> date:
        return dt.astimezone(self.tz).date()

    def ago(self, days: int) -> date:
        return self.today - timedelta(days=days)


@dataclass
class Grid:
    id: int
    name: str
    group: int  # the village group (组) the grid covers; addresses use it
    village: Village


@dataclass
class Village:
    id: int
    name: str
    town: Town
    clans: tuple[str, ...]
    grids: list[Grid] = field(default_factory=list)
    clinic_id: int = 0


@dataclass
class Town:
    id: int
    name: str
    villages: list[Village] = field(default_factory=list)
    centre_id: int = 0
    # (facility id, area id) of every sentinel: village clinics, private clinics, pharmacies
    sentinels: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class County:
    areas: list[Row]
    facilities: list[Row]
    towns: list[Town]
    households: list[Row] = field(default_factory=list)
    persons: list[Row] = field(default_factory=list)

    @property
    def grids(self) -> list[Grid]:
        return [g for t in self.towns for v in t.villages for g in v.grids]


def new_id(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def synced(rng: random.Random, area_id: int, at: datetime) -> Row:
    """The columns every synced row carries (``rev`` is added by the loader)."""
    return {
        "id": new_id(rng),
        "deleted": False,
        "versions": {},
        "created_at": at,
        "updated_at": at,
        "area_id": area_id,
        "created_by": None,
        "updated_by": None,
    }


def build_areas(seed: int, clock: Clock, scale: Scale) -> County:
    """City > county > towns > villages > grids, and the facilities in them."""
    rng = random.Random(f"{seed}:areas")
    made = clock.at(clock.ago(90), 9 * 60)
    areas: list[Row] = []
    facilities: list[Row] = []

    def area(level: str, name: str, code: str, parent: Row | None, **lead: str | None) -> Row:
        area_id = len(areas) + 1
        path = (parent["path"] if parent else "/") + f"{area_id}/"
        row: Row = {"id": area_id, "parent_id": parent["id"] if parent else None}
        row |= {"level": level, "name": name, "code": code, "path": path, "created_at": made}
        row |= {"lead_name": lead.get("lead_name"), "lead_phone": lead.get("lead_phone")}
        areas.append(row)
        return row

    def facility(area_id: int, kind: str, name: str, phone: str) -> int:
        facility_id = len(facilities) + 1
        facilities.append(
            {"id": facility_id, "area_id": area_id, "kind": kind, "name": name, "phone": phone}
            | {"created_at": made}
        )
        return facility_id

    city = area("city", CITY_NAME, CITY_CODE, None)
    county = area("county", COUNTY_NAME, COUNTY_CODE, city)
    towns: list[Town] = []
    for t, town_name in enumerate(rng.sample(names.TOWN_NAMES, scale.towns)):
        town_code = f"{COUNTY_CODE}{t + 1:03d}"
        town_row = area("town", town_name, town_code, county)
        town = Town(id=town_row["id"], name=town_name)
        towns.append(town)
        used: set[str] = set()
        for v in range(scale.villages_per_town):
            clans = (names.surname(rng), names.surname(rng))
            vname = names.village_name(rng, clans[0])
            while vname in used:
                vname = names.village_name(rng, names.surname(rng))
            used.add(vname)
            village_code = f"{town_code}{v + 1:03d}"
            village_row = area("village", vname, village_code, town_row)
            village = Village(id=village_row["id"], name=vname, town=town, clans=clans)
            town.villages.append(village)
            for g in range(rng.randint(scale.min_grids, scale.max_grids)):
                sex = "male" if rng.random() < 0.7 else "female"
                lead = names.person_name(rng, rng.choice(clans), sex, rng.randint(1965, 1992))
                grid_row = area(
                    "grid",
                    names.GRID_ORDINALS[g],
                    f"{village_code}{g + 1:02d}",
                    village_row,
                    lead_name=lead,
                    lead_phone=names.mobile(rng),
                )
                village.grids.append(
                    Grid(id=grid_row["id"], name=grid_row["name"], group=g + 1, village=village)
                )
        for village in town.villages:
            village.clinic_id = facility(
                village.id,
                "village_clinic",
                f"{village.name}卫生室",
                names.landline(rng, PHONE_AREA_CODE),
            )
            town.sentinels.append((village.clinic_id, village.id))
        town.centre_id = facility(
            town.id,
            "township_health_centre",
            f"{town.name}卫生院",
            names.landline(rng, PHONE_AREA_CODE),
        )
        for _ in range(2):
            host = rng.choice(town.villages)
            doctor = rng.choice(host.clans)
            fid = facility(
                host.id, "private_clinic", f"{host.name[:-1]}{doctor}氏诊所", names.mobile(rng)
            )
            town.sentinels.append((fid, host.id))
        for brand in rng.sample(names.PHARMACY_BRANDS, 2):
            host = rng.choice(town.villages)
            fid = facility(
                host.id,
                "pharmacy",
                f"{brand}({rng.choice(names.ROADS)}店)",
                names.landline(rng, PHONE_AREA_CODE),
            )
            town.sentinels.append((fid, host.id))
    return County(areas=areas, facilities=facilities, towns=towns)


def _member(
    rng: random.Random, family: str, sex: str, birth_year: int, relation: str
) -> tuple[str, str, int, str]:
    return names.person_name(rng, family, sex, birth_year), sex, birth_year, relation


def _household_members(
    rng: random.Random, clan: str, size: int, year: int
) -> list[tuple[str, str, int, str]]:
    """A plausible family: head and spouse, children, the head's parents or grandchildren."""
    head_sex = "male" if rng.random() < 0.8 else "female"
    head_age = rng.randint(28, 78)
    head_born = year - head_age
    members = [_member(rng, clan, head_sex, head_born, "户主")]
    spouse_sex = "female" if head_sex == "male" else "male"
    if size >= 2 and rng.random() < 0.9:
        spouse_born = head_born + rng.randint(-4, 4)
        members.append(_member(rng, names.surname(rng), spouse_sex, spouse_born, "配偶"))
    # Children carry the father's family name whichever parent heads the household.
    if head_sex == "male":
        child_family = clan
    elif len(members) > 1:
        child_family = members[1][0][0]
    else:
        child_family = names.surname(rng)
    if head_age < 62 and len(members) < size and rng.random() < 0.6:
        for parent_sex in ("male", "female"):
            if len(members) < size and head_age + 24 < 90:
                born = head_born - rng.randint(24, 32)
                family = clan if parent_sex == "male" else names.surname(rng)
                members.append(_member(rng, family, parent_sex, born, "父母"))
    child_born = head_born + rng.randint(22, 30)
    adult_children = 0
    while len(members) < size and child_born <= year:
        sex = rng.choice(("male", "female"))
        members.append(_member(rng, child_family, sex, child_born, "子女"))
        adult_children += year - child_born >= 20
        child_born += rng.randint(2, 6)
    while len(members) < size:
        if adult_children and year - head_born >= 50:
            born = rng.randint(max(head_born + 46, year - 20), year)
            sex = rng.choice(("male", "female"))
            members.append(_member(rng, child_family, sex, born, "孙子女"))
        else:
            sex = rng.choice(("male", "female"))
            born = head_born + rng.randint(-8, 8)
            members.append(_member(rng, clan, sex, born, "兄弟姐妹"))
    # Parents do not give two of their children the same name.
    unique: list[tuple[str, str, int, str]] = []
    for name, sex, born, relation in members:
        for _ in range(10):
            if name not in {m[0] for m in unique}:
                break
            name = names.person_name(rng, name[0], sex, born)
        unique.append((name, sex, born, relation))
    return unique


def build_ledger(seed: int, clock: Clock, scale: Scale, county: County) -> None:
    """About `households_per_village` households per village, 2 to 6 persons each."""
    rng = random.Random(f"{seed}:ledger")
    year = clock.today.year
    registered = clock.at(clock.ago(60), 10 * 60)
    for village in (v for t in county.towns for v in t.villages):
        n = rng.randint(
            round(scale.households_per_village * 0.88), round(scale.households_per_village * 1.12)
        )
        doorplates = {g.id: 0 for g in village.grids}
        village_persons: list[Row] = []
        for _ in range(n):
            grid = rng.choice(village.grids)
            doorplates[grid.id] += rng.choice((1, 1, 1, 2))
            doorplate = f"{grid.group}组{doorplates[grid.id]}号"
            clan = rng.choice(village.clans) if rng.random() < 0.45 else names.surname(rng)
            size = rng.choices((2, 3, 4, 5, 6), weights=(20, 30, 25, 15, 10))[0]
            members = _household_members(rng, clan, size, year)
            phone = names.mobile(rng)
            household = synced(rng, grid.id, registered) | {
                "head_name": members[0][0],
                "address": f"{village.town.name}{village.name}{doorplate}",
                "doorplate": doorplate,
                "phone": phone,
                "notes": "",
            }
            county.households.append(household)
            for name, sex, born, relation in members:
                adult = year - born >= 16
                person = synced(rng, grid.id, registered) | {
                    "household_id": household["id"],
                    "name": name,
                    "sex": sex,
                    "birth_year": born,
                    "id_number": names.id_number(rng, COUNTY_CODE, born, sex, clock.today),
                    "phone": phone
                    if relation == "户主"
                    else (names.mobile(rng) if adult and rng.random() < 0.8 else None),
                    "relation": relation,
                    "category": "resident",
                    "arrival_date": None,
                    "origin": "",
                    "certificate_date": None,
                    "measure": "none",
                    "notes": "",
                    "origin_province": "",
                    "origin_city": "",
                    "origin_district": "",
                    "transport": "",
                    "itinerary": "",
                    "health_code": None,
                    "quarantine_place": "",
                    "contact_of": None,
                    "measure_reason": "",
                }
                village_persons.append(person)
        county.persons.extend(village_persons)
        _mark_returnees(rng, clock, village_persons)


# (category, share of the village's persons, at least this many per village)
_RETURNEE_MIX = (
    ("returnee_abroad", 0.004, 1),
    ("returnee_mid_high", 0.009, 1),
    ("returnee_low", 0.07, 3),
)


# Whatever the scale, every village shows every certificate state on its first returnees.
_FIRST_CERTIFICATE = {
    "returnee_low": "missing",
    "returnee_mid_high": "valid",
    "returnee_abroad": "expired",
}


def _mark_returnees(rng: random.Random, clock: Clock, persons: list[Row]) -> None:
    """Working-age sons and daughters coming home for the Spring Festival, and a few others.

    In every village the first returnee of each category arrived this week (so a running
    measure exists) and the second 15 to 30 days ago (so a finished one exists), whatever
    the scale; low-risk ones without a valid certificate go under health monitoring.
    """
    year = clock.today.year
    candidates = [
        p for p in persons if 18 <= year - p["birth_year"] <= 55 and p["relation"] != "父母"
    ]
    rng.shuffle(candidates)
    for category, share, least in _RETURNEE_MIX:
        count = min(len(candidates), max(least, round(len(persons) * share)))
        chosen, candidates = candidates[:count], candidates[count:]
        for k, person in enumerate(chosen):
            if k == 0:
                days_ago = rng.randint(0, 6)
            elif k == 1:
                days_ago = rng.randint(15, 30)
            else:
                days_ago = rng.randint(0, 34)
            arrival = clock.ago(days_ago)
            if k == 0 or (category == "returnee_low" and k == 1):
                cert_kind = _FIRST_CERTIFICATE[category]
            else:
                cert_kind = rng.choices(("valid", "expired", "missing"), weights=(55, 20, 25))[0]
            cert: date | None = None
            if cert_kind == "valid":
                cert = arrival - timedelta(days=rng.randint(0, 6))
            elif cert_kind == "expired":
                cert = arrival - timedelta(days=rng.randint(8, 20))
            place = ("", "", "")
            if category == "returnee_abroad":
                origin = rng.choice(names.ABROAD_ORIGINS)
            elif category == "returnee_mid_high":
                k_place = rng.randrange(len(names.MID_HIGH_ORIGINS))
                origin, place = names.MID_HIGH_ORIGINS[k_place], names.MID_HIGH_AREAS[k_place]
            else:
                origin = rng.choice(names.LOW_RISK_ORIGINS)
                place = names.split_origin(origin)
            # Entered in the ledger the day they were found, which is the day they arrived.
            entered = clock.at(arrival, rng.randint(9 * 60, 19 * 60))
            if entered > clock.now:
                entered = clock.now - timedelta(minutes=rng.randint(1, 60))
            person |= {
                "created_at": entered,
                "updated_at": entered,
                "category": category,
                "arrival_date": arrival,
                "origin": origin,
                "certificate_date": cert,
                "origin_province": place[0],
                "origin_city": place[1],
                "origin_district": place[2],
            }
