"""One identity and one session per request: the caller is read once (by the route's
guard or a dependency), every handler shares the request's one session, guards declare
who may call, and a user's language follows them from the sign-in form to their syncs."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import Litestar, get
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

import server.app
from server.accounts import auth
from server.accounts.deps import CurrentUser
from server.accounts.guards import admin, reviewer, signed_in, township_staff
from server.accounts.models import User
from server.app import create_app
from server.config import Settings
from tests.factories import sign_in
from tests.integration.sync_helpers import World, household, make_world

Client = AsyncTestClient[Litestar]
DB = async_sessionmaker[AsyncSession]


class CountingSessionmaker(async_sessionmaker[AsyncSession]):
    """The app's sessionmaker, counting the sessions it opens."""

    opened = 0

    def __call__(self, **local_kw: Any) -> AsyncSession:
        CountingSessionmaker.opened += 1
        return super().__call__(**local_kw)


def _counting(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return CountingSessionmaker(engine, expire_on_commit=False)


@get("/api/test/admin", guards=[admin])
async def _admin_only(user: CurrentUser) -> dict[str, int]:
    return {"id": user.id}


@get("/api/test/township", guards=[township_staff])
async def _township_only(user: CurrentUser) -> dict[str, int]:
    return {"id": user.id}


@get("/api/test/reviewer", guards=[reviewer])
async def _reviewer_only(user: CurrentUser) -> dict[str, int]:
    return {"id": user.id}


@get("/test/page", guards=[signed_in], include_in_schema=False)
async def _signed_in_page(user: CurrentUser) -> dict[str, int]:
    return {"id": user.id}


@pytest.fixture
async def counted(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Client, Litestar]]:
    monkeypatch.setattr(server.app, "make_sessionmaker", _counting)
    app = create_app(settings)
    for handler in (_admin_only, _township_only, _reviewer_only, _signed_in_page):
        app.register(handler)
    async with AsyncTestClient(app=app) as client:
        yield client, app


def _bearer(w: World, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {w.tokens[who][0]}"}


async def _sessions(request: Any) -> int:
    """Sessions the app opens while ``request`` (a coroutine) runs; asserts no 5xx."""
    before = CountingSessionmaker.opened
    response = await request
    assert response.status_code < 500, response.text
    return CountingSessionmaker.opened - before


async def test_each_request_opens_one_session(
    db: DB, counted: tuple[Client, Litestar], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _app = counted
    w = await make_world(db)
    assert await _sessions(sign_in(client, w.users["worker"].phone)) == 1
    supervisor = _bearer(w, "supervisor")
    cases = {
        "home page": client.get("/"),
        "devices page": client.get("/devices"),
        "device list by cookie": client.get("/api/devices"),
        "device by cookie": client.post("/api/devices", json={"name": "phone"}),
        "me by token": client.get("/api/me", headers=_bearer(w, "worker2")),
        "conflict list": client.get("/api/conflicts", headers=supervisor),
        "unknown conflict": client.get(f"/api/conflicts/{uuid.uuid4()}", headers=supervisor),
        "a refused caller": client.get("/api/conflicts", headers=_bearer(w, "worker2")),
        "language switch": client.get("/lang/en?next=/", follow_redirects=False),
    }
    opened = {name: await _sessions(request) for name, request in cases.items()}
    assert opened == dict.fromkeys(cases, 1)
    client.cookies.clear()
    assert await _sessions(client.get("/login")) == 0  # nobody to look up

    # a sync reads its device token once; its engine runs its own (retried) transaction
    # and, for a grid worker, pulls after it
    lookups: list[str] = []
    real = auth._token_row

    async def spy(session: AsyncSession, token: str) -> Any:
        lookups.append(token)
        return await real(session, token)

    monkeypatch.setattr(auth, "_token_row", spy)
    dev = w.dev(client, "worker")
    response = await dev.post(dev.body([household(dev, w.areas["grid"])]))
    assert response.status_code == 200, response.text
    assert response.json()["results"][0]["status"] == "applied"
    assert lookups == [dev.token]
    before = CountingSessionmaker.opened
    await dev.post(dev.body([household(dev, w.areas["grid"])]))
    # the request's (who is calling), the batch's transaction, the pull after its commit
    assert CountingSessionmaker.opened - before == 3


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/api/test/admin", {"admin"}),
        ("/api/test/township", {"township"}),
        ("/api/test/reviewer", {"supervisor", "admin"}),
    ],
)
async def test_guards_let_in_only_their_roles(
    db: DB, counted: tuple[Client, Litestar], path: str, allowed: set[str]
) -> None:
    client, _app = counted
    w = await make_world(db)
    for who in ("worker", "sentinel", "township", "supervisor", "admin"):
        response = await client.get(path, headers=_bearer(w, who))
        if who in allowed:
            assert response.status_code == 200, (who, response.text)
            assert response.json() == {"id": w.users[who].id}
        else:
            assert response.status_code == 403, (who, response.text)
            assert response.json()["error"]["code"] == "forbidden"
    nobody = await client.get(path)
    assert (nobody.status_code, nobody.json()["error"]["code"]) == (401, "unauthorized")


async def test_a_guarded_page_sends_the_signed_out_to_sign_in(
    db: DB, counted: tuple[Client, Litestar]
) -> None:
    client, _app = counted
    w = await make_world(db)
    response = await client.get("/test/page?x=1", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (
        303,
        "/login?next=/test/page%3Fx%3D1",
    )
    await sign_in(client, w.users["worker"].phone)
    assert (await client.get("/test/page")).json() == {"id": w.users["worker"].id}


async def _locale(db: DB, user_id: int) -> str:
    async with db() as session:
        return (await session.execute(select(User.locale).where(User.id == user_id))).scalar_one()


async def test_the_language_follows_the_user_from_sign_in_to_sync(db: DB, client: Client) -> None:
    w = await make_world(db)
    worker = w.users["worker"]
    dev = w.dev(client, "worker")
    bad = household(dev, w.areas["grid"], head_name=7)  # rejected with a message

    async def rejection_message() -> str:
        # sent without cookies (the callers clear them): the server knows the language
        response = await client.post(
            "/api/sync",
            json=dev.body([dict(bad, id=str(uuid.uuid4()))]),
            headers=_bearer(w, "worker"),
        )
        message: str = response.json()["results"][0]["message"]
        return message

    chinese = await rejection_message()
    assert await _locale(db, worker.id) == "zh_CN"
    await sign_in(client, worker.phone)  # no language chosen: nothing changes
    assert await _locale(db, worker.id) == "zh_CN"

    client.cookies.clear()
    client.cookies.set("lang", "en")
    await sign_in(client, worker.phone)  # chosen on the sign-in page
    assert await _locale(db, worker.id) == "en"
    client.cookies.clear()
    english = await rejection_message()
    assert english != chinese
    assert english.isascii()
    refused = await client.get("/api/conflicts", headers=_bearer(w, "worker"))
    assert refused.json()["error"]["message"] == "Only supervisors and admins may do this."

    await sign_in(client, worker.phone)
    switched = await client.get("/lang/zh_CN?next=/", follow_redirects=False)
    assert switched.status_code == 303
    assert await _locale(db, worker.id) == "zh_CN"
    client.cookies.clear()
    assert await rejection_message() == chinese
    # the switch of a signed-out visitor only sets the cookie
    assert (await client.get("/lang/en", follow_redirects=False)).status_code == 303
    assert await _locale(db, worker.id) == "zh_CN"
