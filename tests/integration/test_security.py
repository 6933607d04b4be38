"""The audit's defects, each fixed: sign-in throttling, hashing off the event loop, headers
and no-store, /healthz, token and session lifetimes, device sign-out, the pull audit and
the rules for new accounts. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.accounts import passwords
from server.accounts.models import Device, SignInFailure, User, WebSession
from server.accounts.service import create_user
from server.app import create_app
from server.audit.models import AuditEntry
from server.config import Settings
from server.db import transaction, utcnow
from server.deps import SESSIONMAKER
from tests.factories import (
    DEFAULT_PASSWORD,
    make_area_tree,
    make_household,
    make_person,
    make_user,
    sign_in,
)
from tests.integration.sync_helpers import make_world

Client = AsyncTestClient[Litestar]
DB = async_sessionmaker[AsyncSession]
PHONE = "13800138000"


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(
        database_url=db_url,
        secure_cookies=False,
        secret_key="test-secret",
        signin_phone_limit=3,
        signin_address_limit=6,
    )


@pytest.fixture
async def worker(db: DB) -> User:
    async with transaction(db) as session:
        tree = await make_area_tree(session)
        return await make_user(session, "grid_worker", tree["grid"], phone=PHONE, name="王网格")


def _error_text(html: str) -> str:
    start = html.index('id="login-error">') + len('id="login-error">')
    return html[start : html.index("</p>", start)]


async def _token(client: Any, phone: str, password: str) -> Any:
    return await client.post("/api/auth/token", json={"phone": phone, "password": password})


@asynccontextmanager
async def concurrent_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose requests really run at the same time on this event loop (Litestar's
    AsyncTestClient runs each request to its end in a portal thread, one at a time)."""
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c
    finally:
        await app.state[SESSIONMAKER].kw["bind"].dispose()


# --- #4 sign-in throttling ---------------------------------------------------------------


async def test_a_phone_is_throttled_after_the_limit_on_every_sign_in_route(
    client: Client, db: DB, worker: User
) -> None:
    for _ in range(3):
        assert (await _token(client, PHONE, "wrong-password-1")).status_code == 401
    # the right password no longer helps: the phone must wait
    api = await _token(client, PHONE, DEFAULT_PASSWORD)
    assert api.status_code == 429
    assert 1 <= int(api.headers["retry-after"]) <= 15 * 60
    assert api.json()["error"]["code"] == "too_many_attempts"
    assert "登录失败次数过多" in api.json()["error"]["message"]
    devices = await client.post("/api/devices", json={"phone": PHONE, "password": "x"})
    assert devices.status_code == 429
    page = await sign_in(client, PHONE)
    assert page.status_code == 429
    assert "retry-after" in page.headers
    assert "登录失败次数过多" in _error_text(page.text)  # on the sign-in form itself
    assert 'name="phone"' in page.text
    # refused attempts are not counted: the wait does not grow
    async with db() as session:
        assert (await session.execute(select(func.count(SignInFailure.id)))).scalar_one() == 3


async def test_the_throttle_message_in_english(client: Client, worker: User) -> None:
    client.cookies.set("lang", "en")
    for _ in range(3):
        await _token(client, PHONE, "wrong-password-1")
    answer = await _token(client, PHONE, "wrong-password-1")
    assert answer.json()["error"]["message"].startswith("Too many failed sign-ins. Wait 15 min")


async def test_a_success_clears_the_phone_and_the_wait_ends(
    client: Client, db: DB, worker: User
) -> None:
    for _ in range(2):
        await _token(client, PHONE, "wrong-password-1")
    assert (await _token(client, PHONE, DEFAULT_PASSWORD)).status_code == 201
    for _ in range(3):  # a fresh count after the success
        assert (await _token(client, PHONE, "wrong-password-1")).status_code == 401
    assert (await _token(client, PHONE, DEFAULT_PASSWORD)).status_code == 429
    # the window passes (failures moved into the past): the right password works again
    async with transaction(db) as session:
        await session.execute(update(SignInFailure).values(at=utcnow() - timedelta(hours=1)))
    assert (await _token(client, PHONE, DEFAULT_PASSWORD)).status_code == 201


async def test_an_address_is_throttled_across_phones(client: Client, worker: User) -> None:
    for i in range(6):
        assert (await _token(client, f"1390000000{i}", "wrong-password-1")).status_code == 401
    assert (await _token(client, PHONE, DEFAULT_PASSWORD)).status_code == 429


async def test_the_counters_are_shared_by_server_processes(
    settings: Settings, worker: User
) -> None:
    # two apps over one database stand for two server processes
    async with (
        AsyncTestClient(app=create_app(settings)) as one,
        AsyncTestClient(app=create_app(settings)) as two,
    ):
        await _token(one, PHONE, "wrong-password-1")
        await _token(two, PHONE, "wrong-password-1")
        await _token(one, PHONE, "wrong-password-1")
        assert (await _token(two, PHONE, DEFAULT_PASSWORD)).status_code == 429


async def test_parallel_guesses_cannot_pass_the_limit(settings: Settings, worker: User) -> None:
    async with concurrent_client(settings) as client:
        answers = await asyncio.gather(
            *(_token(client, PHONE, f"wrong-password-{i}") for i in range(8))
        )
    codes = sorted(a.status_code for a in answers)
    assert codes.count(401) <= 3, codes  # at most the limit were checked at all
    assert set(codes) <= {401, 429}


# --- #5 hashing off the event loop -------------------------------------------------------


async def test_healthz_answers_while_sign_ins_are_verifying(
    settings: Settings, worker: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    loop = asyncio.get_running_loop()
    all_busy = asyncio.Event()
    release = threading.Event()
    busy = 0
    lock = threading.Lock()
    real = passwords.verify_password

    def slow_verify(password_hash: str | None, password: str) -> bool:
        nonlocal busy
        with lock:
            busy += 1
            if busy == passwords.HASH_THREADS:  # that many verifying at the same time
                loop.call_soon_threadsafe(all_busy.set)
        # On the event loop (the bug) this blocks everything, one sign-in after another:
        # never are all of them verifying at once, and the wait below times out.
        release.wait(timeout=10)
        with lock:
            busy -= 1
        return real(password_hash, password)

    monkeypatch.setattr(passwords, "verify_password", slow_verify)
    # several phones, so the per-phone limit does not stop them before they verify
    settings = msgspec.structs.replace(settings, signin_address_limit=100)
    async with concurrent_client(settings) as client:
        sign_ins = [
            asyncio.create_task(_token(client, f"1390000000{i}", "wrong-password-1"))
            for i in range(passwords.HASH_THREADS)
        ]
        try:
            await asyncio.wait_for(all_busy.wait(), timeout=20)
            health = await asyncio.wait_for(client.get("/healthz"), timeout=20)
            # the test schema is made without Alembic: "not migrated" proves the database
            # answered too (SQLite's write lock is not held while a password is verified)
            assert health.json().get("schema_revision") or "migrate" in health.json()["reason"]
            assert not release.is_set()  # it answered while every verification was running
        finally:
            release.set()
        assert {(await t).status_code for t in sign_ins} == {401}


# --- #6, #11 headers, no-store, /healthz -------------------------------------------------


async def test_security_headers_and_no_store_on_personal_responses(
    client: Client, worker: User
) -> None:
    await sign_in(client, PHONE)
    paths = ("/", "/devices", "/api/me", "/api/devices", "/api/conflicts", "/login", "/x/y")
    for path in paths:
        response = await client.get(path, follow_redirects=False)
        headers = response.headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert "script-src 'self'" in headers["content-security-policy"], path
        assert headers["x-frame-options"] == "DENY", path
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["referrer-policy"] == "same-origin", path
        assert headers["cache-control"] == "no-store", path
        assert "strict-transport-security" not in headers
    # static files and the service worker keep their own caching
    static = await client.get("/static/js/main.js")
    assert static.status_code == 200
    assert "no-store" not in static.headers.get("cache-control", "")
    assert static.headers["x-content-type-options"] == "nosniff"
    assert (await client.get("/sw.js")).headers["cache-control"] == "no-cache"


async def test_hsts_only_when_configured(settings: Settings) -> None:
    app = create_app(msgspec.structs.replace(settings, hsts_seconds=31536000))
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/login")
    assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


async def test_healthz_does_not_show_the_driver_error() -> None:
    app = create_app(
        Settings(
            database_url="postgresql+asyncpg://secretuser@127.0.0.1:1/secretdb",
            secure_cookies=False,
            secret_key="k" * 40,
        )
    )
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "reason": "database unreachable"}
    assert "secret" not in response.text


# --- #10 lifetimes and device sign-out ----------------------------------------------------


async def test_an_idle_page_session_ends(client: Client, db: DB, worker: User) -> None:
    await sign_in(client, PHONE)
    assert (await client.get("/", follow_redirects=False)).status_code == 200
    async with transaction(db) as session:
        await session.execute(
            update(WebSession).values(last_seen_at=utcnow() - timedelta(hours=12, minutes=1))
        )
    response = await client.get("/", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/login")
    assert (await client.get("/api/me")).status_code == 401


async def test_use_keeps_a_page_session_alive(client: Client, db: DB, worker: User) -> None:
    await sign_in(client, PHONE)
    async with transaction(db) as session:
        await session.execute(
            update(WebSession).values(last_seen_at=utcnow() - timedelta(hours=11))
        )
    assert (await client.get("/", follow_redirects=False)).status_code == 200
    async with db() as session:
        seen = (await session.execute(select(WebSession.last_seen_at))).scalar_one()
    assert utcnow() - seen < timedelta(minutes=5)


async def test_an_unused_device_token_expires(client: Client, db: DB) -> None:
    world = await make_world(db)
    token, device_id = world.tokens["worker"]
    auth = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/me", headers=auth)).status_code == 200
    long_ago = utcnow() - timedelta(days=91)
    async with transaction(db) as session:
        await session.execute(
            update(Device)
            .where(Device.id == device_id)
            .values(created_at=long_ago, last_seen_at=long_ago, last_sync_at=long_ago)
        )
    for response in (
        await client.get("/api/me", headers=auth),
        await world.dev(client, "worker").post(world.dev(client, "worker").body()),
    ):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "device_expired"


async def test_signing_out_revokes_the_device_token(client: Client, db: DB) -> None:
    world = await make_world(db)
    token, device_id = world.tokens["worker"]
    auth = {"Authorization": f"Bearer {token}"}
    answer = await client.post("/api/auth/sign-out", headers=auth)
    assert answer.status_code == 200, answer.text
    assert answer.json()["id"] == str(device_id)
    assert answer.json()["revoked_at"]
    dev = world.dev(client, "worker")
    refused = await dev.post(dev.body())
    assert refused.json()["error"]["code"] == "device_revoked"
    again = await client.post("/api/auth/sign-out", headers=auth)
    assert again.json()["error"]["code"] == "device_revoked"
    # a page session has no device to sign out
    assert (await client.post("/api/auth/sign-out")).status_code == 401
    # other devices of other users are untouched
    other = world.dev(client, "worker2")
    assert (await other.post(other.body())).status_code == 200


# --- #2 the pull audit -------------------------------------------------------------------


async def _pull_entries(db: DB) -> list[AuditEntry]:
    async with db() as session:
        rows = await session.execute(
            select(AuditEntry).where(AuditEntry.action == "pull").order_by(AuditEntry.id)
        )
        return list(rows.scalars())


async def test_a_supervisors_pull_is_audited_once_per_response(client: Client, db: DB) -> None:
    world = await make_world(db)
    async with transaction(db) as session:
        home = await make_household(session, world.areas["grid"], phone="13711112222")
        for _ in range(3):
            await make_person(session, home, id_number="110101199001011234")
    supervisor = world.dev(client, "supervisor")
    first = await supervisor.sync()
    assert len(first["changes"]["persons"]["rows"]) == 3
    entries = await _pull_entries(db)
    assert len(entries) == 1
    entry = entries[0]
    assert (entry.user_id, entry.entity, entry.entity_id) == (
        world.users["supervisor"].id,
        "sync",
        str(world.tokens["supervisor"][1]),
    )
    assert entry.detail == {"cursor": "snapshot", "collections": {"households": 1, "persons": 3}}
    # nothing new: no entry; a change: one entry naming the feed
    await supervisor.sync()
    assert len(await _pull_entries(db)) == 1
    async with transaction(db) as session:
        await make_person(session, home)
    await supervisor.sync()
    entries = await _pull_entries(db)
    assert len(entries) == 2
    assert entries[1].detail == {"cursor": "feed", "collections": {"persons": 1}}
    # a grid worker's pull of the same records is not an audited read
    await world.dev(client, "worker").sync()
    assert len(await _pull_entries(db)) == 2


async def test_an_admins_paged_snapshot_writes_one_entry_per_page(client: Client, db: DB) -> None:
    world = await make_world(db)
    async with transaction(db) as session:
        home = await make_household(session, world.areas["grid"])
        for _ in range(4):
            await make_person(session, home)
    answers = await world.dev(client, "admin").pull_all(limit=3)
    personal_pages = [
        a for a in answers if set(a.get("changes", {})) - {"areas", "facilities", "policies"}
    ]
    entries = await _pull_entries(db)
    assert len(entries) == len(personal_pages) >= 2
    assert sum(sum(e.detail["collections"].values()) for e in entries) == 5


# --- Build 3: rules for new accounts -----------------------------------------------------


async def test_create_user_applies_the_password_policy_and_role_levels(db: DB) -> None:
    async with transaction(db) as session:
        tree = await make_area_tree(session)

    async def attempt(**overrides: Any) -> User:
        fields: dict[str, Any] = {
            "phone": "13700000000",
            "name": "管理员",
            "role": "admin",
            "area_id": tree["county"].id,
            "facility_id": None,
            "password": "grid-2021-safe",
        }
        fields.update(overrides)
        async with transaction(db) as session:
            return await create_user(session, **fields)

    for level in ("town", "village", "grid"):
        with pytest.raises(ValueError, match="admin is bound to a county or city"):
            await attempt(area_id=tree[level].id)
    for weak, why in [
        ("demo1234", "at least 10"),
        ("onlyletters", "letters and digits"),
        ("a13700000000", "phone number"),
        ("Password123", "common"),
    ]:
        with pytest.raises(ValueError, match=why):
            await attempt(password=weak)
    # the seed's explicit bypass (its published demo password)
    demo = await attempt(password="demo1234", skip_password_policy=True)
    assert passwords.verify_password(demo.password_hash, "demo1234")
