"""Tables for server/people/rules.py: certificates, special reports, measures, masks, fever."""

from __future__ import annotations

from datetime import date

import pytest

from server.people.rules import (
    CERTIFICATE_VALID_DAYS,
    FEVER_THRESHOLD_C,
    certificate_state,
    is_fever,
    mask_id_number,
    mask_phone,
    needs_special_report,
    required_measure,
)

TODAY = date(2021, 11, 20)
ARRIVAL = date(2021, 11, 10)


def test_constants() -> None:
    assert (CERTIFICATE_VALID_DAYS, FEVER_THRESHOLD_C) == (7, 37.3)


@pytest.mark.parametrize(
    ("certificate", "arrival", "expected"),
    [
        (None, ARRIVAL, "missing"),
        (None, None, "missing"),
        (date(2021, 11, 3), ARRIVAL, "valid"),  # exactly 7 days before arrival
        (date(2021, 11, 2), ARRIVAL, "expired"),  # 8 days before arrival
        (ARRIVAL, ARRIVAL, "valid"),  # taken on the day of arrival
        (date(2021, 11, 12), ARRIVAL, "valid"),  # taken after arrival, before today
        (TODAY, ARRIVAL, "valid"),
        (date(2021, 11, 21), ARRIVAL, "missing"),  # dated tomorrow: a slip, not a certificate
        (date(2021, 11, 13), None, "valid"),  # no arrival date: 7 days before today
        (date(2021, 11, 12), None, "expired"),  # 8 days before today
        (TODAY, None, "valid"),
        (date(2021, 11, 3), date(2021, 11, 25), "expired"),  # planned arrival counts
    ],
)
def test_certificate_state(certificate: date | None, arrival: date | None, expected: str) -> None:
    assert certificate_state(certificate, arrival, TODAY) == expected


@pytest.mark.parametrize(
    ("category", "expected"),
    [
        ("resident", False),
        ("returnee_low", False),
        ("returnee_mid_high", True),
        ("returnee_abroad", True),
    ],
)
def test_needs_special_report(category: str, expected: bool) -> None:
    assert needs_special_report(category) is expected


@pytest.mark.parametrize(
    ("category", "certificate", "expected"),
    [
        ("returnee_abroad", "valid", "central_quarantine"),
        ("returnee_abroad", "missing", "central_quarantine"),
        ("returnee_mid_high", "valid", "central_quarantine"),
        ("returnee_mid_high", "expired", "central_quarantine"),
        ("returnee_low", "missing", "health_monitoring"),
        ("returnee_low", "expired", "health_monitoring"),
        ("returnee_low", "valid", "none"),
        ("resident", "missing", "none"),
        ("resident", "valid", "none"),
    ],
)
def test_required_measure(category: str, certificate: str, expected: str) -> None:
    assert required_measure(category, certificate) == expected


@pytest.mark.parametrize(("category", "certificate"), [("tourist", "valid"), ("resident", "ok")])
def test_required_measure_rejects_unknown_names(category: str, certificate: str) -> None:
    with pytest.raises(ValueError, match="unknown"):
        required_measure(category, certificate)


def test_needs_special_report_rejects_unknown_category() -> None:
    with pytest.raises(ValueError, match="unknown person category"):
        needs_special_report("Returnee_Abroad")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("110101199001011234", "110101********1234"),
        ("11010119900101123X", "110101********123X"),
        ("110101900101123", "110101*****1123"),  # old 15-digit number
        (" 110101199001011234 ", "110101********1234"),
        ("12345678901", "123456*8901"),  # shortest with something to hide
        ("1234567890", "**********"),  # too short: hide all
        ("123", "***"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_id_number(raw: str | None, expected: str) -> None:
    assert mask_id_number(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "138****5678"),
        ("+8613812345678", "+86*******5678"),
        ("12345678", "123*5678"),
        ("1234567", "*******"),  # landline fragment: hide all
        ("12", "**"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_phone(raw: str | None, expected: str) -> None:
    assert mask_phone(raw) == expected


@pytest.mark.parametrize(
    ("temperature", "expected"),
    [
        (None, False),
        (36.5, False),
        (37.2, False),
        (37.24, False),
        (37.3, True),
        (37.29999999, True),  # float noise rounds to 37.3
        (36.8 + 0.5, True),
        (39.0, True),
        (float("nan"), False),
    ],
)
def test_is_fever(temperature: float | None, expected: bool) -> None:
    assert is_fever(temperature) is expected
