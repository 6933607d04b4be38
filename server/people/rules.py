"""Returnee screening rules and the masking of personal numbers. Pure; no I/O.

The seed: arrivals from abroad or from medium/high-risk areas must hold a negative
nucleic-acid certificate from the last 7 days, are reported at once (特报) and go to
centralised quarantine for 14 days.
"""

from __future__ import annotations

import math
from datetime import date

from server.masking import mask_id_number as mask_id_number  # re-exported: person rules
from server.masking import mask_phone as mask_phone
from server.people.values import CertificateState, MeasureKind, PersonCategory

CERTIFICATE_VALID_DAYS = 7
FEVER_THRESHOLD_C = 37.3

SPECIAL_REPORT_CATEGORIES = frozenset(
    {PersonCategory.RETURNEE_MID_HIGH, PersonCategory.RETURNEE_ABROAD}
)
_CATEGORIES = frozenset(PersonCategory)
_CERTIFICATE_STATES = frozenset(CertificateState)


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


# --- resident ID numbers (GB 11643-1999) -------------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def check_id_number(text: str) -> tuple[bool, str, int | None, str | None]:
    """Check an 18-character resident ID number: ``(ok, reason, birth_year, sex)``.

    ``reason`` is "" when ok, else one of "length", "characters", "birth_date",
    "checksum". The check character is ISO 7064 MOD 11-2 over the first 17 digits ("X"
    stands for 10; a lower-case "x" is accepted, as people type it). The birth date is
    digits 7 to 14 and must be a real date from 1880 on; the 17th digit is odd for men,
    even for women. Birth year and sex are returned only for a valid number.
    """
    value = text.strip().upper()
    if len(value) != 18:
        return False, "length", None, None
    if not value[:17].isdigit() or not value[:17].isascii() or value[17] not in "0123456789X":
        return False, "characters", None, None
    year, month, day = int(value[6:10]), int(value[10:12]), int(value[12:14])
    try:
        born = date(year, month, day)
    except ValueError:
        return False, "birth_date", None, None
    if born.year < 1880:
        return False, "birth_date", None, None
    total = sum(int(digit) * weight for digit, weight in zip(value, _ID_WEIGHTS, strict=False))
    if _ID_CHECK[total % 11] != value[17]:
        return False, "checksum", None, None
    return True, "", year, "male" if int(value[16]) % 2 else "female"
