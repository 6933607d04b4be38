"""QR doorplates (一户一码): a printable A4 sheet of a grid's households, each cell a QR code
of ``wangge:h:<household id>`` with the doorplate and the head of household under it. The
field app's scanner (web/static/js/screens/scan.js) opens the household it names.

Admins and supervisors print them for the grids of their subtree; grid workers scan them
(they have no need to print a sheet of names). Each sheet shown is one ``read`` audit entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import segno
from litestar import get
from litestar.params import QueryParameter
from litestar.response import Template
from litestar.types import ControllerRouterHandler
from markupsafe import Markup

from server.accounts.deps import CurrentIdentity
from server.accounts.guards import reviewer
from server.areas.models import Area
from server.areas.queries import area_trail, areas_under
from server.areas.values import AreaLevel
from server.audit import log as audit_log
from server.deps import Session
from server.errors import NotFound
from server.i18n import gettext as _
from server.people.queries import grid_doorplates

#: what a doorplate's QR code says: a prefix no other code has, then the household's id
CODE_PREFIX = "wangge:h:"
#: cells on one A4 page (3 across, 4 down)
PER_PAGE = 12


def doorplate_code(household_id: str) -> str:
    return f"{CODE_PREFIX}{household_id}"


def qr_svg(text: str) -> Markup:
    """The QR code of `text` as inline SVG (error correction M or better, quiet zone kept),
    sized by its container."""
    svg = segno.make(text, error="m", micro=False).svg_inline(
        scale=1, omitsize=True, svgclass="qr", title=None
    )
    return Markup(svg)  # segno's own markup: no user text in it


@dataclass(frozen=True, slots=True)
class Plate:
    household_id: str
    doorplate: str
    head_name: str
    code: str
    svg: Markup


@get("/doorplates", include_in_schema=False, guards=[reviewer])
async def doorplates(
    session: Session,
    identity: CurrentIdentity,
    grid: Annotated[int | None, QueryParameter(name="grid", ge=1, le=2**31 - 1)] = None,
) -> Template:
    principal = identity.principal
    if grid is None:
        grids = await areas_under(session, principal.area_path, (AreaLevel.GRID,))
        return Template(
            template_name="admin/doorplates_pick.html",
            context={"user": identity.user, "grids": grids},
        )
    area = await session.get(Area, grid)
    if area is None or area.level != AreaLevel.GRID or not principal.covers(area.path):
        raise NotFound(_("There is no such grid in your area."), code="not_found")
    rows = await grid_doorplates(session, grid)
    plates = [
        Plate(r.household_id, r.doorplate, r.head_name, doorplate_code(r.household_id),
              qr_svg(doorplate_code(r.household_id)))
        for r in rows
    ]  # fmt: skip
    audit_log.record(
        session,
        user_id=identity.user.id,
        action="read",
        entity="doorplates",
        entity_id=str(grid),
        area_id=grid,
        detail={"households": len(plates)},
    )
    return Template(
        template_name="admin/doorplates.html",
        context={
            "user": identity.user,
            "grid": area,
            "trail": " · ".join((await area_trail(session, area.path))[-2:]),
            "pages": [plates[i : i + PER_PAGE] for i in range(0, len(plates), PER_PAGE)],
            "total": len(plates),
        },
    )


ROUTES: list[ControllerRouterHandler] = [doorplates]
