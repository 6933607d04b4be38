"""What people read for a stored code or a collection name: one table for the pages (the
``label`` filter), the sync messages ("Your role may not change 住户") and the field app,
whose shell carries it as the ``enums`` block of web/templates/app/_strings.html.

Groups are named as the field app's scripts name them (``label("measure", kind)`` in
web/static/js/i18n.js); each code group is built from its domain's StrEnum, so a code
added to an enum without a label fails tests/unit/test_labels.py. Msgids are English; the
Chinese is in server/locale/zh_CN/LC_MESSAGES/labels.po.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from functools import cache

from server.accounts.values import Role
from server.alerts.values import AlertKind
from server.areas.values import AreaLevel, FacilityKind
from server.fever.values import Escalation, FeverEventKind, FeverSource, FeverState
from server.i18n import get_locale, translations, using_locale
from server.people.values import (
    CertificateState,
    HealthCode,
    MeasureKind,
    PersonCategory,
    RiskLevel,
)
from server.quarantine.values import CheckSlot, MeasureStatus, TestResult
from server.registry import REGISTRY
from server.reminders.values import ReminderKind, ReminderState
from server.reports.values import ReportStatus
from server.visits.values import CoverageState, VisitOutcome

#: Each group of codes and its enum. The order settles a plain string that two groups
#: name differently: "missing" is a daily report's status before a certificate's state
#: (pass the group, or the enum member, to get the other).
GROUPS: dict[str, type[StrEnum]] = {
    "role": Role,
    "area_level": AreaLevel,
    "facility_kind": FacilityKind,
    "category": PersonCategory,
    "measure": MeasureKind,
    "measure_status": MeasureStatus,
    "slot": CheckSlot,
    "test_result": TestResult,
    "outcome": VisitOutcome,
    "visit_state": CoverageState,
    "fever_state": FeverState,
    "fever_event": FeverEventKind,
    "report_status": ReportStatus,
    "certificate": CertificateState,
    "health_code": HealthCode,
    "risk_level": RiskLevel,
    "escalation": Escalation,
    "fever_source": FeverSource,
    "alert_kind": AlertKind,
    "reminder_kind": ReminderKind,
    "reminder_state": ReminderState,
}
#: the group of the sync collections' names (server/sync/collections.py)
COLLECTION = "collection"
_GROUP_OF: dict[type[StrEnum], str] = {enum: group for group, enum in GROUPS.items()}


Translate = Callable[[str], str]


def _codes(_: Translate) -> dict[str, Mapping[StrEnum, str]]:
    """Every code's label, put into a language by `_` (written `_` so Babel extracts them)."""
    fever: dict[StrEnum, str] = {
        FeverState.REPORTED: _("Reported"),
        FeverState.ACKNOWLEDGED: _("Acknowledged"),
        FeverState.SAMPLED: _("Sampled"),
        FeverState.SENT: _("Sent to the lab"),
        FeverState.RESULTED: _("Result in"),
    }
    return {
        "role": {
            Role.GRID_WORKER: _("Grid worker"),
            Role.SENTINEL: _("Sentinel"),
            Role.TOWNSHIP_HEALTH: _("Township health centre"),
            Role.SUPERVISOR: _("Supervisor"),
            Role.ADMIN: _("Administrator"),
        },
        "area_level": {
            AreaLevel.CITY: _("City"),
            AreaLevel.COUNTY: _("County"),
            AreaLevel.TOWN: _("Town"),
            AreaLevel.VILLAGE: _("Village"),
            AreaLevel.GRID: _("Grid"),
        },
        "facility_kind": {
            FacilityKind.VILLAGE_CLINIC: _("Village clinic"),
            FacilityKind.PRIVATE_CLINIC: _("Private clinic"),
            FacilityKind.PHARMACY: _("Pharmacy"),
            FacilityKind.TOWNSHIP_HEALTH_CENTRE: _("Township health centre"),
        },
        "category": {
            PersonCategory.RESIDENT: _("Resident"),
            PersonCategory.RETURNEE_LOW: _("Returnee (low-risk area)"),
            PersonCategory.RETURNEE_MID_HIGH: _("Returnee (medium/high-risk area)"),
            PersonCategory.RETURNEE_ABROAD: _("Returnee (abroad)"),
        },
        "measure": {
            MeasureKind.NONE: _("No measure"),
            MeasureKind.HEALTH_MONITORING: _("Health monitoring"),
            MeasureKind.HOME_QUARANTINE: _("Home quarantine"),
            MeasureKind.CENTRAL_QUARANTINE: _("Centralised quarantine"),
            MeasureKind.HOSPITAL: _("In hospital"),
        },
        "measure_status": {
            MeasureStatus.ACTIVE: _("Under way"),
            MeasureStatus.RELEASED: _("Released"),
            MeasureStatus.TRANSFERRED: _("Transferred"),
            MeasureStatus.CANCELLED: _("Cancelled"),
        },
        "slot": {
            CheckSlot.MORNING: _("Morning"),
            CheckSlot.EVENING: _("Evening"),
        },
        "test_result": {
            TestResult.PENDING: _("Awaiting result"),
            TestResult.NEGATIVE: _("Negative"),
            TestResult.POSITIVE: _("Positive"),
        },
        "outcome": {
            VisitOutcome.VISITED: _("Visited"),
            VisitOutcome.NOBODY_HOME: _("Nobody home"),
            VisitOutcome.REFUSED: _("Refused"),
        },
        "visit_state": {
            CoverageState.VISITED: _("Visited"),
            CoverageState.ATTEMPTED: _("Tried, not met"),
            CoverageState.NOT_VISITED: _("Not visited"),
        },
        "fever_state": fever,
        # an event is named after the state it leads to
        "fever_event": {kind: fever[FeverState(kind)] for kind in FeverEventKind},
        "reminder_kind": {
            ReminderKind.MISSING_DAILY_REPORT: _("Daily report missing"),
            ReminderKind.MISSED_CHECK: _("Check not done"),
            ReminderKind.OTHER: _("Other"),
        },
        "reminder_state": {
            ReminderState.UNREAD: _("Not read yet"),
            ReminderState.READ: _("Read"),
        },
        "report_status": {
            ReportStatus.REPORTED: _("Reported"),
            ReportStatus.ZERO: _("Zero report"),
            ReportStatus.MISSING: _("Not reported"),
        },
        "certificate": {
            CertificateState.MISSING: _("No certificate"),
            CertificateState.VALID: _("Certificate valid"),
            CertificateState.EXPIRED: _("Certificate expired"),
        },
        "health_code": {
            HealthCode.GREEN: _("Green code"),
            HealthCode.YELLOW: _("Yellow code"),
            HealthCode.RED: _("Red code"),
        },
        "risk_level": {
            RiskLevel.MID: _("Medium-risk area"),
            RiskLevel.HIGH: _("High-risk area"),
        },
        "escalation": {
            Escalation.NONE: _("On track"),
            Escalation.NOT_ACKNOWLEDGED: _("Not acknowledged in time"),
            Escalation.NOT_SAMPLED: _("Not sampled in time"),
            Escalation.NO_RESULT: _("No lab result in time"),
        },
        "fever_source": {
            FeverSource.SENTINEL: _("Sentinel"),
            FeverSource.CHECK: _("Lead from a check"),
        },
        "alert_kind": {
            AlertKind.ARRIVAL: _("High-risk arrival"),
            AlertKind.POSITIVE: _("Positive test result"),
        },
    }


def _collections(locale: str) -> dict[str, str]:
    """The sync collections, as messages name them ("Recorded 入户排查记录 cannot be changed"):
    each collection's declaration holds its own name for people."""
    with using_locale(locale):
        return {c.name: c.label() for c in REGISTRY.ordered}


@cache
def _table(locale: str) -> dict[str, dict[str, str]]:
    gettext = translations(locale).gettext
    grouped = {
        group: {str(code): text for code, text in texts.items()}
        for group, texts in _codes(gettext).items()
    }
    grouped[COLLECTION] = _collections(locale)
    return grouped


@cache
def _flat(locale: str) -> dict[str, str]:
    flat: dict[str, str] = {}
    for texts in _table(locale).values():
        for code, text in texts.items():
            flat.setdefault(code, text)
    return flat


def labels() -> dict[str, dict[str, str]]:
    """Every group, ``{group: {code: label}}``, in the request's language."""
    return {group: dict(texts) for group, texts in _table(get_locale()).items()}


def label(code: str | None, group: str | None = None) -> str:
    """The label of a code (or a collection name) in the request's language.

    An enum member finds its own group; a plain string, as read from a column, is looked
    up in `group` when given, else in every group in GROUPS order. An unknown code is
    shown as it is, None as nothing.
    """
    if code is None:
        return ""
    if group is None and isinstance(code, StrEnum):
        group = _GROUP_OF.get(type(code))
    if group is not None:
        return _table(get_locale())[group].get(code, str(code))
    return _flat(get_locale()).get(code, code)


__all__ = ["COLLECTION", "GROUPS", "label", "labels"]
