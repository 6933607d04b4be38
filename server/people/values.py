"""The codes of the household ledger. Pure; stdlib only (server/labels.py names them)."""

from __future__ import annotations

from enum import StrEnum


class PersonCategory(StrEnum):
    """``persons.category``: a resident, or a returnee by the risk of where they came from."""

    RESIDENT = "resident"
    RETURNEE_LOW = "returnee_low"
    RETURNEE_MID_HIGH = "returnee_mid_high"
    RETURNEE_ABROAD = "returnee_abroad"


class MeasureKind(StrEnum):
    """``persons.measure`` and ``measures.kind``: the measure a person is under."""

    NONE = "none"
    HEALTH_MONITORING = "health_monitoring"
    HOME_QUARANTINE = "home_quarantine"
    CENTRAL_QUARANTINE = "central_quarantine"
    HOSPITAL = "hospital"


class CertificateState(StrEnum):
    """A negative-test certificate as the rules judge it (computed, never stored)."""

    MISSING = "missing"
    VALID = "valid"
    EXPIRED = "expired"


class HealthCode(StrEnum):
    """``persons.health_code``: the colour of the health code the person showed."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


class RiskLevel(StrEnum):
    """``risk_areas.level``: a medium- or high-risk area as the health authority lists it."""

    MID = "mid"
    HIGH = "high"
