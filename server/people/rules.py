"""Returnee screening rules and the masking of personal numbers. Pure; no I/O.

The seed: arrivals from abroad or from medium/high-risk areas must hold a negative
nucleic-acid certificate from the last 7 days, are reported at once (特报) and go to
centralised quarantine for 14 days.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
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


#: symptoms that make a check's person a fever suspect whatever the thermometer said
LEAD_SYMPTOMS = frozenset({"fever", "cough"})


def needs_fever_lead(temperature: float | None, symptoms: Iterable[str] | None) -> bool:
    """A check that found a fever (37.3 °C or more) or a fever/cough symptom: the person
    becomes a fever lead for the village clinic and the township health centre."""
    return is_fever(temperature) or bool(LEAD_SYMPTOMS & set(symptoms or ()))
