"""Rights follow the area tree: what a user sees and may change stops at their subtree."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.accounts.auth import device_from_token, token_identity
from server.accounts.guard import principal_for
from server.accounts.models import User
from server.db import transaction
from server.errors import Unauthorized
from tests.factories import (
    DEFAULT_PASSWORD,
    make_area,
    make_area_tree,
    make_household,
    make_person,
    make_user,
    sign_in,
)

Client = AsyncTestClient[Litestar]
DB = async_sessionmaker[AsyncSession]


async def _device(client: Client, phone: str, name: str) -> dict[str, Any]:
    response = await client.post(
        "/api/auth/token",
        json={"phone": phone, "password": DEFAULT_PASSWORD, "device_name": name},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _bearer(device: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {device['token']}"}


@pytest.fixture
async def world(db: DB) -> dict[str, Any]:
    """Two towns under one county; a worker in each grid, an admin per town, a county admin."""
    async with transaction(db) as s:
        tree = await make_area_tree(s)
        town_b = await make_area(s, "town", "城关镇", tree["county"])
        village_b = await make_area(s, "village", "东关村", town_b)
        grid_b = await make_area(s, "grid", "东关一组", village_b)
        return {
            **tree,
            "town_b": town_b,
            "grid_b": grid_b,
            "worker": await make_user(s, "grid_worker", tree["grid"], phone="13800000001"),
            "worker2": await make_user(s, "grid_worker", tree["grid2"], phone="13800000002"),
            "worker_b": await make_user(s, "grid_worker", grid_b, phone="13800000003"),
            "admin_a": await make_user(s, "admin", tree["town"], phone="13800000004"),
            "admin_county": await make_user(s, "admin", tree["county"], phone="13800000005"),
        }


async def test_principal_covers_only_the_subtree(db: DB, world: dict[str, Any]) -> None:
    async with db() as session:
        worker = await principal_for(session, world["worker"])
    assert worker.covers(world["grid"].path)
    assert not worker.covers(world["grid2"].path)
    assert not worker.covers(world["village"].path)  # the parent is not inside
    assert not worker.covers(world["grid_b"].path)


async def test_grid_worker_home_never_counts_another_grid(
    client: Client, db: DB, world: dict[str, Any]
) -> None:
    async with transaction(db) as s:
        mine = await make_household(s, world["grid"])
        await make_person(s, mine)
        for _ in range(4):
            theirs = await make_household(s, world["grid2"])
            await make_person(s, theirs)
    await sign_in(client, "13800000001")
    page = (await client.get("/")).text

    def shown(key: str) -> str:
        found = re.search(rf'data-stat="{key}">.*?stat-value">(.*?)<', page, re.S)
        assert found is not None
        return found.group(1)

    assert (shown("households"), shown("persons")) == ("1", "1")


async def test_a_user_cannot_see_or_revoke_someone_elses_device(
    client: Client, world: dict[str, Any]
) -> None:
    mine = await _device(client, "13800000001", "mine")
    theirs = await _device(client, "13800000002", "theirs")
    listed = (await client.get("/api/devices", headers=_bearer(mine))).json()["devices"]
    assert [d["name"] for d in listed] == ["mine"]
    response = await client.delete(f"/api/devices/{theirs['device_id']}", headers=_bearer(mine))
    assert response.status_code == 403
    assert (await client.get("/api/me", headers=_bearer(theirs))).status_code == 200


async def test_admin_revokes_only_inside_the_subtree(client: Client, world: dict[str, Any]) -> None:
    admin = await _device(client, "13800000004", "admin phone")
    inside = await _device(client, "13800000001", "worker A")
    outside = await _device(client, "13800000003", "worker B")

    names = {
        d["name"]
        for d in (await client.get("/api/devices", headers=_bearer(admin))).json()["devices"]
    }
    assert names == {"admin phone", "worker A"}

    refused = await client.delete(f"/api/devices/{outside['device_id']}", headers=_bearer(admin))
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "out_of_scope"
    assert (await client.get("/api/me", headers=_bearer(outside))).status_code == 200

    done = await client.delete(f"/api/devices/{inside['device_id']}", headers=_bearer(admin))
    assert done.status_code == 200
    gone = await client.get("/api/me", headers=_bearer(inside))
    assert gone.json()["error"]["code"] == "device_revoked"

    county = await _device(client, "13800000005", "county admin")
    county_names = {
        d["name"]
        for d in (await client.get("/api/devices", headers=_bearer(county))).json()["devices"]
    }
    assert {"worker A", "worker B", "admin phone", "county admin"} <= county_names


async def test_a_disabled_user_loses_device_and_session(
    client: Client, db: DB, world: dict[str, Any]
) -> None:
    device = await _device(client, "13800000001", "phone")
    await sign_in(client, "13800000001")
    async with transaction(db) as s:
        await s.execute(update(User).where(User.id == world["worker"].id).values(active=False))
    refused = await client.get("/api/me", headers=_bearer(device))
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthorized"
    async with db() as session:
        with pytest.raises(Unauthorized):
            await device_from_token(session, device["token"])
    page = await client.get("/", follow_redirects=False)
    assert page.status_code == 303  # the page session no longer counts either


async def test_the_bearer_token_wins_over_the_session_cookie(
    client: Client, db: DB, world: dict[str, Any]
) -> None:
    device = await _device(client, "13800000002", "phone")
    await sign_in(client, "13800000001")  # the cookie is another user's
    me = await client.get("/api/me", headers=_bearer(device))
    assert me.json()["id"] == world["worker2"].id
    async with db() as session:
        found = await token_identity(session, device["token"])
    assert (found.user.id, found.principal.area_path) == (world["worker2"].id, world["grid2"].path)
    # a bad token is refused, not passed over for the cookie
    bad = await client.get("/api/me", headers={"Authorization": "Bearer nope"})
    assert (bad.status_code, bad.json()["error"]["code"]) == (401, "unauthorized")
    assert (await client.get("/api/me")).json()["id"] == world["worker"].id
    client.cookies.clear()
    assert (await client.get("/api/me")).status_code == 401
