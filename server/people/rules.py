"""Returnee screening rules and the masking of personal numbers. Pure; no I/O.

The seed: arrivals from abroad or from medium/high-risk areas must hold a negative
nucleic-acid certificate from the last 7 days, are reported at once (特报) and go to
centralised quarantine for 14 days.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from server.masking import mask_id_number as mask_id_number  # re-exported: person rules
from server.masking import mask_phone as mask_phone
from server.people.values import CertificateState, MeasureKind, PersonCategory, RiskLevel

CERTIFICATE_VALID_DAYS = 7
FEVER_THRESHOLD_C = 37.3

SPECIAL_REPORT_CATEGORIES = frozenset(
    {PersonCategory.RETURNEE_MID_HIGH, PersonCategory.RETURNEE_ABROAD}
)
_CATEGORIES = frozenset(PersonCategory)
_CERTIFICATE_STATES = frozenset(CertificateState)
RISK_LEVELS = frozenset(RiskLevel)


def certificate_state(
    certificate_date: date | None, arrival_date: date | None, today: date
) -> CertificateState:
    """The state of a negative-test certificate: "missing", "valid" or "expired".

    The certificate is measured against the arrival date, or against `today` when the
    arrival date is not known. It is **valid when taken 0 to 7 days before that day,
    inclusive**: taken 1 November, an arrival on 8 November is covered, one on 9 November
    is not. A test taken after arrival (e.g. at the village clinic) is recent, hence valid.
    A certificate dated after `today` cannot exist; it is a typing slip or a wrong phone
    clock, so it counts as "missing" and the worker is asked for it again.
    """
    if certificate_date is None or certificate_date > today:
        return CertificateState.MISSING
    reference = arrival_date if arrival_date is not None else today
    age_days = (reference - certificate_date).days
    return (
        CertificateState.VALID if age_days <= CERTIFICATE_VALID_DAYS else CertificateState.EXPIRED
    )


def _check_category(category: str) -> None:
    if category not in _CATEGORIES:
        raise ValueError(f"unknown person category {category!r}")


def needs_special_report(category: str) -> bool:
    """True for arrivals from abroad or from medium/high-risk areas (特报, reported at once)."""
    _check_category(category)
    return category in SPECIAL_REPORT_CATEGORIES


def required_measure(category: str, certificate: str) -> MeasureKind:
    """The measure the rules suggest for a person; the grid worker confirms or changes it.

    Abroad and medium/high-risk arrivals: "central_quarantine", certificate or not.
    Low-risk returnees without a valid certificate: "health_monitoring".
    Everyone else: "none".
    """
    _check_category(category)
    if certificate not in _CERTIFICATE_STATES:
        raise ValueError(f"unknown certificate state {certificate!r}")
    if category in SPECIAL_REPORT_CATEGORIES:
        return MeasureKind.CENTRAL_QUARANTINE
    if category == PersonCategory.RETURNEE_LOW and certificate != CertificateState.VALID:
        return MeasureKind.HEALTH_MONITORING
    return MeasureKind.NONE


def is_fever(temperature: float | None) -> bool:
    """True at 37.3 °C or more.

    Readings are rounded to 0.1 °C first, the precision thermometers show, so a value that
    float arithmetic left at 37.29999 still counts. No reading, or NaN, is not a fever.
    """
    if temperature is None or math.isnan(temperature):
        return False
    return round(temperature, 1) >= FEVER_THRESHOLD_C


# --- what a worker types: ID numbers, phones, dates --------------------------------------

#: GB 11643-1999 weights of the first 17 digits, and the check character by sum mod 11.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
EARLIEST_BIRTH = date(1900, 1, 1)
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
# area code 0 + 2-3 digits, an optional "-", 7-8 digits, an optional "-" extension
_LANDLINE = re.compile(r"0[0-9]{2,3}-?[0-9]{7,8}(?:-[0-9]{1,6})?")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True, slots=True)
class IdCheck:
    """The verdict on a resident ID number; on success, what the number says of its holder."""

    ok: bool
    reason: str | None = None  # "length", "format", "birth_date", "check_digit"
    birth_year: int | None = None
    sex: str | None = None  # the stored values of persons.sex: "male" / "female"


@dataclass(frozen=True, slots=True)
class PhoneCheck:
    ok: bool
    reason: str | None = None  # "format"
    kind: str | None = None  # "mobile" / "landline"


def normalise_id_number(text: str | None) -> str:
    """Blanks around it dropped and a lower-case check "x" raised, as cards print it."""
    return (text or "").strip().upper()


def id_check_digit(first17: str) -> str:
    """ISO 7064 MOD 11-2 over the first 17 digits (GB 11643-1999)."""
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def check_id_number(text: str | None, today: date) -> IdCheck:
    """A resident ID number by GB 11643-1999: 18 characters, a region, a date of birth
    between 1900-01-01 and `today`, a sequence whose last digit is odd for men, and the
    check character (0-9 or X). The old 15-digit numbers (replaced by 2013) are refused
    with "length": no card in use carries one, and a 15-digit entry is nearly always an
    18-digit number typed short."""
    value = normalise_id_number(text)
    if len(value) != 18:
        return IdCheck(False, "length")
    if not (value[:17].isascii() and value[:17].isdigit()) or value[17] not in "0123456789X":
        return IdCheck(False, "format")
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return IdCheck(False, "birth_date")
    if born < EARLIEST_BIRTH or born > today:
        return IdCheck(False, "birth_date")
    if id_check_digit(value[:17]) != value[17]:
        return IdCheck(False, "check_digit")
    return IdCheck(True, None, born.year, "male" if int(value[16]) % 2 else "female")


def check_phone(text: str | None) -> PhoneCheck:
    """A mainland mobile (11 digits, 13x-19x) or a landline (0 + 2-3 digit area code, an
    optional "-", 7-8 digits, an optional "-" extension of up to 6 digits)."""
    value = (text or "").strip()
    if _MOBILE.fullmatch(value):
        return PhoneCheck(True, None, "mobile")
    if _LANDLINE.fullmatch(value):
        return PhoneCheck(True, None, "landline")
    return PhoneCheck(False, "format")


def check_past_date(value: str | date | None, today: date) -> str | None:
    """None when `value` is a real date not after `today`; else "format" or "future".
    For days that cannot lie ahead: an arrival, a certificate, a date of birth."""
    if isinstance(value, str):
        if not _ISO_DATE.fullmatch(value):
            return "format"
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return "format"
    if value is None:
        return "format"
    return "future" if value > today else None


# --- where a returnee came from -----------------------------------------------------------


def _same(wanted: str | None, have: str | None) -> bool:
    # an empty city or district on a risk area covers the whole province or city
    return not wanted or (wanted.strip() == (have or "").strip())


def risk_category_for(
    origin: Mapping[str, str | None],
    risk_areas: Iterable[Mapping[str, Any]],
    on: date,
) -> PersonCategory | None:
    """ "returnee_mid_high" when `origin` ({province, city, district}) lies in a medium- or
    high-risk area in effect on `on`, else None (the worker picks low or abroad).

    A risk area is in effect from ``effective_from`` (inclusive) until ``effective_to``
    (exclusive, the first day it no longer applies; None: still in effect). An area that
    names no city (or no district) covers the whole province (or city)."""
    province = (origin.get("province") or "").strip()
    if not province:
        return None
    for area in risk_areas:
        start = _as_date(area.get("effective_from"))
        end = _as_date(area.get("effective_to"))
        if area.get("level") not in RISK_LEVELS or start is None or on < start:
            continue
        if end is not None and on >= end:
            continue
        if (
            (area.get("province") or "").strip() == province
            and _same(area.get("city"), origin.get("city"))
            and _same(area.get("district"), origin.get("district"))
        ):
            return PersonCategory.RETURNEE_MID_HIGH
    return None


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


#: symptoms that make a check's person a fever suspect whatever the thermometer said
LEAD_SYMPTOMS = frozenset({"fever", "cough"})


def needs_fever_lead(temperature: float | None, symptoms: Iterable[str] | None) -> bool:
    """A check that found a fever (37.3 °C or more) or a fever/cough symptom: the person
    becomes a fever lead for the village clinic and the township health centre."""
    return is_fever(temperature) or bool(LEAD_SYMPTOMS & set(symptoms or ()))


def days_overlap(a_from: date, a_to: date | None, b_from: date, b_to: date | None) -> bool:
    """Two ``[from, to)`` spans of days share a day (``to=None``: no end yet). An empty
    span (to == from, an entry withdrawn before it applied) shares none."""
    if (a_to is not None and a_to <= a_from) or (b_to is not None and b_to <= b_from):
        return False
    return (a_to is None or b_from < a_to) and (b_to is None or a_from < b_to)


def risk_area_problem(
    province: str,
    city: str,
    district: str,
    level: str,
    effective_from: date,
    effective_to: date | None,
    others: Iterable[tuple[date, date | None]] = (),
) -> tuple[str, str] | None:
    """Why a medium/high-risk area entry cannot be listed, as (field, reason), or None.

    Reasons: ``province`` (required), ``city`` (a district needs its city), ``level`` (mid
    or high), ``to_before_from`` (``effective_to`` is the first day off the list: on or
    after ``effective_from``; equal withdraws the entry), ``overlap`` (``others``, the spans
    of the other entries of the same place, already cover one of its days).
    """
    if not province.strip():
        return "province", "province"
    if district.strip() and not city.strip():
        return "city", "city"
    if level not in RISK_LEVELS:
        return "level", "level"
    if effective_to is not None and effective_to < effective_from:
        return "effective_to", "to_before_from"
    if any(days_overlap(effective_from, effective_to, f, t) for f, t in others):
        return "effective_from", "overlap"
    return None
