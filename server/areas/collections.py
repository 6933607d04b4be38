"""The area tree and its facilities as devices sync them: reference data, read-only."""

from __future__ import annotations

from server.areas.models import Area, Facility
from server.i18n import gettext as _
from server.sync.spec.collections import declare

AREAS = declare(
    "areas",
    Area,
    "reference",
    "parent_id level name code path lead_name lead_phone",
    lambda: _("areas"),
    read_scope="area_tree",
    int_ids=True,
)
FACILITIES = declare(
    "facilities",
    Facility,
    "reference",
    "area_id kind name phone",
    lambda: _("facilities"),
    read_scope="subtree_or_ancestors",
    int_ids=True,
)
