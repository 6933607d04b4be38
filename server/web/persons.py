"""A person's own page: the whole record (ID number and phone unmasked) for the roles
allowed to see it (supervisors, admins), each read written to the audit log; and the
fever leads and fever reports about the person, each with its state and a link to it."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Response, get
from litestar.params import FromPath
from litestar.response import Template
from litestar.types import ControllerRouterHandler

from server.accounts.deps import CurrentIdentity
from server.accounts.guard import AUDITED_READERS
from server.accounts.guards import reviewer
from server.areas.models import Area
from server.areas.queries import area_ancestors
from server.audit import log as audit_log
from server.db import utcnow
from server.deps import Session
from server.errors import NotFound
from server.fever.queries import fever_of_person
from server.i18n import gettext as _
from server.people.models import Household, Person


@get("/persons/{person_id:str}", include_in_schema=False, guards=[reviewer])
async def person_page(
    session: Session, identity: CurrentIdentity, person_id: FromPath[str]
) -> Response[Any]:
    try:
        pid = uuid.UUID(person_id)
    except ValueError:
        raise NotFound(_("No such person in your area."), code="unknown_person") from None
    person = await session.get(Person, pid)
    area = await session.get(Area, person.area_id) if person is not None else None
    if person is None or area is None or person.deleted or not identity.principal.covers(area.path):
        raise NotFound(_("No such person in your area."), code="unknown_person")
    household = await session.get(Household, person.household_id)
    if identity.user.role in AUDITED_READERS:
        audit_log.record(
            session,
            at=utcnow(),
            user_id=identity.user.id,
            action="read",
            entity="persons",
            entity_id=str(person.id),
            area_id=person.area_id,
            detail={"fields": ["id_number", "phone"]},
        )
    return Template(
        template_name="supervisor/person.html",
        context={
            "user": identity.user,
            "person": person,
            "household": household,
            "trail": await area_ancestors(session, area.path),
            "fever": await fever_of_person(
                session, identity.principal, person.id, person.id_number
            ),
        },
    )


ROUTES: list[ControllerRouterHandler] = [person_page]
