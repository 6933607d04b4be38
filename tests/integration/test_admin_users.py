"""The users page: the admin's subtree only, filtered by role and paged; a password reset
shows a one-time password once, and the user must change it before any page."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from server.audit.models import AuditEntry
from tests.factories import csrf_from, sign_in
from tests.integration.sync_helpers import make_world


async def test_the_list_is_the_admins_subtree_filtered_by_role(client: Any, db: Any) -> None:
    w = await make_world(db)
    await sign_in(client, w.users["admin"].phone)
    page = await client.get("/admin/users")
    assert page.status_code == 200
    assert f'data-user="{w.users["worker"].id}"' in page.text
    assert w.users["worker"].phone not in page.text  # phones masked in the list
    workers = await client.get("/admin/users?role=grid_worker")
    assert "共 3 个用户" in workers.text
    assert f'data-user="{w.users["supervisor"].id}"' not in workers.text
    assert (await client.get("/admin/users?role=king")).status_code == 400
    assert (await client.get("/admin/users?page=0")).status_code == 400


async def test_reset_then_the_forced_change(client: Any, db: Any) -> None:
    w = await make_world(db)
    worker = w.users["worker"]
    await sign_in(client, w.users["admin"].phone)
    listing = await client.get("/admin/users")
    url = f"/admin/users/{worker.id}/reset-password"
    assert (await client.post(url, data={})).status_code == 403  # no CSRF token
    reset = await client.post(url, data={"csrf_token": csrf_from(listing.text)})
    assert reset.status_code == 200
    match = re.search(r'id="one-time-password">([a-z0-9]+)<', reset.text)
    assert match is not None
    password = match.group(1)
    missing = await client.post("/admin/users/999999/reset-password",
                                data={"csrf_token": csrf_from(listing.text)})  # fmt: skip
    assert missing.status_code == 404
    async with db() as s:
        actions = (await s.execute(select(AuditEntry.action))).scalars().all()
    assert "password_reset" in actions

    await client.post("/logout", data={"csrf_token": csrf_from(listing.text)})
    signed = await sign_in(client, worker.phone, password)
    assert signed.status_code == 303, (signed.status_code, signed.text[:2000])
    assert signed.headers["location"].startswith("/account/password")
    home = await client.get("/", follow_redirects=False)
    assert home.headers["location"] == "/account/password"
    form = await client.get("/account/password")
    token = csrf_from(form.text)
    new = "new-pass-1234"
    wrong = await client.post("/account/password", data={
        "csrf_token": token, "current": "nope", "new": new, "repeat": new})  # fmt: skip
    assert wrong.status_code == 400
    assert "当前密码不正确" in wrong.text
    differ = await client.post("/account/password", data={
        "csrf_token": token, "current": password, "new": new, "repeat": "x"})  # fmt: skip
    assert differ.status_code == 400
    done = await client.post("/account/password", data={
        "csrf_token": token, "current": password, "new": "new-pass-1234",
        "repeat": "new-pass-1234", "next": "/"}, follow_redirects=False)  # fmt: skip
    assert (done.status_code, done.headers["location"]) == (303, "/")
    assert (await client.get("/", follow_redirects=False)).status_code == 200


async def test_only_admins_and_only_their_subtree(client: Any, db: Any) -> None:
    w = await make_world(db)
    await sign_in(client, w.users["supervisor"].phone)
    assert (await client.get("/admin/users")).status_code == 403
