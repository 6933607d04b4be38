"""What a server process does once its app has started (server/app.py)."""

from __future__ import annotations

import gc

from litestar import Litestar
from litestar.testing import AsyncTestClient


async def test_the_loaded_code_is_out_of_the_collectors_view_once_the_app_runs(
    client: AsyncTestClient[Litestar],
) -> None:
    # full collections skip what the app loaded (about 100 ms a collection otherwise);
    # once per process, so a later app adds nothing
    assert gc.get_freeze_count() > 50_000
    frozen = gc.get_freeze_count()
    assert (await client.get("/login")).status_code == 200
    assert gc.get_freeze_count() <= frozen  # (frozen objects freed by refcount leave it)
