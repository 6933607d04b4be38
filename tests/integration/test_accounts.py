"""Sign-in, page sessions, CSRF, device tokens and create-user, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.accounts import passwords
from server.accounts.auth import device_from_token
from server.accounts.models import Device, User, WebSession
from server.accounts.passwords import hash_token
from server.accounts.service import create_user, create_user_cli
from server.app import create_app
from server.audit.models import AuditEntry
from server.config import Settings
from server.db import transaction, utcnow
from server.errors import Unauthorized
from tests.factories import (
    DEFAULT_PASSWORD,
    csrf_from,
    make_area,
    make_area_tree,
    make_facility,
    make_user,
    sign_in,
    sign_out,
)

Client = AsyncTestClient[Litestar]
DB = async_sessionmaker[AsyncSession]
PHONE = "13800138000"


@pytest.fixture
async def worker(db: DB) -> User:
    async with transaction(db) as session:
        tree = await make_area_tree(session)
        return await make_user(session, "grid_worker", tree["grid"], phone=PHONE, name="王网格")


def _error_text(html: str) -> str:
    start = html.index('id="login-error">') + len('id="login-error">')
    return html[start : html.index("</p>", start)]


async def _audit(db: DB, action: str) -> list[AuditEntry]:
    async with db() as session:
        rows = await session.execute(select(AuditEntry).where(AuditEntry.action == action))
        return list(rows.scalars())


# --- sign-in -----------------------------------------------------------------------------


async def test_sign_in_sets_a_hashed_session_cookie(client: Client, db: DB, worker: User) -> None:
    response = await sign_in(client, PHONE)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("wg_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # the test settings run on plain http
    token = cookie.split(";")[0].split("=", 1)[1]
    async with db() as session:
        stored = (await session.execute(select(WebSession))).scalars().all()
    assert [s.token_hash for s in stored] == [hash_token(token)]  # the token itself is not kept
    assert stored[0].expires_at > stored[0].created_at
    assert [a.user_id for a in await _audit(db, "sign_in")] == [worker.id]
    home = await client.get("/", follow_redirects=False)
    assert home.status_code == 200
    assert "王网格" in home.text


async def test_session_cookie_is_secure_when_configured(settings: Settings, worker: User) -> None:
    secure = msgspec.structs.replace(settings, secure_cookies=True)
    async with AsyncTestClient(app=create_app(secure)) as client:
        page = await client.get("/login")
        assert "Secure" in page.headers["set-cookie"]  # the sign-in form's CSRF cookie
        # httpx will not send Secure cookies over http: hand the CSRF cookie over explicitly
        csrf_cookie = page.cookies["wg_csrf"]
        response = await client.post(
            "/login",
            data={"phone": PHONE, "password": DEFAULT_PASSWORD, "csrf_token": csrf_from(page.text)},
            headers={"Cookie": f"wg_csrf={csrf_cookie}"},
            follow_redirects=False,
        )
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "Secure" in cookie
    assert "HttpOnly" in cookie


async def test_wrong_password_and_unknown_phone_look_the_same(
    client: Client, db: DB, worker: User
) -> None:
    wrong = await sign_in(client, PHONE, "not-the-password")
    unknown = await sign_in(client, "13999999999", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert _error_text(wrong.text) == _error_text(unknown.text) == "手机号或密码错误。"
    assert "wg_session" not in wrong.headers.get("set-cookie", "")
    failures = await _audit(db, "sign_in_failed")
    assert len(failures) == 2
    assert {f.detail["reason"] for f in failures} == {"wrong_password", "unknown_phone"}
    # the password is never written down, the phone only masked
    blob = json.dumps([f.detail for f in failures])
    assert "not-the-password" not in blob
    assert PHONE not in blob


async def test_unknown_phone_costs_a_password_check_too(
    client: Client, worker: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Similar timing: an unknown phone is verified against a dummy hash, not answered at once.
    checked: list[bool] = []
    real = passwords.verify_password

    def spy(password_hash: str | None, password: str) -> bool:
        checked.append(password_hash is None)
        return real(password_hash, password)

    monkeypatch.setattr(passwords, "verify_password", spy)
    await sign_in(client, "13999999999", "not-the-password")
    await sign_in(client, PHONE, "not-the-password")
    assert checked == [True, False]


async def test_control_characters_are_refused_not_crashed_on(
    client: Client, db: DB, worker: User
) -> None:
    # PostgreSQL rejects NUL in text: such input must never reach a query as-is.
    page = await sign_in(client, "138\x00138000")
    assert page.status_code == 401
    api = await client.post("/api/auth/token", json={"phone": "\x00", "password": "\x00"})
    assert api.status_code == 401
    named = await client.post(
        "/api/auth/token",
        json={"phone": PHONE, "password": DEFAULT_PASSWORD, "device_name": "a\x00b\nc"},
    )
    assert named.status_code == 201
    async with db() as session:
        assert (await session.execute(select(Device.name))).scalar_one() == "a b c"


async def test_inactive_user_cannot_sign_in(client: Client, db: DB) -> None:
    async with transaction(db) as session:
        tree = await make_area_tree(session)
        await make_user(session, "grid_worker", tree["grid"], phone=PHONE, active=False)
    response = await sign_in(client, PHONE)
    assert response.status_code == 401
    # the right password learns that the account is deactivated; a guess learns nothing
    assert _error_text(response.text) == "该账号已停用，请联系管理员重新启用。"
    guess = await sign_in(client, PHONE, "wrong-password-1")
    assert _error_text(guess.text) == "手机号或密码错误。"


@pytest.mark.parametrize(("missing", "named"), [("phone", "phone"), ("password", "password")])
async def test_missing_field_is_400_naming_it(
    client: Client, worker: User, missing: str, named: str
) -> None:
    page = await client.get("/login")
    data = {"phone": PHONE, "password": DEFAULT_PASSWORD, "csrf_token": csrf_from(page.text)}
    del data[missing]
    response = await client.post("/login", data=data)
    assert response.status_code == 400
    assert f"“{named}”" in _error_text(response.text)


async def test_sign_in_goes_back_to_a_local_next_only(client: Client, worker: User) -> None:
    assert (await sign_in(client, PHONE, next_path="/devices")).headers["location"] == "/devices"
    await sign_out(client)
    for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        response = await sign_in(client, PHONE, next_path=evil)
        assert response.headers["location"] == "/"
        await sign_out(client)


async def test_login_page_redirects_when_already_signed_in(client: Client, worker: User) -> None:
    await sign_in(client, PHONE)
    response = await client.get("/login?next=/devices", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/devices"


async def test_an_expired_session_is_signed_out_and_swept(
    client: Client, db: DB, worker: User
) -> None:
    await sign_in(client, PHONE)
    async with transaction(db) as session:
        await session.execute(update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    response = await client.get("/", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/login")
    await sign_in(client, PHONE)
    async with db() as session:
        rows = (await session.execute(select(WebSession))).scalars().all()
    assert len(rows) == 1
    assert rows[0].expires_at > utcnow()


# --- CSRF and logout ---------------------------------------------------------------------


async def test_login_without_csrf_token_is_403(client: Client, worker: User) -> None:
    await client.get("/login")  # has the cookie, but the form lacks the token
    response = await client.post("/login", data={"phone": PHONE, "password": DEFAULT_PASSWORD})
    assert response.status_code == 403
    assert "表单已过期" in response.text
    forged = await client.post(
        "/login", data={"phone": PHONE, "password": DEFAULT_PASSWORD, "csrf_token": "0" * 40}
    )
    assert forged.status_code == 403


async def test_logout_needs_csrf_then_ends_the_session(
    client: Client, db: DB, worker: User
) -> None:
    await sign_in(client, PHONE)
    refused = await client.post("/logout", data={}, follow_redirects=False)
    assert refused.status_code == 403
    assert (await client.get("/", follow_redirects=False)).status_code == 200  # still signed in

    token = csrf_from((await client.get("/")).text)
    response = await client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert "Max-Age=0" in response.headers["set-cookie"]
    async with db() as session:
        assert (await session.execute(select(func.count()).select_from(WebSession))).scalar() == 0
    after = await client.get("/", follow_redirects=False)
    assert after.status_code == 303
    assert after.headers["location"] == "/login"


async def test_a_session_token_from_another_session_is_no_csrf_token(
    client: Client, db: DB, worker: User
) -> None:
    await sign_in(client, PHONE)
    stale = csrf_from((await client.get("/")).text)
    await client.post("/logout", data={"csrf_token": stale}, follow_redirects=False)
    await sign_in(client, PHONE)
    response = await client.post("/logout", data={"csrf_token": stale}, follow_redirects=False)
    assert response.status_code == 403


# --- device tokens -----------------------------------------------------------------------


async def _token(client: Client, phone: str = PHONE, name: str = "phone A") -> dict[str, Any]:
    response = await client.post(
        "/api/auth/token",
        json={"phone": phone, "password": DEFAULT_PASSWORD, "device_name": name},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_auth_token_issues_a_device(client: Client, db: DB, worker: User) -> None:
    body = await _token(client)
    assert set(body) == {"device_id", "token", "user"}
    assert body["user"] == {
        "id": worker.id,
        "name": "王网格",
        "role": "grid_worker",
        "area_id": worker.area_id,
        "area_name": "一组网格",
        "facility_id": None,
        "scope_version": 1,
    }
    async with db() as session:
        device = (await session.execute(select(Device))).scalar_one()
        user, found = await device_from_token(session, body["token"])
    assert device.token_hash == hash_token(body["token"])
    assert (user.id, str(found.id)) == (worker.id, body["device_id"])
    assert [a.entity_id for a in await _audit(db, "create") if a.entity == "device"] == [
        body["device_id"]
    ]


async def test_me_with_bearer_and_unknown_token(client: Client, worker: User) -> None:
    body = await _token(client)
    me = await client.get("/api/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.json()["id"] == worker.id
    bad = await client.get("/api/me", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    assert bad.json()["error"]["code"] == "unauthorized"
    assert (await client.get("/api/me")).status_code == 401


async def test_wrong_password_on_the_api_is_401_without_enumeration(
    client: Client, worker: User
) -> None:
    answers = []
    for phone in (PHONE, "13999999999"):
        response = await client.post(
            "/api/auth/token", json={"phone": phone, "password": "wrong-password"}
        )
        assert response.status_code == 401
        answers.append(response.json())
    assert answers[0] == answers[1]
    assert answers[0]["error"]["code"] == "invalid_credentials"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b'{"phone": 13800138000, "password": "x"}', "phone"),
        (b'{"phone": "13800138000"}', "password"),
        (b'{"phone": "1", "password": "x", "device_name": ["a"]}', "device_name"),
        (b"[1, 2]", "object"),
        (b"{not json", "JSON"),
    ],
)
async def test_bad_json_on_auth_token_is_400(
    client: Client, worker: User, body: bytes, fragment: str
) -> None:
    response = await client.post(
        "/api/auth/token", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert fragment in response.json()["error"]["message"]


async def test_devices_by_cookie_or_password_then_list_and_revoke(
    client: Client, db: DB, worker: User
) -> None:
    assert (await client.post("/api/devices", json={"name": "x"})).status_code == 401
    by_password = await client.post(
        "/api/devices", json={"name": "tablet", "phone": PHONE, "password": DEFAULT_PASSWORD}
    )
    assert by_password.status_code == 201
    await sign_in(client, PHONE)
    by_cookie = await client.post("/api/devices", json={"name": "my phone"})
    assert by_cookie.status_code == 201
    token = by_cookie.json()["token"]
    auth = {"Authorization": f"Bearer {token}"}

    listed = (await client.get("/api/devices", headers=auth)).json()["devices"]
    assert sorted(d["name"] for d in listed) == ["my phone", "tablet"]

    target = by_password.json()["device_id"]
    revoked = await client.delete(f"/api/devices/{target}", headers=auth)
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None

    old = {"Authorization": f"Bearer {by_password.json()['token']}"}
    refused = await client.get("/api/me", headers=old)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "device_revoked"
    async with db() as session:
        with pytest.raises(Unauthorized) as caught:
            await device_from_token(session, by_password.json()["token"])
    assert caught.value.code == "device_revoked"
    assert [a.entity_id for a in await _audit(db, "revoke")] == [target]


async def test_cookie_device_creation_needs_a_json_content_type(
    client: Client, worker: User
) -> None:
    # A cross-site form can post text/plain with the cookie; only JSON is accepted.
    await sign_in(client, PHONE)
    response = await client.post(
        "/api/devices", content=b'{"name": "x"}', headers={"Content-Type": "text/plain"}
    )
    # refused by the CSRF guard before the body is read (it was 415 from the body check)
    assert (response.status_code, response.json()["error"]["code"]) == (403, "forbidden")


async def test_cookie_writes_on_the_device_api_need_the_csrf_token(
    client: Client, db: DB, worker: User
) -> None:
    # What another site can make a signed-in browser send: a form post (any of the three
    # form encodings, or none) with the session cookie. A DELETE needs a preflight, but
    # the rule is the same for every cookie-authenticated write.
    await sign_in(client, PHONE)
    forged: list[dict[str, Any]] = [
        {"content": b""},
        {"content": b"", "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
        {"data": {"name": "evil"}},
        {"content": b"", "headers": {"Content-Type": "text/plain"}},
        {"content": b"", "headers": {"X-CSRF-Token": "0" * 40}},
    ]
    for request in forged:
        response = await client.post("/api/devices", **request)
        assert (response.status_code, response.json()["error"]["code"]) == (403, "forbidden")
    async with db() as session:
        assert (await session.execute(select(func.count()).select_from(Device))).scalar() == 0

    token = csrf_from((await client.get("/")).text)  # what the page's own scripts can read
    made = await client.post("/api/devices", headers={"X-CSRF-Token": token})
    assert made.status_code == 201, made.text
    device_id = made.json()["device_id"]

    refused = await client.delete(f"/api/devices/{device_id}")
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
    assert (await client.get("/api/me", headers=_auth(made.json()))).status_code == 200
    revoked = await client.delete(f"/api/devices/{device_id}", headers={"X-CSRF-Token": token})
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"] is not None
    # a device token needs no CSRF token: no browser sends it on its own
    other = (await client.post("/api/devices", json={"name": "second"})).json()
    client.cookies.clear()
    assert (
        await client.delete(f"/api/devices/{other['device_id']}", headers=_auth(other))
    ).is_success


def _auth(issued: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {issued['token']}"}


@pytest.mark.parametrize(
    ("url", "body", "code", "path"),
    [
        ("/api/auth/token", b"{not json", "bad_json", None),
        ("/api/devices", b"{not json", "bad_json", None),
        ("/api/auth/token", b"[" * 5000 + b"]" * 5000, "bad_body", None),  # not an object
        ("/api/auth/token", b'{"phone": 13800138000, "password": "x"}', "bad_body", "$.phone"),
        ("/api/devices", b'{"name": 5}', "bad_body", "$.name"),
    ],
)
async def test_account_bodies_answer_the_sync_apis_codes(
    client: Client, worker: User, url: str, body: bytes, code: str, path: str | None
) -> None:
    response = await client.post(url, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert (error.get("detail") or {}).get("path") == path


# --- bad input: size ---------------------------------------------------------------------


async def test_three_megabyte_bodies_are_413(client: Client, worker: User) -> None:
    big = b"x" * (3 * 1024 * 1024)
    api = await client.post(
        "/api/auth/token", content=big, headers={"Content-Type": "application/json"}
    )
    assert api.status_code == 413
    assert api.json()["error"]["code"] == "body_too_large"
    assert "2097152" in api.json()["error"]["message"]
    await client.get("/login")
    page = await client.post(
        "/login",
        content=b"phone=" + big,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert page.status_code == 413
    assert "提交的内容过大" in page.text


# --- create-user -------------------------------------------------------------------------


async def test_create_user_validates(db: DB) -> None:
    async with transaction(db) as session:
        tree = await make_area_tree(session)
        clinic = await make_facility(session, tree["village"])
        elsewhere = await make_area(session, "town", "别的镇", tree["county"])
        far_clinic = await make_facility(session, elsewhere)

    async def attempt(**overrides: Any) -> User:
        fields: dict[str, Any] = {
            "phone": "13700000000",
            "name": "李哨点",
            "role": "sentinel",
            "area_id": tree["village"].id,
            "facility_id": clinic.id,
            "password": "long-enough-7",
        }
        fields.update(overrides)
        async with transaction(db) as session:
            return await create_user(session, **fields)

    cases: list[tuple[dict[str, Any], str]] = [
        ({"phone": "abc"}, "phone"),
        ({"role": "mayor"}, "role"),
        ({"password": "short"}, "password"),
        ({"area_id": 999999}, "area"),
        ({"facility_id": None}, "facility"),
        ({"facility_id": far_clinic.id}, "not inside"),
    ]
    for overrides, message in cases:
        with pytest.raises(ValueError, match=message):
            await attempt(**overrides)
    user = await attempt(phone="137 0000 0000")
    assert user.phone == "13700000000"
    with pytest.raises(ValueError, match="already registered"):
        await attempt()


async def test_create_user_cli_writes_user_and_audit(settings: Settings, db: DB) -> None:
    async with transaction(db) as session:
        tree = await make_area_tree(session)
    message = await create_user_cli(
        settings,
        phone="13600000000",
        name="赵督查",
        role="supervisor",
        area_code=tree["county"].code,
        facility_id=None,
        password="long-enough-7",
    )
    assert "赵督查" in message
    async with db() as session:
        user = (await session.execute(select(User))).scalar_one()
        entry = (await session.execute(select(AuditEntry))).scalar_one()
    assert (user.role, user.area_id) == ("supervisor", tree["county"].id)
    assert (entry.action, entry.entity, entry.entity_id) == ("create", "user", str(user.id))
    with pytest.raises(ValueError, match="no area"):
        await create_user_cli(
            settings,
            phone="13600000001",
            name="x",
            role="supervisor",
            area_code="nope",
            facility_id=None,
            password="long-enough-7",
        )
