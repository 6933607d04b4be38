"""Moving a worker to another grid: the scope changes, devices reset, nothing pending lost."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from server.accounts.models import User
from server.accounts.moves import move_user, move_user_cli
from server.audit.models import AuditEntry
from server.config import Settings
from server.db import transaction
from tests.integration.sync_helpers import household, make_world


async def test_a_moved_worker_resyncs_the_new_grid_and_keeps_nothing_of_the_old(
    db: Any, client: Any
) -> None:
    w = await make_world(db)
    worker, other = w.dev(client, "worker"), w.dev(client, "worker2")
    await worker.pull_all()
    await other.pull_all()
    old = household(worker, w.areas["grid"])
    new = household(other, w.areas["grid2"])
    await worker.sync([old])
    await other.sync([new])
    async with transaction(db) as s:
        user = await s.get(User, w.users["worker"].id)
        assert user is not None
        await move_user(s, user, w.areas["grid2"], actor_id=w.users["admin"].id)
        assert user.scope_version == 2
    answer = await worker.sync()
    assert answer["reset"] == "scope"
    await worker.pull_all()
    assert old["rid"] not in worker.rows.get("households", {})
    assert new["rid"] in worker.rows["households"]
    async with db() as s:
        entry = (
            await s.execute(select(AuditEntry).where(AuditEntry.action == "move"))
        ).scalar_one()
    assert entry.detail["to_area"] == w.areas["grid2"].id


async def test_a_worker_cannot_be_bound_to_a_village(db: Any) -> None:
    w = await make_world(db)
    async with transaction(db) as s:
        user = await s.get(User, w.users["worker"].id)
        assert user is not None
        with pytest.raises(ValueError, match="bound to a grid"):
            await move_user(s, user, w.areas["village"])


async def test_the_cli_names_what_it_cannot_find(settings: Settings, db: Any) -> None:
    w = await make_world(db)
    with pytest.raises(ValueError, match="no area"):
        await move_user_cli(settings, phone=w.users["worker"].phone, area_code="nowhere")
    message = await move_user_cli(
        settings, phone=w.users["worker"].phone, area_code=w.areas["grid2"].code
    )
    assert "moved" in message
