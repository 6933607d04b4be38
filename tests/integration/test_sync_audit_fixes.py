"""Defects an audit found in the sync engine and the conflict review (issue 10, items 1,
3 and 12), each shown failing before its fix."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from server.accounts.models import Device, User
from server.accounts.moves import move_user
from server.accounts.passwords import hash_token, new_token
from server.areas.models import Area
from server.db import transaction
from server.people.models import Person
from server.sync.models import Conflict
from tests.factories import make_area, make_user
from tests.integration.sync_helpers import Dev, World, household, make_world, person


def auth(dev: Dev) -> dict[str, str]:
    return {"Authorization": f"Bearer {dev.token}"}


async def add_user(w: World, client: Any, role: str, area: Area) -> Dev:
    token, device_id = new_token(), uuid.uuid4()
    async with transaction(w.db) as s:
        user = await make_user(s, role, area)
        s.add(Device(id=device_id, user_id=user.id, name=role, token_hash=hash_token(token)))
    return Dev(client, token, device_id, user)


async def other_town(w: World) -> dict[str, Area]:
    async with transaction(w.db) as s:
        town = await make_area(s, "town", "八仙镇", w.areas["county"])
        village = await make_area(s, "village", "龙洞村", town)
        grid = await make_area(s, "grid", "龙洞一组", village)
    return {"town": town, "village": village, "grid": grid}


async def held_conflict(w: World, client: Any) -> tuple[Dev, Dev, str, str]:
    """Workers A and B of one grid; B's offline change of a person's measure is held for
    review against A's. Returns A, B, the person's id and the conflict's id."""
    a, b = w.dev(client, "worker"), w.dev(client, "worker_b")
    h = household(a, w.areas["grid"])
    p = person(a, h["rid"], id_number="110101199001011237", phone="13812345678")
    await a.sync([h, p])
    await b.sync()
    rev = b.rows["persons"][p["rid"]]["rev"]
    await a.sync([a.put("persons", p["rid"], base=rev, measure="home_quarantine")])
    answer = await b.sync([b.put("persons", p["rid"], base=rev, measure="hospital")])
    assert answer["results"][0]["status"] == "conflict"
    (cid,) = answer["results"][0]["conflicts"]
    assert cid in b.rows["conflicts"]
    return a, b, p["rid"], cid


async def test_a_conflict_moves_with_its_record(db: Any, client: Any) -> None:
    """Item 1: the person moves to another town; its pending conflict goes with it."""
    w = await make_world(db)
    _a, b, pid, cid = await held_conflict(w, client)
    there = await other_town(w)
    old_sup = w.dev(client, "supervisor")
    new_sup = await add_user(w, client, "supervisor", there["town"])
    county = await add_user(w, client, "supervisor", w.areas["county"])
    await county.sync()
    h2 = household(county, there["grid"])
    rev = county.rows["persons"][pid]["rev"]
    moved = await county.sync([h2, county.put("persons", pid, base=rev, household_id=h2["rid"])])
    assert [r["status"] for r in moved["results"]] == ["applied", "applied"]
    async with db() as s:
        conflict = await s.get(Conflict, uuid.UUID(cid))
    assert conflict is not None
    assert conflict.area_id == there["grid"].id

    # the old town's supervisor no longer lists, reads or decides it
    listed = await client.get("/api/conflicts", headers=auth(old_sup))
    assert cid not in [c["id"] for c in listed.json()["items"]]
    for response in (
        await client.get(f"/api/conflicts/{cid}", headers=auth(old_sup)),
        await client.post(
            f"/api/conflicts/{cid}/decision", json={"action": "accept"}, headers=auth(old_sup)
        ),
    ):
        assert response.status_code in (403, 404), response.text
    # the new town's supervisor, now responsible, sees and decides it
    listed = await client.get("/api/conflicts", headers=auth(new_sup))
    assert cid in [c["id"] for c in listed.json()["items"]]
    assert (await client.get(f"/api/conflicts/{cid}", headers=auth(new_sup))).status_code == 200
    decided = await client.post(
        f"/api/conflicts/{cid}/decision", json={"action": "accept"}, headers=auth(new_sup)
    )
    assert decided.status_code == 200, decided.text
    async with db() as s:
        row = await s.get(Person, uuid.UUID(pid))
    assert row is not None
    assert row.measure == "hospital"
    # the proposer's device, in the old grid, drops the person and the conflict
    await b.sync()
    assert pid not in b.rows.get("persons", {})
    assert cid not in b.rows.get("conflicts", {})


async def test_a_worker_moved_away_stops_receiving_the_old_grids_conflicts(
    db: Any, client: Any
) -> None:
    """Item 1: conflict rows carry ID numbers and phones; they stay in their area."""
    w = await make_world(db)
    _a, b, _pid, cid = await held_conflict(w, client)
    there = await other_town(w)
    async with transaction(db) as s:
        user = (await s.execute(select(User).where(User.id == b.user.id))).scalar_one()
        await move_user(s, user, await s.get_one(Area, there["grid"].id))
    answer = await b.sync()
    assert answer["reset"] == "scope"
    await b.pull_all()
    assert cid not in b.rows.get("conflicts", {})
    assert "persons" not in b.rows


async def test_the_conflict_list_masks_personal_numbers(db: Any, client: Any) -> None:
    """Item 3: a list shows ID numbers and phones masked; reading one conflict shows them
    whole (and that read is audited)."""
    w = await make_world(db)
    a, b = w.dev(client, "worker"), w.dev(client, "worker_b")
    sup = w.dev(client, "supervisor")
    h = household(a, w.areas["grid"])
    p = person(a, h["rid"], id_number="110101199001011237", phone="13812345678")
    await a.sync([h, p])
    await b.sync()
    rev = b.rows["persons"][p["rid"]]["rev"]
    await a.sync([a.put("persons", p["rid"], base=rev, id_number="110101199202021116")])
    answer = await b.sync(
        [b.put("persons", p["rid"], base=rev, id_number="110101199303032228", phone="13900000139")]
    )
    assert answer["results"][0]["status"] == "conflict"  # an ID number is critical
    listed = (await client.get("/api/conflicts", headers=auth(sup))).json()["items"]
    (item,) = listed
    assert item["field"] == "id_number"
    values = {item["kept_value"], item["proposed_value"], item["resolution_value"]} - {None}
    assert values == {"110101********1116", "110101********2228"}, values
    whole = (await client.get(f"/api/conflicts/{item['id']}", headers=auth(sup))).json()
    assert whole["conflict"]["kept_value"] == "110101199202021116"
    assert whole["conflict"]["proposed_value"] == "110101199303032228"
    assert whole["record"]["phone"] == "13900000139"


async def test_the_same_device_is_the_authenticated_one(db: Any, client: Any) -> None:
    """Item 12: device Y stamping device X's node on its clock is still Y: its edit of a
    field X changed concurrently is held, not applied over X's."""
    w = await make_world(db)
    x, y = w.dev(client, "worker"), w.dev(client, "worker_b")
    h = household(x, w.areas["grid"])
    p = person(x, h["rid"], measure="none")
    await x.sync([h, p])
    await y.sync()
    rev = y.rows["persons"][p["rid"]]["rev"]
    assert (await x.sync([x.put("persons", p["rid"], base=rev, measure="home_quarantine")]))[
        "results"
    ][0]["status"] == "applied"
    forged = y.put("persons", p["rid"], base=rev, measure="none")
    forged["hlc"] = forged["hlc"].rsplit(":", 1)[0] + ":" + x.node
    result = (await y.sync([forged]))["results"][0]
    assert (result["status"], result.get("held")) == ("conflict", ["measure"])
    # X's own queued edit on the same old base is still its own: sequential
    own = (await x.sync([x.put("persons", p["rid"], base=rev, measure="hospital")]))["results"]
    assert own[0]["status"] == "applied"


async def test_a_worker_cannot_pose_as_the_supervisors_device(db: Any, client: Any) -> None:
    """Item 12, across users: a grid worker stamping a supervisor's node does not silently
    overwrite what the supervisor just set."""
    w = await make_world(db)
    worker, sup = w.dev(client, "worker"), w.dev(client, "supervisor")
    h = household(worker, w.areas["grid"])
    p = person(worker, h["rid"], measure="none", notes="")
    await worker.sync([h, p])
    await sup.sync()
    rev = sup.rows["persons"][p["rid"]]["rev"]
    decided = await sup.sync(
        [sup.put("persons", p["rid"], base=rev, measure="central_quarantine", notes="已核实")]
    )
    assert decided["results"][0]["status"] == "applied"
    forged = worker.put("persons", p["rid"], base=rev, measure="none", notes="没事")
    forged["hlc"] = forged["hlc"].rsplit(":", 1)[0] + ":" + sup.node
    result = (await worker.sync([forged]))["results"][0]
    assert (result["status"], result.get("held")) == ("conflict", ["measure"])
    async with db() as s:
        row = await s.get(Person, uuid.UUID(p["rid"]))
        fields = sorted((await s.execute(select(Conflict.field, Conflict.status))).all())
    assert row is not None
    assert row.measure == "central_quarantine"
    assert fields == [("measure", "pending"), ("notes", "auto_resolved")]
