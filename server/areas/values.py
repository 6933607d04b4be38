"""The stored codes of the area tree. Pure; stdlib only (server/labels.py names them)."""

from __future__ import annotations

from enum import StrEnum


class AreaLevel(StrEnum):
    """``areas.level``, from the root down: a grid is the leaf a grid worker looks after."""

    CITY = "city"
    COUNTY = "county"
    TOWN = "town"
    VILLAGE = "village"
    GRID = "grid"


class FacilityKind(StrEnum):
    """``facilities.kind``: where a sentinel works, or the township health centre."""

    VILLAGE_CLINIC = "village_clinic"
    PRIVATE_CLINIC = "private_clinic"
    PHARMACY = "pharmacy"
    TOWNSHIP_HEALTH_CENTRE = "township_health_centre"
