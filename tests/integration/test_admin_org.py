"""The admin's organisation pages: the area tree (add, rename, grid lead, move counted
before confirming, retire), users (create one or a sheet, deactivate, role and area,
devices) and facilities. Every action: its happy path, a refusal with a message, the
admin's subtree only, an audit entry. And what a device pulls after an area or a user
moves (docs/sync-protocol.md, "Scope")."""

from __future__ import annotations

import html
import io
import json
import re
from typing import Any

from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from server.accounts.models import Device, User, WebSession
from server.accounts.service import start_session
from server.areas.models import Area, Facility
from server.audit.models import AuditEntry
from server.db import transaction
from tests.factories import csrf_from, make_area, make_household, make_person, make_user, sign_in
from tests.integration.sync_helpers import World, household, make_world


async def _admin(client: Any, w: World) -> str:
    await sign_in(client, w.users["admin"].phone)
    return csrf_from((await client.get("/admin/areas")).text)


async def _audit(db: Any, action: str, entity: str) -> list[AuditEntry]:
    async with db() as s:
        rows = await s.execute(
            select(AuditEntry).where(AuditEntry.action == action, AuditEntry.entity == entity)
        )
        return list(rows.scalars())


async def _area(db: Any, area_id: int) -> Area:
    async with db() as s:
        area = await s.get(Area, area_id)
        assert area is not None
        return area


async def _county_admin(db: Any, w: World) -> tuple[User, Area]:
    """An admin of a second county: the first county's tree is outside their subtree."""
    async with transaction(db) as s:
        other = await make_area(s, "county", "岚皋县", w.areas["city"])
        admin = await make_user(s, "admin", other, name="二县管理员")
    return admin, other


# --- the area tree -----------------------------------------------------------------------


async def test_the_tree_and_adding_a_grid_with_its_lead(client: Any, db: Any) -> None:
    w = await make_world(db)
    token = await _admin(client, w)
    page = await client.get("/admin/areas")
    assert page.status_code == 200
    assert f'data-area="{w.areas["grid"].id}"' in page.text
    village = w.areas["village"]
    url = f"/admin/areas/{village.id}/children"
    added = await client.post(
        url,
        data={
            "csrf_token": token,
            "name": "三组网格",
            "code": "G-3",
            "lead_name": "赵六",
            "lead_phone": "13911112222",
        },
        follow_redirects=False,
    )
    assert added.status_code == 303
    new_id = int(added.headers["location"].split("/")[3].split("?")[0])
    grid = await _area(db, new_id)
    assert (grid.level, grid.path, grid.lead_phone) == (
        "grid",
        f"{village.path}{grid.id}/",
        "13911112222",
    )
    assert grid.rev > 0  # devices pull it
    assert (await _audit(db, "create", "area"))[0].entity_id == str(grid.id)

    for data, message in [
        ({"name": "x", "code": "G-3"}, "编码 G-3 已被其他区域使用"),
        ({"name": "", "code": "G-9"}, "请填写区域名称"),
        ({"name": "x", "code": "不行"}, "编码为 1 至 32 个"),
        ({"name": "x", "code": "G-8", "lead_phone": "12345"}, "负责人电话不是电话号码"),
    ]:
        refused = await client.post(url, data={"csrf_token": token, **data})
        assert refused.status_code == 400, data
        assert message in refused.text, (data, refused.text[:3000])
    under_grid = await client.post(
        f"/admin/areas/{grid.id}/children", data={"csrf_token": token, "name": "x", "code": "X-1"}
    )
    assert under_grid.status_code == 400
    assert "网格下不能再设区域" in under_grid.text


async def test_renaming_and_the_grid_lead(client: Any, db: Any) -> None:
    w = await make_world(db)
    token = await _admin(client, w)
    grid = w.areas["grid"]
    url = f"/admin/areas/{grid.id}"
    saved = await client.post(
        url,
        data={
            "csrf_token": token,
            "name": "一组",
            "lead_name": "钱七",
            "lead_phone": "0915-1234567",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    after = await _area(db, grid.id)
    assert (after.name, after.lead_name, after.lead_phone) == ("一组", "钱七", "0915-1234567")
    assert after.rev > grid.rev
    entry = (await _audit(db, "update", "area"))[0]
    assert "0915-1234567" not in str(entry.detail)  # no whole phone in the log
    bad = await client.post(
        url, data={"csrf_token": token, "name": "一组", "lead_name": "钱七", "lead_phone": "911"}
    )
    assert bad.status_code == 400
    assert "负责人电话不是电话号码" in bad.text
    # supervisors see the lead's whole phone as a tel: link
    await sign_in(client, w.users["supervisor"].phone)
    village_page = await client.get(f"/areas/{grid.id}")
    assert 'href="tel:0915-1234567"' in village_page.text


async def test_out_of_subtree_is_refused(client: Any, db: Any) -> None:
    w = await make_world(db)
    admin, _county = await _county_admin(db, w)
    await sign_in(client, admin.phone)
    token = csrf_from((await client.get("/admin/areas")).text)
    tree = await client.get("/admin/areas")
    assert f'data-area="{w.areas["grid"].id}"' not in tree.text
    grid = w.areas["grid"]
    assert (await client.get(f"/admin/areas/{grid.id}")).status_code == 404
    for path, data in [
        (f"/admin/areas/{w.areas['village'].id}/children", {"name": "x", "code": "Q-1"}),
        (f"/admin/areas/{grid.id}", {"name": "x"}),
        (f"/admin/areas/{grid.id}/move", {"parent_id": str(w.areas["village"].id)}),
        (f"/admin/areas/{grid.id}/retire", {}),
    ]:
        response = await client.post(path, data={"csrf_token": token, **data})
        assert response.status_code == 404, path
    assert (await _area(db, grid.id)).name == grid.name


async def test_a_move_is_counted_then_confirmed_and_rewrites_the_subtree(
    client: Any, db: Any
) -> None:
    w = await make_world(db)
    async with transaction(db) as s:
        village2 = await make_area(s, "village", "龙头村", w.areas["town"])
        house = await make_household(s, w.areas["grid"])
        await make_person(s, house)
        await make_person(s, house)
        await make_household(s, w.areas["grid2"])
    token = await _admin(client, w)
    village = w.areas["village"]
    url = f"/admin/areas/{village.id}/move"
    # the village's new parent: a town; make a second town
    async with transaction(db) as s:
        town2 = await make_area(s, "town", "城关镇", w.areas["county"])
    preview = await client.post(url, data={"csrf_token": token, "parent_id": str(town2.id)})
    assert preview.status_code == 200
    stats = dict(re.findall(r'data-stat="(\w+)">(\d+)<', preview.text))
    # village + 2 grids; worker, worker_b, worker2, sentinel; their 4 devices; 2 households
    assert stats == {"areas": "3", "users": "4", "devices": "4", "households": "2", "persons": "2"}
    assert (await _area(db, village.id)).path == village.path  # nothing moved yet

    for parent, message in [
        (w.areas["grid"].id, "不能移到它自己"),
        (village2.id, "高一级"),
        (w.areas["town"].id, "已经在那里"),
    ]:
        refused = await client.post(url, data={"csrf_token": token, "parent_id": str(parent)})
        assert refused.status_code == 400, parent
        assert message in refused.text, refused.text[:3000]
    own = await client.post(
        f"/admin/areas/{w.areas['city'].id}/move",
        data={"csrf_token": token, "parent_id": str(town2.id)},
    )
    assert own.status_code == 400

    confirmed = await client.post(
        url,
        data={"csrf_token": token, "parent_id": str(town2.id), "confirm": "1"},
        follow_redirects=False,
    )
    assert confirmed.status_code == 303
    moved = await _area(db, village.id)
    assert (moved.parent_id, moved.path) == (town2.id, f"{town2.path}{village.id}/")
    grid = await _area(db, w.areas["grid"].id)
    assert grid.path == f"{town2.path}{village.id}/{grid.id}/"
    async with db() as s:
        worker = await s.get(User, w.users["worker"].id)
        supervisor = await s.get(User, w.users["supervisor"].id)
    assert worker is not None
    assert supervisor is not None
    assert worker.scope_version == 2  # in the moved subtree
    assert supervisor.scope_version == 2  # the old town lost the village
    entry = (await _audit(db, "move", "area"))[0]
    assert entry.detail["to_parent"] == town2.id
    assert entry.detail["households"] == 2


async def test_retiring_asks_about_active_users(client: Any, db: Any) -> None:
    w = await make_world(db)
    token = await _admin(client, w)
    grid2 = w.areas["grid2"]
    preview = await client.post(f"/admin/areas/{grid2.id}/retire", data={"csrf_token": token})
    assert preview.status_code == 200
    assert 'id="deactivate-users"' in preview.text
    refused = await client.post(
        f"/admin/areas/{grid2.id}/retire", data={"csrf_token": token, "confirm": "1"}
    )
    assert refused.status_code == 400
    assert "1 个在用用户" in refused.text
    assert (await _area(db, grid2.id)).retired_at is None
    done = await client.post(
        f"/admin/areas/{grid2.id}/retire",
        follow_redirects=False,
        data={"csrf_token": token, "confirm": "1", "deactivate_users": "1"},
    )
    assert done.status_code == 303
    assert (await _area(db, grid2.id)).retired_at is not None
    async with db() as s:
        worker2 = await s.get(User, w.users["worker2"].id)
        devices = (
            await s.execute(select(Device).where(Device.user_id == w.users["worker2"].id))
        ).scalars()
        assert worker2 is not None
        assert not worker2.active
        assert all(d.revoked_at is not None for d in devices)
    assert (await _audit(db, "retire", "area"))[0].detail["deactivated_users"] == 1
    # nobody new is placed in a retired grid
    new = await client.post(
        "/admin/users/new",
        data={
            "csrf_token": token,
            "phone": "13912340001",
            "name": "新人",
            "role": "grid_worker",
            "area_code": grid2.code,
        },
    )
    assert new.status_code == 400
    assert "已撤销" in new.text


# --- what devices pull after moves (the must-show) ---------------------------------------


async def test_devices_follow_an_area_move_and_a_user_move(client: Any, db: Any) -> None:
    w = await make_world(db)
    async with transaction(db) as s:
        village2 = await make_area(s, "village", "龙头村", w.areas["town"])
        grid3 = await make_area(s, "grid", "龙头一组", village2)
    worker = w.dev(client, "worker")
    supervisor = w.dev(client, "supervisor")
    await worker.pull_all()
    await supervisor.pull_all()
    mine = household(worker, w.areas["grid"])
    await worker.sync([mine])
    other = w.dev(client, "worker2")
    await other.pull_all()
    theirs = household(other, w.areas["grid2"])
    await other.sync([theirs])
    assert str(w.areas["village"].id) in worker.rows["areas"]
    await supervisor.pull_all()

    # 1. the admin moves the worker's grid to another village
    token = await _admin(client, w)
    grid = w.areas["grid"]
    url = f"/admin/areas/{grid.id}/move"
    preview = await client.post(url, data={"csrf_token": token, "parent_id": str(village2.id)})
    assert 'data-stat="households">1<' in preview.text
    moved = await client.post(
        url,
        data={"csrf_token": token, "parent_id": str(village2.id), "confirm": "1"},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    answer = await worker.sync()
    assert answer["reset"] == "scope"
    await worker.pull_all()
    areas = worker.rows["areas"]
    assert areas[str(grid.id)]["path"] == f"{village2.path}{grid.id}/"
    assert areas[str(grid.id)]["parent_id"] == village2.id
    assert str(village2.id) in areas  # the new parent arrives
    assert str(w.areas["village"].id) not in areas  # the old one is not kept
    assert str(grid3.id) not in areas  # a sibling grid is not the worker's
    assert mine["rid"] in worker.rows["households"]  # the grid's records stay
    # the town's supervisor saw both villages: no reset, the grid's new path by feed
    answer = await supervisor.sync()
    assert not answer.get("reset")
    assert supervisor.rows["areas"][str(grid.id)]["path"] == f"{village2.path}{grid.id}/"

    # 2. the admin moves the worker to the other grid (the existing move)
    page = await client.get(f"/admin/users/{w.users['worker'].id}")
    assert page.status_code == 200
    changed = await client.post(
        f"/admin/users/{w.users['worker'].id}/role",
        data={
            "csrf_token": token,
            "role": "grid_worker",
            "area_code": w.areas["grid2"].code,
            "facility": "",
        },
        follow_redirects=False,
    )
    assert changed.status_code == 303
    answer = await worker.sync()
    assert answer["reset"] == "scope"
    await worker.pull_all()
    assert theirs["rid"] in worker.rows["households"]  # the new grid's records arrive
    assert mine["rid"] not in worker.rows["households"]  # the old grid's are dropped
    assert str(grid.id) not in worker.rows["areas"]
    assert (await _audit(db, "move", "user"))[0].detail["to_area"] == w.areas["grid2"].id


# --- users -------------------------------------------------------------------------------


async def test_creating_a_user_shows_a_one_time_password_once(client: Any, db: Any) -> None:
    w = await make_world(db)
    token = await _admin(client, w)
    form = await client.get("/admin/users/new")
    assert form.status_code == 200
    made = await client.post(
        "/admin/users/new",
        data={
            "csrf_token": token,
            "phone": "139 1234 0002",
            "name": "孙八",
            "role": "grid_worker",
            "area_code": w.areas["grid"].code,
        },
    )
    assert made.status_code == 200, made.text[:3000]
    match = re.search(r'class="otp one-time-password">([a-z0-9]+)<', made.text)
    assert match is not None
    async with db() as s:
        user = (await s.execute(select(User).where(User.phone == "13912340002"))).scalar_one()
    assert user.must_change_password
    assert [e.entity_id for e in await _audit(db, "create", "user")] == [str(user.id)]
    for data, message in [
        (
            {"phone": "12345", "role": "grid_worker", "area_code": w.areas["grid"].code},
            "不是手机号",
        ),
        (
            {"phone": "13912340002", "role": "grid_worker", "area_code": w.areas["grid"].code},
            "已被注册",
        ),
        (
            {"phone": "13912340003", "role": "grid_worker", "area_code": w.areas["village"].code},
            "不能设在",
        ),
        (
            {"phone": "13912340004", "role": "sentinel", "area_code": w.areas["village"].code},
            "需要填写所在机构",
        ),
        ({"phone": "13912340005", "role": "king", "area_code": w.areas["grid"].code}, "请选择角色"),
    ]:
        refused = await client.post(
            "/admin/users/new", data={"csrf_token": token, "name": "x", **data}
        )
        assert refused.status_code == 400, data
        assert message in refused.text, (data, refused.text[:4000])
    # a sentinel with the village's clinic
    ok = await client.post(
        "/admin/users/new",
        data={
            "csrf_token": token,
            "phone": "13912340006",
            "name": "周九",
            "role": "sentinel",
            "area_code": w.areas["village"].code,
            "facility": str(w.facility.id),
        },
    )
    assert ok.status_code == 200
    # the user signs in with it and must change it first
    await client.post("/logout", data={"csrf_token": token})
    signed = await sign_in(client, "13912340002", match.group(1))
    assert signed.headers["location"].startswith("/account/password")


async def test_out_of_subtree_users_are_refused(client: Any, db: Any) -> None:
    w = await make_world(db)
    admin, _county = await _county_admin(db, w)
    await sign_in(client, admin.phone)
    token = csrf_from((await client.get("/admin/users")).text)
    worker = w.users["worker"]
    assert (await client.get(f"/admin/users/{worker.id}")).status_code == 404
    refused = await client.post(
        f"/admin/users/{worker.id}/active", data={"csrf_token": token, "active": "0"}
    )
    assert refused.status_code == 404
    role = await client.post(
        f"/admin/users/{worker.id}/role",
        data={"csrf_token": token, "role": "grid_worker", "area_code": w.areas["grid2"].code},
    )
    assert role.status_code == 404
    outside = await client.post(
        "/admin/users/new",
        data={
            "csrf_token": token,
            "phone": "13912340010",
            "name": "x",
            "role": "grid_worker",
            "area_code": w.areas["grid"].code,
        },
    )
    assert outside.status_code == 400
    assert "不在您的辖区" in outside.text
    async with db() as s:
        still = await s.get(User, worker.id)
        assert still is not None
        assert still.active


async def test_deactivation_revokes_devices_and_sessions_and_blocks_sign_in(
    client: Any, db: Any
) -> None:
    w = await make_world(db)
    worker = w.users["worker"]
    async with transaction(db) as s:  # a page session (on another phone) to end
        await start_session(s, worker)
    token = await _admin(client, w)
    page = await client.get(f"/admin/users/{worker.id}")
    device_id = w.tokens["worker"][1]
    assert f'data-device="{device_id}"' in page.text
    assert f'href="/devices/{device_id}/revoke"' in page.text  # its confirmation page
    off = await client.post(
        f"/admin/users/{worker.id}/active",
        data={"csrf_token": token, "active": "0"},
        follow_redirects=False,
    )
    assert off.status_code == 303
    async with db() as s:
        device = await s.get(Device, w.tokens["worker"][1])
        sessions = (
            await s.execute(select(WebSession).where(WebSession.user_id == worker.id))
        ).all()
    assert device is not None
    assert device.revoked_at is not None
    assert sessions == []
    assert (await _audit(db, "deactivate", "user"))[0].detail["devices_revoked"] == 1
    bad = await client.post(
        f"/admin/users/{worker.id}/active", data={"csrf_token": token, "active": "maybe"}
    )
    assert bad.status_code == 400
    myself = await client.post(
        f"/admin/users/{w.users['admin'].id}/active", data={"csrf_token": token, "active": "0"}
    )
    assert myself.status_code == 400

    await client.post("/logout", data={"csrf_token": token})
    refused = await sign_in(client, worker.phone)
    assert refused.status_code == 401
    assert "账号已停用" in refused.text
    wrong = await sign_in(client, worker.phone, "not-the-password-1")
    assert "账号已停用" not in wrong.text  # a wrong guess learns nothing

    token = await _admin(client, w)
    on = await client.post(
        f"/admin/users/{worker.id}/active",
        data={"csrf_token": token, "active": "1"},
        follow_redirects=False,
    )
    assert on.status_code == 303
    assert await _audit(db, "reactivate", "user")


async def test_a_sheet_of_users_is_checked_then_written_whole(client: Any, db: Any) -> None:
    w = await make_world(db)
    token = await _admin(client, w)
    template = await client.get("/admin/users/template.xlsx")
    assert template.status_code == 200
    book = load_workbook(io.BytesIO(template.content))
    assert [c.value for c in book.worksheets[0][1]][:4] == [
        "手机号*",
        "姓名*",
        "角色*",
        "区域编码*",
    ]

    grid, village = w.areas["grid"].code, w.areas["village"].code
    bad_csv = (
        "手机号,姓名,角色,区域编码,机构\n"
        f"13912340020,甲,网格员,{grid},\n"
        f"13912340020,乙,网格员,{grid},\n"
        f"1391234,丙,网格员,{grid},\n"
        f"13912340022,丁,哨点,{village},没有这个诊所\n"
        "13912340023,戊,网格员,NOPE,\n"
    )
    preview = await client.post(
        "/admin/users/sheet",
        data={"csrf_token": token},
        files={"file": ("users.csv", bad_csv.encode(), "text/csv")},
    )
    assert preview.status_code == 400
    issues = set(re.findall(r'data-row="(\d+)" data-column="(\w+)"', preview.text))
    assert issues == {("3", "phone"), ("4", "phone"), ("5", "facility"), ("6", "area")}
    assert "在表中出现了两次" in preview.text
    # a confirm of a sheet with a problem (sent by hand) writes nothing either
    rows = [
        [2, {"phone": "13912340020", "name": "甲", "role": "网格员", "area_code": grid}],
        [3, {"phone": "1391234", "name": "丙", "role": "网格员", "area_code": grid}],
    ]
    confirm = await client.post(
        "/admin/users/sheet/confirm", data={"csrf_token": token, "rows": json.dumps(rows)}
    )
    assert confirm.status_code == 400
    async with db() as s:
        assert (await s.execute(select(User).where(User.name == "甲"))).first() is None

    good_csv = (
        "手机号,姓名,角色,区域编码,机构\n"
        f"13912340030,甲,网格员,{grid},\n"
        f"13912340031,乙,Sentinel,{village},{w.facility.name}\n"
    )
    preview = await client.post(
        "/admin/users/sheet",
        data={"csrf_token": token},
        files={"file": ("users.csv", good_csv.encode(), "text/csv")},
    )
    assert preview.status_code == 200
    payload = re.search(r'name="rows" value="([^"]*)"', preview.text)
    assert payload is not None
    done = await client.post(
        "/admin/users/sheet/confirm",
        data={"csrf_token": token, "rows": html.unescape(payload.group(1))},
    )
    assert done.status_code == 200, done.text[:3000]
    assert len(re.findall(r'class="otp one-time-password"', done.text)) == 2
    async with db() as s:
        names = set(
            (await s.execute(select(User.name).where(User.phone.like("1391234003%")))).scalars()
        )
    assert names == {"甲", "乙"}
    assert (await _audit(db, "create_many", "users"))[0].detail == {"users": 2}
    # an XLSX as Excel saves it: phones as numbers
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["手机号*", "姓名*", "角色*", "区域编码*", "机构"])
    sheet.append([13912340040, "庚", "grid_worker", grid, None])
    sheet.append([13912340041.0, "辛", "督查人员", w.areas["town"].code, None])
    buffer = io.BytesIO()
    book.save(buffer)
    xlsx = await client.post(
        "/admin/users/sheet",
        data={"csrf_token": token},
        files={"file": ("users.xlsx", buffer.getvalue(), "application/octet-stream")},
    )
    assert xlsx.status_code == 200, xlsx.text[:3000]
    assert 'data-stat="ok">2<' in xlsx.text
    # the same sheet again: every phone is taken, nothing written
    again = await client.post(
        "/admin/users/sheet/confirm",
        data={"csrf_token": token, "rows": html.unescape(payload.group(1))},
    )
    assert again.status_code == 400


# --- facilities --------------------------------------------------------------------------


async def test_facilities_add_edit_and_refusals(client: Any, db: Any) -> None:
    w = await make_world(db)
    token = await _admin(client, w)
    page = await client.get("/admin/facilities")
    assert page.status_code == 200
    assert f'data-facility="{w.facility.id}"' in page.text
    added = await client.post(
        "/admin/facilities",
        follow_redirects=False,
        data={
            "csrf_token": token,
            "kind": "pharmacy",
            "name": "仁和药店",
            "phone": "13700001111",
            "area_id": str(w.areas["village"].id),
        },
    )
    assert added.status_code == 303
    async with db() as s:
        shop = (await s.execute(select(Facility).where(Facility.name == "仁和药店"))).scalar_one()
    assert shop.rev > 0
    edited = await client.post(
        f"/admin/facilities/{shop.id}",
        follow_redirects=False,
        data={
            "csrf_token": token,
            "kind": "pharmacy",
            "name": "仁和大药房",
            "phone": "",
            "area_id": str(w.areas["village"].id),
        },
    )
    assert edited.status_code == 303
    assert [e.action for e in await _audit(db, "create", "facility")] == ["create"]
    assert await _audit(db, "update", "facility")
    for data, message in [
        (
            {"kind": "pharmacy", "name": "x", "phone": "12", "area_id": str(w.areas["village"].id)},
            "电话不是电话号码",
        ),
        (
            {"kind": "township_health_centre", "name": "x", "area_id": str(w.areas["grid"].id)},
            "设在",
        ),
        (
            {"kind": "hospital", "name": "x", "area_id": str(w.areas["village"].id)},
            "请选择机构类型",
        ),
        ({"kind": "pharmacy", "name": "x", "area_id": "abc"}, "请选择区域"),
    ]:
        refused = await client.post("/admin/facilities", data={"csrf_token": token, **data})
        assert refused.status_code == 400, data
        assert message in refused.text, (data, refused.text[:3000])
    admin, _county = await _county_admin(db, w)
    await client.post("/logout", data={"csrf_token": token})
    await sign_in(client, admin.phone)
    token = csrf_from((await client.get("/admin/facilities")).text)
    outside = await client.post(
        f"/admin/facilities/{shop.id}",
        data={
            "csrf_token": token,
            "kind": "pharmacy",
            "name": "x",
            "area_id": str(w.areas["village"].id),
        },
    )
    assert outside.status_code == 404
