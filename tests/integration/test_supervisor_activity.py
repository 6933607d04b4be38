"""Worker activity: devices with their last sync, pending count, version and clock
offset; grids silent for over 24 hours highlighted."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from server.accounts.models import Device
from server.db import transaction, utcnow
from server.web.activity import is_silent
from tests.factories import make_area_tree, make_user, sign_in

PHONE = "13800138000"


@pytest.mark.parametrize(("hours", "silent"), [(None, True), (1, False), (24, False), (25, True)])
def test_is_silent(hours: int | None, silent: bool) -> None:
    now = utcnow()
    last = None if hours is None else now - timedelta(hours=hours)
    assert is_silent(last, now) is silent


async def test_activity_page_highlights_silent_grids(client: Any, db: Any) -> None:
    now = utcnow()
    async with transaction(db) as s:
        tree = await make_area_tree(s)
        await make_user(s, "supervisor", tree["county"], phone=PHONE)
        busy = await make_user(s, "grid_worker", tree["grid"])
        quiet = await make_user(s, "grid_worker", tree["grid2"])
        s.add(Device(id=uuid.uuid4(), user_id=busy.id, name="红米", token_hash="a" * 64,
                     last_sync_at=now - timedelta(hours=2), pending_count=3,
                     app_version="1.2.3", clock_offset_ms=-1500))  # fmt: skip
        s.add(Device(id=uuid.uuid4(), user_id=quiet.id, name="华为", token_hash="b" * 64,
                     last_sync_at=now - timedelta(hours=30), pending_count=0))  # fmt: skip
    await sign_in(client, PHONE)
    page = await client.get("/activity")
    assert page.status_code == 200, page.text
    assert page.text.count('data-silent="1"') == 1
    assert "1.2.3" in page.text
    assert "-1.5" in page.text
    assert ">3<" in page.text
    assert (await client.get(f"/activity?area={tree['city'].id}")).status_code == 404
