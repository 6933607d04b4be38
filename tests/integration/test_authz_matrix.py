"""The authorisation matrix, generated from the route table: every HTTP route of the app ×
every role (and anonymous) × a resource in the caller's own area, a sibling area and the
parent area, against the rights docs/roles.md documents.

``MATRIX`` is keyed by (method, path) exactly as ``app.routes`` spells them. A route with
no entry fails the test: add one saying who may call it and what each caller gets.

Outcomes are HTTP statuses, except where the route answers 200 and the right lies in what
the answer holds: there "seen" / "unseen" (a list or a pull includes the resource or not)
and a sync mutation's status or code ("applied", "out_of_scope", "forbidden").

Places of a resource, relative to the caller's area: ``self`` (the caller's own device),
``own`` (in the caller's area), ``sibling`` (in the area next to it, under the same
parent), ``parent`` (in the parent area's subtree but outside the caller's: for devices,
a user bound to the parent area itself).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.accounts.auth import csrf_token_for
from server.accounts.models import Device, User
from server.accounts.passwords import hash_token, new_token
from server.accounts.service import start_session
from server.alerts.models import Alert
from server.app import create_app
from server.areas.models import Area, Facility
from server.config import Settings
from server.db import transaction
from server.sync.models import Conflict, SyncState
from server.sync.revs import RevAllocator
from server.visits.models import Campaign
from tests.factories import (
    DEFAULT_PASSWORD,
    at,
    make_area,
    make_facility,
    make_fever_report,
    make_household,
    make_user,
)
from tests.integration.sync_helpers import Dev, household

ROLES = ("grid_worker", "sentinel", "township_health", "supervisor", "admin")
CALLERS: tuple[str | None, ...] = (None, *ROLES)
ALL = "*"
Outcome = int | str
#: expected outcome for a caller: one outcome, a set of acceptable ones, or one per place
Expect = Outcome | frozenset[Outcome] | dict[str, Outcome]
DB = async_sessionmaker[AsyncSession]


@dataclass
class Entry:
    """What a route answers each caller (``expect[caller]``, ``expect[ALL]`` the rest)."""

    call: Callable[[World, str | None, str | None], Awaitable[Outcome]]
    expect: dict[str | None, Expect]
    places: tuple[str, ...] = ()
    checks: list[tuple[str, Any, dict[str | None, Expect]]] = field(default_factory=list)


# --- the world ---------------------------------------------------------------------------

#: role: (own area, sibling area, parent area)
HOME = {
    "grid_worker": ("G", "G2", "V"),
    "sentinel": ("V", "V2", "T"),
    "township_health": ("T", "T2", "K"),
    "supervisor": ("T", "T2", "K"),
    "admin": ("K", "K2", "C"),
}
#: a grid for records in each place: (own, sibling, parent-only) per role
GRIDS = {
    "grid_worker": ("G", "G2", "G2b"),
    "sentinel": ("G", "G3", "G3b"),
    "township_health": ("G", "G4", "G4b"),
    "supervisor": ("G", "G4", "G4b"),
    "admin": ("G", "G5", "G5b"),
}
PLACES = ("own", "sibling", "parent")


async def build_tree(session: AsyncSession) -> dict[str, Area]:
    a: dict[str, Area] = {}
    a["C"] = await make_area(session, "city", "安康市")
    a["K"] = await make_area(session, "county", "平利县", a["C"])
    a["K2"] = await make_area(session, "county", "岚皋县", a["C"])
    a["K2b"] = await make_area(session, "county", "镇坪县", a["C"])
    a["T"] = await make_area(session, "town", "老县镇", a["K"])
    a["T2"] = await make_area(session, "town", "城关镇", a["K"])
    a["T2b"] = await make_area(session, "town", "长安镇", a["K"])
    a["V"] = await make_area(session, "village", "蒋家坪村", a["T"])
    a["V2"] = await make_area(session, "village", "龙头村", a["T"])
    a["V2b"] = await make_area(session, "village", "桃园村", a["T"])
    for name, parent in [
        ("G", "V"),
        ("G2", "V"),
        ("G2b", "V"),
        ("G3", "V2"),
        ("G3b", "V2b"),
        ("G4", "T2"),
        ("G4b", "T2b"),
        ("G5", "K2"),
        ("G5b", "K2b"),
    ]:
        a[name] = await make_area(session, "grid", f"{name}网格", a[parent])
    return a


@dataclass
class World:
    client: AsyncTestClient[Litestar]
    db: DB
    settings: Settings
    areas: dict[str, Area]
    facilities: dict[str, Facility]
    users: dict[str, User]
    sessions: dict[str, str]
    tokens: dict[str, str]
    households: dict[str, str]  # grid name -> household id
    fever: dict[str, str]  # grid name -> fever report id (at a clinic of the grid's village)

    def place_grid(self, who: str, place: str) -> str:
        return GRIDS[who][PLACES.index(place)]

    def place_area(self, who: str, place: str) -> Area:
        return self.areas[HOME[who][PLACES.index(place)]]

    def cookie(self, who: str | None) -> dict[str, str]:
        return {"Cookie": f"wg_session={self.sessions[who]}"} if who else {}

    def csrf(self, who: str) -> str:
        return csrf_token_for(self.settings.secret_key, self.sessions[who])

    def bearer(self, who: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}

    async def device_of(self, owner: User) -> uuid.UUID:
        async with transaction(self.db) as s:
            device = Device(id=uuid.uuid4(), user_id=owner.id, name="x", token_hash=new_token())
            s.add(device)
        return device.id

    async def owner_at(self, area: Area) -> User:
        async with transaction(self.db) as s:
            return await make_user(s, "grid_worker", area, name="设备主人")

    async def device_at(self, who: str, place: str) -> uuid.UUID:
        if place == "self":
            return await self.device_of(self.users[who])
        return await self.device_of(await self.owner_at(self.place_area(who, place)))

    async def conflict_at(self, grid: str) -> uuid.UUID:
        async with transaction(self.db) as s:
            alloc = RevAllocator(s)
            conflict = Conflict(
                id=uuid.uuid4(),
                rev=await alloc.next(),
                area_id=self.areas[grid].id,
                collection="persons",
                record_id=str(uuid.uuid4()),
                field="measure",
                critical=True,
                status="pending",
                kept_value="home_quarantine",
                proposed_value="none",
                proposed_hlc="1795933845000:0000:0c1d2e3f",
            )
            s.add(conflict)
            await alloc.flush()
        return conflict.id


async def make_matrix_world(client: AsyncTestClient[Litestar], db: DB, settings: Settings) -> World:
    async with transaction(db) as s:
        if await s.get(SyncState, 1) is None:
            s.add(SyncState(id=1, last_rev=0, horizon_rev=0))
        areas = await build_tree(s)
        facilities = {v: await make_facility(s, areas[v]) for v in ("V", "V2", "V2b", "T2", "T2b")}
        facilities |= {
            "K2": await make_facility(s, areas["G5"]),
            "K2b": await make_facility(s, areas["G5b"]),
        }
        users: dict[str, User] = {}
        for role in ROLES:
            own = areas[HOME[role][0]]
            facility = facilities["V"] if role == "sentinel" else None
            users[role] = await make_user(s, role, own, facility=facility)
        sessions = {role: await start_session(s, users[role]) for role in ROLES}
        tokens: dict[str, str] = {}
        for role in ROLES:
            tokens[role] = new_token()
            s.add(
                Device(
                    id=uuid.uuid4(),
                    user_id=users[role].id,
                    name=role,
                    token_hash=hash_token(tokens[role]),
                )
            )
        households: dict[str, str] = {}
        fever: dict[str, str] = {}
        clinic_of = {
            "G": "V",
            "G2": "V",
            "G2b": "V",
            "G3": "V2",
            "G3b": "V2b",
            "G4": "T2",
            "G4b": "T2b",
            "G5": "K2",
            "G5b": "K2b",
        }
        for grid in clinic_of:
            households[grid] = str((await make_household(s, areas[grid])).id)
            report = await make_fever_report(
                s, facilities[clinic_of[grid]], at(2026, 11, 28, 8), area=areas[grid]
            )
            fever[grid] = str(report.id)
    return World(
        client, db, settings, areas, facilities, users, sessions, tokens, households, fever
    )


# --- the calls ---------------------------------------------------------------------------


def get(path: str, *, auth: str = "cookie") -> Callable[[World, str | None, str | None], Any]:
    async def call(w: World, who: str | None, _place: str | None) -> Outcome:
        headers = w.cookie(who) if auth == "cookie" else w.bearer(who)
        return int((await w.client.get(path, headers=headers, follow_redirects=False)).status_code)

    return call


async def login_get(w: World, who: str | None, _place: str | None) -> Outcome:
    return (await w.client.get("/login", headers=w.cookie(who), follow_redirects=False)).status_code


async def login_post(w: World, who: str | None, _place: str | None) -> Outcome:
    w.client.cookies.clear()
    cookie = new_token()
    data = {
        "phone": w.users[who].phone if who else "13999999999",
        "password": DEFAULT_PASSWORD if who else "wrong-password-1",
        "csrf_token": csrf_token_for(w.settings.secret_key, cookie, "login"),
    }
    response = await w.client.post(
        "/login", data=data, headers={"Cookie": f"wg_csrf={cookie}"}, follow_redirects=False
    )
    w.client.cookies.clear()
    return response.status_code


async def logout(w: World, who: str | None, _place: str | None) -> Outcome:
    if who is None:
        return (await w.client.post("/logout", follow_redirects=False)).status_code
    async with transaction(w.db) as s:
        token = await start_session(s, w.users[who])  # a throwaway session to end
    response = await w.client.post(
        "/logout",
        data={"csrf_token": csrf_token_for(w.settings.secret_key, token)},
        headers={"Cookie": f"wg_session={token}"},
        follow_redirects=False,
    )
    w.client.cookies.clear()
    return response.status_code


async def token(w: World, who: str | None, _place: str | None) -> Outcome:
    body = {
        "phone": w.users[who].phone if who else "13999999999",
        "password": DEFAULT_PASSWORD if who else "wrong-password-1",
    }
    return (await w.client.post("/api/auth/token", json=body)).status_code


async def sign_out(w: World, who: str | None, _place: str | None) -> Outcome:
    if who is None:
        return (await w.client.post("/api/auth/sign-out")).status_code
    throwaway = new_token()
    async with transaction(w.db) as s:
        s.add(
            Device(
                id=uuid.uuid4(), user_id=w.users[who].id, name="t", token_hash=hash_token(throwaway)
            )
        )
    headers = {"Authorization": f"Bearer {throwaway}"}
    return (await w.client.post("/api/auth/sign-out", headers=headers)).status_code


async def create_device(w: World, who: str | None, _place: str | None) -> Outcome:
    headers = w.cookie(who)
    if who:
        headers["X-CSRF-Token"] = w.csrf(who)
    return (await w.client.post("/api/devices", json={"name": "m"}, headers=headers)).status_code


async def revoke_api(w: World, who: str | None, place: str | None) -> Outcome:
    device = await w.device_at(who or "grid_worker", place or "own")
    headers = w.bearer(who)
    return (await w.client.delete(f"/api/devices/{device}", headers=headers)).status_code


async def revoke_confirm(w: World, who: str | None, place: str | None) -> Outcome:
    device = await w.device_at(who or "grid_worker", place or "own")
    response = await w.client.get(
        f"/devices/{device}/revoke", headers=w.cookie(who), follow_redirects=False
    )
    return response.status_code


async def revoke_submit(w: World, who: str | None, place: str | None) -> Outcome:
    device = await w.device_at(who or "grid_worker", place or "own")
    data = {"csrf_token": w.csrf(who)} if who else {}
    response = await w.client.post(
        f"/devices/{device}/revoke", data=data, headers=w.cookie(who), follow_redirects=False
    )
    return response.status_code


async def conflicts_list(w: World, who: str | None, place: str | None) -> Outcome:
    conflict = await w.conflict_at(w.place_grid(who or "supervisor", place or "own"))
    response = await w.client.get("/api/conflicts?limit=200", headers=w.bearer(who))
    if response.status_code != 200:
        return response.status_code
    ids = {item["id"] for item in response.json()["items"]}
    return "seen" if str(conflict) in ids else "unseen"


async def conflict_get(w: World, who: str | None, place: str | None) -> Outcome:
    conflict = await w.conflict_at(w.place_grid(who or "supervisor", place or "own"))
    response = await w.client.get(f"/api/conflicts/{conflict}", headers=w.bearer(who))
    return response.status_code


async def conflict_decide(w: World, who: str | None, place: str | None) -> Outcome:
    conflict = await w.conflict_at(w.place_grid(who or "supervisor", place or "own"))
    response = await w.client.post(
        f"/api/conflicts/{conflict}/decision", json={"action": "reject"}, headers=w.bearer(who)
    )
    return response.status_code


# --- the supervisor workspace (server/web/areas.py, lists.py, persons.py, conflicts.py,
# exports.py, audit_view.py, activity.py) ---------------------------------------------


def area_get(template: str) -> Callable[[World, str | None, str | None], Any]:
    """GET a page about the caller's own, sibling or parent area (``{area}`` in the path)."""

    async def call(w: World, who: str | None, place: str | None) -> Outcome:
        area = w.place_area(who or "supervisor", place or "own")
        path = template.format(area=area.id)
        return (await w.client.get(path, headers=w.cookie(who), follow_redirects=False)).status_code

    return call


async def conflict_page_decide(w: World, who: str | None, place: str | None) -> Outcome:
    conflict = await w.conflict_at(w.place_grid(who or "supervisor", place or "own"))
    data = {"action": "reject", **({"csrf_token": w.csrf(who)} if who else {})}
    response = await w.client.post(
        f"/conflicts/{conflict}/decide", data=data, headers=w.cookie(who), follow_redirects=False
    )
    return response.status_code


async def remind_grid(w: World, who: str | None, place: str | None) -> Outcome:
    grid = w.areas[w.place_grid(who or "supervisor", place or "own")]
    data = {"kind": "missing_daily_report", "grid": str(grid.id)}
    return await post_form("/reminders", **data)(w, who, place)


def _dev(w: World, who: str) -> Dev:
    return Dev(w.client, w.tokens[who], uuid.uuid4(), w.users[who])


async def sync_pull(w: World, who: str | None, place: str | None) -> Outcome:
    if who is None:
        return (await w.client.post("/api/sync", json={"protocol": 1, "schema": 1})).status_code
    grid = w.place_grid(who, place or "own")
    dev = _dev(w, who)
    seen: set[str] = set()
    for _ in range(20):
        answer = await dev.sync()
        for col in ("households", "fever_reports"):
            page = answer.get("changes", {}).get(col)
            if page:
                seen.update(str(row[0]) for row in page["rows"])
        if not answer.get("more"):
            break
    return "seen" if {w.households[grid], w.fever[grid]} & seen else "unseen"


async def sync_push(w: World, who: str | None, place: str | None) -> Outcome:
    if who is None:
        return (await w.client.post("/api/sync", json={"protocol": 1, "schema": 1})).status_code
    area = w.areas[w.place_grid(who, place or "own")]
    dev = _dev(w, who)
    answer = await dev.sync([household(dev, area)], pull=False)
    result = answer["results"][0]
    return str(result["status"] if result["status"] != "rejected" else result["code"])


async def inbox_list(w: World, who: str | None, place: str | None) -> Outcome:
    response = await w.client.get("/inbox", headers=w.cookie(who), follow_redirects=False)
    if response.status_code != 200:
        return response.status_code
    report = w.fever[w.place_grid(who or "township_health", place or "own")]
    return "seen" if f'data-report-id="{report}"' in response.text else "unseen"


async def inbox_report(w: World, who: str | None, place: str | None) -> Outcome:
    report = w.fever[w.place_grid(who or "township_health", place or "own")]
    response = await w.client.get(f"/inbox/{report}", headers=w.cookie(who), follow_redirects=False)
    return response.status_code


async def inbox_action(w: World, who: str | None, place: str | None) -> Outcome:
    report = w.fever[w.place_grid(who or "township_health", place or "own")]
    data = {"csrf_token": w.csrf(who)} if who else {}
    response = await w.client.post(
        f"/inbox/{report}/acknowledge", data=data, headers=w.cookie(who), follow_redirects=False
    )
    return response.status_code


async def alert_acknowledge(w: World, who: str | None, place: str | None) -> Outcome:
    grid = w.areas[w.place_grid(who or "township_health", place or "own")]
    alert = Alert(id=uuid.uuid4(), kind="arrival", area_id=grid.id, created_at=at(2026, 12, 1))
    async with transaction(w.db) as s:
        s.add(alert)
    data = {"csrf_token": w.csrf(who)} if who else {}
    response = await w.client.post(
        f"/alerts/{alert.id}/acknowledge",
        data=data,
        headers=w.cookie(who),
        follow_redirects=False,
    )
    return response.status_code


# --- the matrix (docs/roles.md) ----------------------------------------------------------

UP = frozenset({200, 503})  # /healthz: 503 "not migrated" on a schema made without Alembic
PUBLIC_200: dict[str | None, Expect] = {ALL: 200}
PAGE: dict[str | None, Expect] = {None: 303, ALL: 200}
API: dict[str | None, Expect] = {None: 401, ALL: 200}
ADMIN_PAGE: dict[str | None, Expect] = {None: 303, ALL: 403, "admin": 200}
#: a form posted without its file: 400 for an admin
ADMIN_FORM: dict[str | None, Expect] = {None: 303, ALL: 403, "admin": 400}
REVIEWERS_ONLY = {"supervisor", "admin"}
#: the fever inbox and alerts: the township health centre, and supervisors and admins
FEVER_READERS = {"township_health", "supervisor", "admin"}


def post_form(path: str, **fields: str) -> Callable[[World, str | None, str | None], Any]:
    """A page form's POST with the caller's CSRF token."""

    async def call(w: World, who: str | None, _place: str | None) -> Outcome:
        data = {"csrf_token": w.csrf(who), **fields} if who else dict(fields)
        response = await w.client.post(
            path, data=data, headers=w.cookie(who), follow_redirects=False
        )
        return int(response.status_code)

    return call


async def reset_password(w: World, who: str | None, place: str | None) -> Outcome:
    owner = await w.owner_at(w.place_area(who or "admin", place or "own"))
    return await post_form(f"/admin/users/{owner.id}/reset-password")(w, who, place)


#: the area an admin's call acts on, per place: inside the subtree, a sibling county's,
#: the city above (the guard turns every other role away before the place matters)
ADMIN_NODE = {"own": "T2b", "sibling": "K2", "parent": "C"}


def admin_area_post(suffix: str, **fields: str) -> Callable[[World, str | None, str | None], Any]:
    """A form posted about an area of the admin's subtree, a sibling's or the parent's."""

    async def call(w: World, who: str | None, place: str | None) -> Outcome:
        area = w.areas[ADMIN_NODE[place or "own"]]
        data = {k: v.format(uid=uuid.uuid4().hex[:8]) for k, v in fields.items()}
        return await post_form(f"/admin/areas/{area.id}{suffix}", **data)(w, who, place)

    return call


async def admin_area_get(w: World, who: str | None, place: str | None) -> Outcome:
    area = w.areas[ADMIN_NODE[place or "own"]]
    return await get(f"/admin/areas/{area.id}")(w, who, place)


async def admin_area_move(w: World, who: str | None, place: str | None) -> Outcome:
    """The move's counted preview (nothing written): a village to another town."""
    moved = {"own": "V2b", "sibling": "G5", "parent": "C"}[place or "own"]
    target = {"own": "T2", "sibling": "V", "parent": "K"}[place or "own"]
    path = f"/admin/areas/{w.areas[moved].id}/move"
    return await post_form(path, parent_id=str(w.areas[target].id))(w, who, place)


async def admin_facility_edit(w: World, who: str | None, place: str | None) -> Outcome:
    key = {"own": "V", "sibling": "K2", "parent": "K2b"}[place or "own"]
    facility = w.facilities[key]
    return await post_form(
        f"/admin/facilities/{facility.id}",
        kind=facility.kind,
        name=facility.name,
        area_id=str(facility.area_id),
    )(w, who, place)


def admin_user_call(
    suffix: str, method: str = "POST", **fields: str
) -> Callable[[World, str | None, str | None], Any]:
    """A call about a user placed in the admin's own, sibling or parent area."""

    async def call(w: World, who: str | None, place: str | None) -> Outcome:
        owner = await w.owner_at(w.place_area(who or "admin", place or "own"))
        data = {k: v.format(grid=w.areas["G"].code) for k, v in fields.items()}
        path = f"/admin/users/{owner.id}{suffix}"
        if method == "GET":
            return await get(path)(w, who, place)
        return await post_form(path, **data)(w, who, place)

    return call


async def campaign_close(w: World, who: str | None, place: str | None) -> Outcome:
    """Close a running campaign set on the place's area (an admin closes only its own)."""
    area = w.place_area(who or "admin", place or "own")
    async with transaction(w.db) as s:
        campaign = Campaign(area_id=area.id, name="排查", starts_on=at(2026, 11, 1))
        s.add(campaign)
    return await post_form(f"/admin/campaigns/{campaign.id}/close")(w, who, place)


async def doorplates_of(w: World, who: str | None, place: str | None) -> Outcome:
    grid = w.areas[w.place_grid(who or "supervisor", place or "own")]
    return await get(f"/doorplates?grid={grid.id}")(w, who, place)


def _scoped(own_rule: dict[str, tuple[Outcome, ...]], anon: Outcome) -> dict[str | None, Expect]:
    expect: dict[str | None, Expect] = {None: anon}
    for role, outcomes in own_rule.items():
        expect[role] = dict(zip(("self", *PLACES)[-len(outcomes) :], outcomes, strict=True))
    return expect


def _roles(
    reviewers: tuple[Outcome, ...], others: tuple[Outcome, ...]
) -> dict[str, tuple[Outcome, ...]]:
    return {r: reviewers if r in REVIEWERS_ONLY else others for r in ROLES}


#: an admin's call about the own subtree, a sibling's, the parent's; other roles: 403
ADMIN_SCOPED: tuple[Outcome, ...] = (200, 404, 404)
ADMIN_SCOPED_POST: tuple[Outcome, ...] = (303, 404, 404)
NONE: tuple[Outcome, ...] = (403, 403, 403)

MATRIX: dict[tuple[str, str], Entry] = {
    ("GET", "/healthz"): Entry(get("/healthz"), {ALL: UP}),
    ("GET", "/login"): Entry(login_get, {None: 200, ALL: 303}),
    ("POST", "/login"): Entry(login_post, {None: 401, ALL: 303}),
    ("POST", "/logout"): Entry(logout, {ALL: 303}),
    ("POST", "/api/auth/token"): Entry(token, {None: 401, ALL: 201}),
    ("POST", "/api/auth/sign-out"): Entry(sign_out, API),
    ("POST", "/api/devices"): Entry(create_device, {None: 401, ALL: 201}),
    ("GET", "/api/devices"): Entry(get("/api/devices", auth="bearer"), API),
    ("GET", "/api/me"): Entry(get("/api/me", auth="bearer"), API),
    ("GET", "/devices"): Entry(get("/devices"), PAGE),
    ("GET", "/"): Entry(get("/"), PAGE),
    ("GET", "/lang/{code:str}"): Entry(get("/lang/en"), {ALL: 303}),
    ("GET", "/sw.js"): Entry(get("/sw.js"), PUBLIC_200),
    ("GET", "/app"): Entry(get("/app"), PUBLIC_200),
    ("GET", "/offline"): Entry(get("/offline"), PUBLIC_200),
    ("GET", "/manifest.webmanifest"): Entry(get("/manifest.webmanifest"), PUBLIC_200),
    ("GET", "/static/{file_path:path}"): Entry(get("/static/js/main.js"), PUBLIC_200),
    # the API description (no data): public
    ("GET", "/schema"): Entry(get("/schema"), PUBLIC_200),
    ("GET", "/schema/openapi.json"): Entry(get("/schema/openapi.json"), PUBLIC_200),
    ("GET", "/schema/openapi.yaml"): Entry(get("/schema/openapi.yaml"), PUBLIC_200),
    ("GET", "/schema/openapi.yml"): Entry(get("/schema/openapi.yml"), PUBLIC_200),
    ("GET", "/schema/redoc"): Entry(get("/schema/redoc"), PUBLIC_200),
    ("GET", "/schema/swagger"): Entry(get("/schema/swagger"), PUBLIC_200),
    ("GET", "/schema/elements"): Entry(get("/schema/elements"), PUBLIC_200),
    ("GET", "/schema/rapidoc"): Entry(get("/schema/rapidoc"), PUBLIC_200),
    ("GET", "/schema/{path:str}"): Entry(get("/schema/redoc"), PUBLIC_200),
    ("GET", "/schema/oauth2-redirect.html"): Entry(get("/schema/oauth2-redirect.html"), PUBLIC_200),
    # administration (server/web/admin_*.py): admins only, within their subtree
    ("GET", "/admin/import"): Entry(get("/admin/import"), ADMIN_PAGE),
    ("GET", "/admin/import/template.xlsx"): Entry(get("/admin/import/template.xlsx"), ADMIN_PAGE),
    ("POST", "/admin/import"): Entry(post_form("/admin/import"), ADMIN_FORM),
    ("POST", "/admin/import/{job_id:str}/confirm"): Entry(
        post_form("/admin/import/nojob/confirm"), {None: 303, ALL: 403, "admin": 404}
    ),
    ("GET", "/admin/import/{job_id:str}"): Entry(
        get("/admin/import/nojob"), {None: 303, ALL: 403, "admin": 404}
    ),
    ("GET", "/admin/users"): Entry(get("/admin/users"), ADMIN_PAGE),
    ("POST", "/admin/users/{user_id:int}/reset-password"): Entry(
        reset_password,
        _scoped({r: (200, 404, 404) if r == "admin" else (403, 403, 403) for r in ROLES}, 303),
        places=PLACES,
    ),
    # the area tree, facilities and users (server/web/admin_areas.py, admin_users.py)
    ("GET", "/admin/areas"): Entry(get("/admin/areas"), ADMIN_PAGE),
    ("GET", "/admin/areas/{area_id:int}"): Entry(
        admin_area_get,
        _scoped({r: ADMIN_SCOPED if r == "admin" else NONE for r in ROLES}, 303),
        places=PLACES,
    ),
    ("POST", "/admin/areas/{area_id:int}/children"): Entry(
        admin_area_post("/children", name="新村", code="M-{uid}"),
        _scoped({r: ADMIN_SCOPED_POST if r == "admin" else NONE for r in ROLES}, 303),
        places=PLACES,
    ),
    ("POST", "/admin/areas/{area_id:int}"): Entry(
        admin_area_post("", name="长安镇"),
        _scoped({r: ADMIN_SCOPED_POST if r == "admin" else NONE for r in ROLES}, 303),
        places=PLACES,
    ),
    ("POST", "/admin/areas/{area_id:int}/move"): Entry(
        admin_area_move,
        _scoped({r: ADMIN_SCOPED if r == "admin" else NONE for r in ROLES}, 303),
        places=PLACES,
    ),
    ("POST", "/admin/areas/{area_id:int}/retire"): Entry(
        admin_area_post("/retire"),
        _scoped({r: ADMIN_SCOPED if r == "admin" else NONE for r in ROLES}, 303),
        places=PLACES,
    ),
    ("GET", "/admin/facilities"): Entry(get("/admin/facilities"), ADMIN_PAGE),
    ("POST", "/admin/facilities"): Entry(post_form("/admin/facilities"), ADMIN_FORM),
    ("POST", "/admin/facilities/{facility_id:int}"): Entry(
        admin_facility_edit,
        _scoped({r: ADMIN_SCOPED_POST if r == "admin" else NONE for r in ROLES}, 303),
        places=PLACES,
    ),
    ("GET", "/admin/users/new"): Entry(get("/admin/users/new"), ADMIN_PAGE),
    ("POST", "/admin/users/new"): Entry(post_form("/admin/users/new"), ADMIN_FORM),
    ("GET", "/admin/users/template.xlsx"): Entry(get("/admin/users/template.xlsx"), ADMIN_PAGE),
    ("POST", "/admin/users/sheet"): Entry(post_form("/admin/users/sheet"), ADMIN_FORM),
    ("POST", "/admin/users/sheet/confirm"): Entry(
        post_form("/admin/users/sheet/confirm"), ADMIN_FORM
    ),
    ("GET", "/admin/users/{user_id:int}"): Entry(
        admin_user_call("", "GET"),
        _scoped({r: ADMIN_SCOPED if r == "admin" else NONE for r in ROLES}, 303),
        places=PLACES,
    ),
    ("POST", "/admin/users/{user_id:int}/role"): Entry(
        admin_user_call("/role", role="grid_worker", area_code="{grid}"),
        _scoped({r: ADMIN_SCOPED_POST if r == "admin" else NONE for r in ROLES}, 303),
        places=PLACES,
    ),
    ("POST", "/admin/users/{user_id:int}/active"): Entry(
        admin_user_call("/active", active="1"),
        _scoped({r: ADMIN_SCOPED_POST if r == "admin" else NONE for r in ROLES}, 303),
        places=PLACES,
    ),
    # reference lists (server/web/admin_reference.py): admins; a form without its fields: 400
    ("GET", "/admin/policies"): Entry(get("/admin/policies"), ADMIN_PAGE),
    ("POST", "/admin/policies"): Entry(post_form("/admin/policies"), ADMIN_FORM),
    ("GET", "/admin/risk-areas"): Entry(get("/admin/risk-areas"), ADMIN_PAGE),
    ("POST", "/admin/risk-areas"): Entry(post_form("/admin/risk-areas"), ADMIN_FORM),
    ("POST", "/admin/risk-areas/{risk_area_id:int}"): Entry(
        post_form("/admin/risk-areas/999999", level="high"), {None: 303, ALL: 403, "admin": 404}
    ),
    ("GET", "/admin/campaigns"): Entry(get("/admin/campaigns"), ADMIN_PAGE),
    ("POST", "/admin/campaigns"): Entry(post_form("/admin/campaigns"), ADMIN_FORM),
    ("POST", "/admin/campaigns/{campaign_id:int}/close"): Entry(
        campaign_close,
        _scoped({r: (303, 404, 404) if r == "admin" else (403, 403, 403) for r in ROLES}, 303),
        places=PLACES,
    ),
    # QR doorplates (server/web/admin_doorplates.py): supervisors and admins, their grids
    ("GET", "/doorplates"): Entry(
        doorplates_of,
        _scoped(_roles((200, 404, 404), (403, 403, 403)), 303),
        places=PLACES,
        checks=[
            (
                "(the grid picker)",
                get("/doorplates"),
                {None: 303, ALL: 403, "supervisor": 200, "admin": 200},
            )
        ],
    ),
    ("GET", "/account/password"): Entry(get("/account/password"), PAGE),
    # a wrong current password: 400 for everyone signed in
    ("POST", "/account/password"): Entry(
        post_form("/account/password", current="x", new="y", repeat="y"), {None: 303, ALL: 400}
    ),
    # devices: one's own everywhere; an admin's whole subtree (self, own, sibling, parent)
    ("DELETE", "/api/devices/{device_id:uuid}"): Entry(
        revoke_api,
        _scoped(
            {r: (200, 200, 403, 403) if r == "admin" else (200, 403, 403, 403) for r in ROLES},
            401,
        ),
        places=("self", *PLACES),
    ),
    ("GET", "/devices/{device_id:uuid}/revoke"): Entry(
        revoke_confirm,
        _scoped(
            {r: (200, 200, 403, 403) if r == "admin" else (200, 403, 403, 403) for r in ROLES},
            303,
        ),
        places=("self", *PLACES),
    ),
    ("POST", "/devices/{device_id:uuid}/revoke"): Entry(
        revoke_submit,
        _scoped(
            {r: (303, 303, 403, 403) if r == "admin" else (303, 403, 403, 403) for r in ROLES},
            303,
        ),
        places=("self", *PLACES),
    ),
    # conflict review: supervisors and admins, in their subtree only
    ("GET", "/api/conflicts"): Entry(
        conflicts_list,
        _scoped(_roles(("seen", "unseen", "unseen"), (403, 403, 403)), 401),
        places=PLACES,
    ),
    ("GET", "/api/conflicts/{conflict_id:uuid}"): Entry(
        conflict_get, _scoped(_roles((200, 403, 403), (403, 403, 403)), 401), places=PLACES
    ),
    ("POST", "/api/conflicts/{conflict_id:uuid}/decision"): Entry(
        conflict_decide, _scoped(_roles((200, 403, 403), (403, 403, 403)), 401), places=PLACES
    ),
    # the fever inbox: the township health centre acts; supervisors and admins read; each
    # sees its own subtree's reports only
    ("GET", "/inbox"): Entry(
        inbox_list,
        _scoped(
            {
                r: ("seen", "unseen", "unseen") if r in FEVER_READERS else (403, 403, 403)
                for r in ROLES
            },
            303,
        ),
        places=PLACES,
    ),
    ("GET", "/inbox/events"): Entry(
        get("/inbox/events?once=1"),
        {None: 303, **{r: 200 if r in FEVER_READERS else 403 for r in ROLES}},
    ),
    ("GET", "/inbox/{report_id:uuid}"): Entry(
        inbox_report,
        _scoped(
            {r: (200, 404, 404) if r in FEVER_READERS else (403, 403, 403) for r in ROLES}, 303
        ),
        places=PLACES,
    ),
    ("POST", "/inbox/{report_id:uuid}/{action:str}"): Entry(
        inbox_action,
        _scoped(
            {r: (303, 404, 404) if r == "township_health" else (403, 403, 403) for r in ROLES},
            303,
        ),
        places=PLACES,
    ),
    ("GET", "/alerts"): Entry(
        get("/alerts"), {None: 303, **{r: 200 if r in FEVER_READERS else 403 for r in ROLES}}
    ),
    ("POST", "/alerts/{alert_id:uuid}/acknowledge"): Entry(
        alert_acknowledge,
        _scoped(
            {r: (303, 404, 404) if r in FEVER_READERS else (403, 403, 403) for r in ROLES}, 303
        ),
        places=PLACES,
    ),
    # the supervisor workspace: reviewers, in their subtree only (another area is 404)
    ("GET", "/areas/{area_id:int}"): Entry(
        area_get("/areas/{area}"),
        _scoped(_roles((200, 404, 404), (403, 403, 403)), 303),
        places=PLACES,
    ),
    ("GET", "/lists/{kind:str}"): Entry(
        area_get("/lists/reports?area={area}"),
        _scoped(_roles((200, 404, 404), (403, 403, 403)), 303),
        places=PLACES,
    ),
    ("GET", "/reminders"): Entry(
        area_get("/reminders?area={area}"),
        _scoped(_roles((200, 404, 404), (403, 403, 403)), 303),
        places=PLACES,
    ),
    ("POST", "/reminders"): Entry(
        remind_grid,
        _scoped(_roles((303, 404, 404), (403, 403, 403)), 303),
        places=PLACES,
    ),
    ("GET", "/export/ledger"): Entry(
        area_get("/export/ledger?area={area}&format=csv"),
        _scoped(_roles((200, 404, 404), (403, 403, 403)), 303),
        places=PLACES,
    ),
    ("GET", "/export/daily"): Entry(
        area_get("/export/daily?area={area}"),
        _scoped(_roles((200, 404, 404), (403, 403, 403)), 303),
        places=PLACES,
    ),
    ("GET", "/activity"): Entry(
        area_get("/activity?area={area}"),
        _scoped(_roles((200, 404, 404), (403, 403, 403)), 303),
        places=PLACES,
    ),
    ("GET", "/persons/{person_id:str}"): Entry(
        get(f"/persons/{uuid.UUID(int=7)}"),
        {None: 303, "supervisor": 404, "admin": 404, ALL: 403},
    ),
    ("GET", "/conflicts"): Entry(
        get("/conflicts"), {None: 303, "supervisor": 200, "admin": 200, ALL: 403}
    ),
    ("POST", "/conflicts/{conflict_id:uuid}/decide"): Entry(
        conflict_page_decide,
        _scoped(_roles((303, 403, 403), (403, 403, 403)), 303),
        places=PLACES,
    ),
    ("GET", "/audit"): Entry(get("/audit"), {None: 303, "supervisor": 200, "admin": 200, ALL: 403}),
    # sync: every role pulls its own area's records only; ledger writers write their own area
    ("POST", "/api/sync"): Entry(
        sync_pull,
        _scoped(dict.fromkeys(ROLES, ("seen", "unseen", "unseen")), 401),
        places=PLACES,
        checks=[
            (
                "push a household",
                sync_push,
                _scoped(
                    {
                        "grid_worker": ("applied", "out_of_scope", "out_of_scope"),
                        "sentinel": ("forbidden", "forbidden", "forbidden"),
                        "township_health": ("forbidden", "forbidden", "forbidden"),
                        "supervisor": ("applied", "out_of_scope", "out_of_scope"),
                        "admin": ("applied", "out_of_scope", "out_of_scope"),
                    },
                    401,
                ),
            )
        ],
    ),
}


def route_keys(app: Litestar) -> set[tuple[str, str]]:
    keys = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in getattr(handler, "http_methods", ()):
                if method not in ("OPTIONS", "HEAD"):  # made by Litestar for every route
                    keys.add((method, route.path))
    return keys


def _expected(entry_expect: dict[str | None, Expect], who: str | None, place: str | None) -> Expect:
    expect = entry_expect.get(who, entry_expect.get(ALL))
    if isinstance(expect, dict):
        assert place is not None
        return expect[place]
    assert expect is not None
    return expect


def _matches(expect: Expect, got: Outcome) -> bool:
    return got in expect if isinstance(expect, frozenset) else got == expect


@pytest.fixture
def matrix_settings(settings: Settings) -> Settings:
    # Dozens of sign-ins from one test address: the throttle has its own tests.
    return Settings(
        database_url=settings.database_url,
        secure_cookies=False,
        secret_key=settings.secret_key,
        signin_address_limit=0,
        signin_phone_limit=0,
    )


async def test_every_route_has_an_entry_in_the_matrix(matrix_settings: Settings) -> None:
    app = create_app(matrix_settings)
    missing = sorted(route_keys(app) - set(MATRIX))
    assert not missing, (
        f"routes without an entry in the authorisation matrix: {missing}. Add each to "
        "MATRIX in tests/integration/test_authz_matrix.py with what every role (and an "
        "anonymous caller) may do there, following docs/roles.md."
    )
    stale = sorted(set(MATRIX) - route_keys(app))
    assert not stale, f"MATRIX names routes the app no longer has: {stale}"


async def test_the_authorisation_matrix(matrix_settings: Settings, db: DB) -> None:
    app = create_app(matrix_settings)
    failures: list[str] = []
    async with AsyncTestClient(app=app) as client:
        w = await make_matrix_world(client, db, matrix_settings)
        for (method, path), entry in sorted(MATRIX.items()):
            checks = [("", entry.call, entry.expect), *entry.checks]
            for label, call, expect_table in checks:
                for who in CALLERS:
                    places: tuple[str | None, ...] = entry.places if who else (None,)
                    if not entry.places:
                        places = (None,)
                    for place in places:
                        expect = _expected(expect_table, who, place)
                        got = await call(w, who, place)
                        if not _matches(expect, got):
                            failures.append(
                                f"{method} {path} {label} as {who or 'anonymous'}"
                                f"{' on ' + place if place else ''}: expected {expect}, got {got}"
                            )
    assert not failures, "\n".join(failures)
