"""Schemathesis over every operation of the server's OpenAPI (``/schema/openapi.json``),
against a real server on a loopback port: no input answers 5xx.

Each operation runs anonymous, with a supervisor's device token and with a supervisor's
page session cookie, on SQLite and on PostgreSQL. Schemathesis' coverage phase sends the
boundaries of every integer and string (below, at and above each bound, empty, huge,
wrong types, missing required parts), then its fuzzing phase random values.

The handlers read JSON bodies themselves, so the published schema has no request bodies;
the test adds them from the msgspec types those handlers decode (and the sync request),
so bodies are fuzzed too. ``make test`` runs a small budget, ``make soak`` a large one.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import msgspec
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Case

from server.accounts.models import Device
from server.accounts.passwords import hash_token, new_token
from server.accounts.schemas import DeviceCreate, TokenRequest
from server.accounts.service import start_session
from server.app import create_app
from server.config import Settings
from server.db import make_engine, make_sessionmaker, transaction
from server.sync.models import SyncState
from server.sync.wire import Decision, SyncRequest
from tests.conftest import DATABASES, PG_SERVER_URL
from tests.factories import make_area_tree, make_user
from tests.integration.live_server import LiveServer, migrated_database

SOAK = os.environ.get("WANGGE_SOAK") == "1"
EXAMPLES = 300 if SOAK else 5  # fuzzing phase, per operation and way of signing in

#: request bodies the handlers decode, by operation
BODIES: dict[tuple[str, str], type[Any]] = {
    ("post", "/api/auth/token"): TokenRequest,
    ("post", "/api/devices"): DeviceCreate,
    ("post", "/api/conflicts/{conflict_id}/decision"): Decision,
    ("post", "/api/sync"): SyncRequest,
}
#: operations whose caller is named in the body, not by a token or cookie: one way is enough
CREDENTIALS_IN_BODY = {("post", "/api/auth/token")}
AUTHS = ("anonymous", "token", "cookie")
#: operations that would revoke the shared device token every other case signs in with
#: (the tests after the fuzzer, in one run, would then all answer 401)
SPENDS_THE_TOKEN = {("post", "/api/auth/sign-out")}


@dataclass
class Live:
    server: LiveServer
    token: str
    cookie: str


async def _seed(url: str) -> tuple[str, str]:
    """A county with a supervisor who has a device token and a page session."""
    engine = make_engine(url)
    try:
        async with transaction(make_sessionmaker(engine)) as s:
            if await s.get(SyncState, 1) is None:
                s.add(SyncState(id=1, last_rev=0, horizon_rev=0))
            areas = await make_area_tree(s)
            user = await make_user(s, "supervisor", areas["county"])
            token = new_token()
            s.add(Device(user_id=user.id, name="fuzz", token_hash=hash_token(token)))
            cookie = await start_session(s, user)
    finally:
        await engine.dispose()
    return token, cookie


@pytest.fixture(scope="module", params=DATABASES)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Live]:
    workdir = tmp_path_factory.mktemp(f"schema-{request.param}")
    with migrated_database(request.param, workdir, PG_SERVER_URL) as url:
        token, cookie = asyncio.run(_seed(url))
        server = LiveServer(url, workdir / "server.log")
        server.start()
        try:
            yield Live(server, token, cookie)
        finally:
            server.stop()


def with_bodies(document: dict[str, Any]) -> dict[str, Any]:
    """The published schema plus the JSON bodies its handlers read."""
    components = document.setdefault("components", {}).setdefault("schemas", {})
    (schemas, defs) = msgspec.json.schema_components(
        list(BODIES.values()), ref_template="#/components/schemas/Body_{name}"
    )
    components.update({f"Body_{name}": value for name, value in defs.items()})
    for (method, path), _kind in BODIES.items():
        schema = schemas[list(BODIES).index((method, path))]
        operation = document["paths"][path][method]
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": schema}},
        }
    return document


def published_schema() -> dict[str, Any]:
    """The document ``/schema/openapi.json`` serves (building the app opens no connection)."""
    app = create_app(Settings(database_url="sqlite+aiosqlite:///:memory:"))
    document: dict[str, Any] = msgspec.json.decode(
        msgspec.json.encode(app.openapi_schema.to_schema())
    )
    return document


# Built at import: schemathesis makes one test per operation when the module is collected.
# (Its lazy ``from_fixture`` loader reaches into pytest internals that pytest 9 removed.)
schema = schemathesis.openapi.from_dict(with_bodies(published_schema()))


@pytest.mark.slow
@pytest.mark.timeout(3600 if SOAK else 300)
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_input_answers_5xx(case: Case, live: Live) -> None:
    key = (case.method.lower(), case.path)
    # the same case anonymous, with the device token, with the page cookie
    auths = ["anonymous"] if key in CREDENTIALS_IN_BODY else list(AUTHS)
    if key in SPENDS_THE_TOKEN:
        auths.remove("token")
    for auth in auths:
        headers = dict(case.headers or {})
        cookies: dict[str, str] = {}
        if auth == "token":
            headers["Authorization"] = f"Bearer {live.token}"
        elif auth == "cookie":
            cookies["wg_session"] = live.cookie
        response = case.call(base_url=live.server.url, headers=headers, cookies=cookies, timeout=30)
        assert response.status_code < 500, (
            f"{auth}: {case.method} {case.formatted_path} answered {response.status_code}\n"
            f"{response.text[:500]}\nserver log:\n{live.server.log_tail()}"
        )


# --------------------------------------------------- 500s found by the fuzzers, now 400s


def test_a_huge_before_on_the_conflict_list_is_a_400(live: Live) -> None:
    response = httpx.get(
        f"{live.server.url}/api/conflicts",
        params={"before": "99999999999999999999999"},
        headers={"Authorization": f"Bearer {live.token}"},
        timeout=30,
    )
    assert response.status_code == 400, response.text[:300]


def test_a_decision_nested_a_thousand_levels_is_a_400(live: Live) -> None:
    value = "[" * 1000 + "]" * 1000
    response = httpx.post(
        f"{live.server.url}/api/conflicts/{uuid.uuid4()}/decision",
        content=f'{{"action": "edit", "value": {value}}}',
        headers={"Authorization": f"Bearer {live.token}", "Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 400, response.text[:300]
