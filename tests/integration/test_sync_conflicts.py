"""Field-level merge between devices, conflict records, and the supervisor's review."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from server.audit.models import AuditEntry
from server.db import transaction
from server.people.models import Person
from server.sync.models import Conflict
from tests.factories import make_user, sign_in
from tests.integration.sync_helpers import Dev, World, household, make_world, now_ms, person


async def two_workers(w: World, client: Any) -> tuple[Dev, Dev, str, int]:
    """Workers A and B of one grid, both holding the same person at the same rev.
    B's clock runs a minute behind, so A's later edits carry the greater HLC."""
    a = w.dev(client, "worker")
    b = w.dev(client, "worker_b", clock=lambda: now_ms() - 60_000)
    h = household(a, w.areas["grid"], address="", doorplate="", phone=None, notes="")
    p = person(a, h["rid"], phone="13800000001", notes="", relation="", measure="none")
    await a.sync([h, p])
    await b.sync()
    rev = b.rows["persons"][p["rid"]]["rev"]
    assert a.rows["persons"][p["rid"]]["rev"] == rev
    return a, b, p["rid"], rev


def auth(dev: Dev) -> dict[str, str]:
    return {"Authorization": f"Bearer {dev.token}"}


async def test_edits_of_different_fields_both_survive(db: Any, client: Any) -> None:
    w = await make_world(db)
    a, b, pid, rev = await two_workers(w, client)
    assert (await a.sync([a.put("persons", pid, base=rev, phone="13800000138")]))["results"][0][
        "status"
    ] == "applied"
    answer = await b.sync([b.put("persons", pid, base=rev, notes="腿脚不便")])
    assert answer["results"][0]["status"] == "applied"
    # B's own write is not all it lacks: the record comes whole, with A's phone
    assert b.rows["persons"][pid]["phone"] == "13800000138"
    assert b.rows["persons"][pid]["notes"] == "腿脚不便"
    await a.sync()
    assert a.rows["persons"][pid] == b.rows["persons"][pid]
    async with db() as s:
        assert (await s.execute(select(Conflict))).first() is None


async def test_same_field_resolves_by_clock_and_keeps_the_loser(db: Any, client: Any) -> None:
    w = await make_world(db)
    a, b, pid, rev = await two_workers(w, client)
    mb = b.put("persons", pid, base=rev, phone="13900000002")  # made first, older clock
    ma = a.put("persons", pid, base=rev, phone="13800000003")
    await b.sync([mb])  # B reaches the server first ...
    answer = await a.sync([ma])  # ... A's later edit wins by its clock
    result = answer["results"][0]
    assert result["status"] == "merged"
    assert pid in {row[0] for row in answer["changes"]["persons"]["rows"]}  # merged: echoed
    async with db() as s:
        conflict = (await s.execute(select(Conflict))).scalar_one()
        row = await s.get(Person, uuid.UUID(pid))
    assert row is not None
    assert row.phone == "13800000003"
    assert result["conflicts"] == [str(conflict.id)]
    assert (conflict.field, conflict.status, conflict.critical) == ("phone", "auto_resolved", False)
    assert (conflict.kept_value, conflict.proposed_value) == ("13900000002", "13800000003")
    assert conflict.resolution_value == "13800000003"
    assert (conflict.kept_by, conflict.proposed_by) == (
        w.users["worker_b"].id,
        w.users["worker"].id,
    )
    assert conflict.kept_hlc == mb["hlc"]
    assert conflict.proposed_hlc == ma["hlc"]
    assert conflict.created_at is not None
    # the proposer gets the conflict record; B converges on A's value
    assert str(conflict.id) in a.rows["conflicts"]
    await b.sync()
    assert b.rows["persons"][pid]["phone"] == "13800000003"
    assert "conflicts" not in b.rows  # B proposed nothing that conflicted


async def test_critical_field_is_held_and_a_supervisor_decides(db: Any, client: Any) -> None:
    w = await make_world(db)
    a, b, pid, rev = await two_workers(w, client)
    sup = w.dev(client, "supervisor")
    await a.sync([a.put("persons", pid, base=rev, measure="home_quarantine")])
    answer = await b.sync(
        [b.put("persons", pid, base=rev, measure="central_quarantine", notes="已转运")]
    )
    result = answer["results"][0]
    assert result["status"] == "conflict"
    assert result["held"] == ["measure"]
    assert b.rows["persons"][pid]["measure"] == "home_quarantine"  # the current value stays
    assert b.rows["persons"][pid]["notes"] == "已转运"  # the rest of the mutation applied
    (cid,) = result["conflicts"]
    assert b.rows["conflicts"][cid]["status"] == "pending"

    # the supervisor lists, reads (audited) and accepts
    listed = await client.get("/api/conflicts?status=pending", headers=auth(sup))
    assert listed.status_code == 200, listed.text
    assert [c["id"] for c in listed.json()["items"]] == [cid]
    one = await client.get(f"/api/conflicts/{cid}", headers=auth(sup))
    assert one.status_code == 200, one.text
    assert one.json()["record"]["measure"] == "home_quarantine"
    assert one.json()["conflict"]["proposed_value"] == "central_quarantine"
    decided = await client.post(
        f"/api/conflicts/{cid}/decision", json={"action": "accept"}, headers=auth(sup)
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["conflict"]["status"] == "accepted"
    again = await client.post(
        f"/api/conflicts/{cid}/decision", json={"action": "reject"}, headers=auth(sup)
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_resolved"

    # the decision syncs to both devices; the proposer sees its conflict decided
    await a.sync()
    await b.sync()
    for dev in (a, b):
        assert dev.rows["persons"][pid]["measure"] == "central_quarantine"
        assert dev.rows["persons"][pid]["rev"] == decided.json()["rev"]
    assert b.rows["conflicts"][cid]["status"] == "accepted"
    assert b.rows["conflicts"][cid]["resolution_value"] == "central_quarantine"
    async with db() as s:
        actions = (
            (await s.execute(select(AuditEntry.action).where(AuditEntry.user_id == sup.user.id)))
            .scalars()
            .all()
        )
    assert sorted(actions) == ["conflict_decision", "read"]

    # an offline edit made before the decision meets it and is held again
    stale = a.put("persons", pid, base=rev, measure="none")
    answer = await a.sync([stale])
    assert answer["results"][0]["status"] == "conflict"


async def test_reject_and_edit_decisions(db: Any, client: Any) -> None:
    w = await make_world(db)
    a, b, pid, rev = await two_workers(w, client)
    sup = w.dev(client, "supervisor")
    await a.sync([a.put("persons", pid, base=rev, measure="home_quarantine")])
    first = await b.sync([b.put("persons", pid, base=rev, measure="hospital")])
    rev_a = a.rows["persons"][pid]["rev"]
    second = await b.sync([b.put("persons", pid, base=rev, measure="central_quarantine")])
    (c1,) = first["results"][0]["conflicts"]
    (c2,) = second["results"][0]["conflicts"]

    rejected = await client.post(
        f"/api/conflicts/{c1}/decision", json={"action": "reject"}, headers=auth(sup)
    )
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["rev"] > rev_a  # a server write, though the value stays
    await a.sync()
    assert a.rows["persons"][pid]["measure"] == "home_quarantine"
    assert a.rows["persons"][pid]["rev"] == rejected.json()["rev"]

    bad = await client.post(
        f"/api/conflicts/{c2}/decision",
        json={"action": "edit", "value": "moon_base"},
        headers=auth(sup),
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "invalid"
    missing = await client.post(
        f"/api/conflicts/{c2}/decision", json={"action": "edit"}, headers=auth(sup)
    )
    assert missing.status_code == 400
    edited = await client.post(
        f"/api/conflicts/{c2}/decision",
        json={"action": "edit", "value": "health_monitoring"},
        headers=auth(sup),
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["conflict"]["status"] == "edited"
    await a.sync()
    assert a.rows["persons"][pid]["measure"] == "health_monitoring"
    async with db() as s:
        stored = await s.get(Conflict, uuid.UUID(c2))
    assert stored is not None
    assert (stored.resolved_by, stored.resolution_value) == (sup.user.id, "health_monitoring")


async def test_review_is_for_reviewers_of_the_area(db: Any, client: Any) -> None:
    w = await make_world(db)
    a, b, pid, rev = await two_workers(w, client)
    await a.sync([a.put("persons", pid, base=rev, measure="home_quarantine")])
    answer = await b.sync([b.put("persons", pid, base=rev, measure="hospital")])
    (cid,) = answer["results"][0]["conflicts"]
    async with transaction(db) as s:
        elsewhere = await make_user(s, "supervisor", w.areas["grid2"])
    other_sup = Dev(client, "", uuid.uuid4(), elsewhere)
    from server.accounts.models import Device
    from server.accounts.passwords import hash_token, new_token

    other_sup.token = new_token()
    async with transaction(db) as s:
        s.add(
            Device(
                id=other_sup.device_id,
                user_id=elsewhere.id,
                name="x",
                token_hash=hash_token(other_sup.token),
            )
        )
    for path in (f"/api/conflicts/{cid}", f"/api/conflicts/{cid}/decision"):
        kwargs: dict[str, Any] = {"headers": auth(other_sup)}
        response = await (
            client.get(path, **kwargs)
            if path.endswith(cid)
            else client.post(path, json={"action": "accept"}, **kwargs)
        )
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "out_of_scope"
    assert (await client.get("/api/conflicts", headers=auth(other_sup))).json()["items"] == []
    worker = await client.get("/api/conflicts", headers=auth(a))
    assert worker.status_code == 403
    assert worker.json()["error"]["code"] == "forbidden"
    nobody = await client.get("/api/conflicts")
    assert nobody.status_code == 401
    unknown = await client.get(
        f"/api/conflicts/{uuid.uuid4()}", headers=auth(w.dev(client, "admin"))
    )
    assert unknown.status_code == 404
    bad_filter = await client.get(
        "/api/conflicts?status=weird", headers=auth(w.dev(client, "admin"))
    )
    assert bad_filter.status_code == 400


async def test_a_signed_in_supervisor_decides_with_json_only(db: Any, client: Any) -> None:
    w = await make_world(db)
    a, b, pid, rev = await two_workers(w, client)
    await a.sync([a.put("persons", pid, base=rev, measure="home_quarantine")])
    answer = await b.sync([b.put("persons", pid, base=rev, measure="hospital")])
    (cid,) = answer["results"][0]["conflicts"]
    signed_in = await sign_in(client, w.users["supervisor"].phone)
    assert signed_in.status_code == 303
    listed = await client.get("/api/conflicts")  # the page session cookie is enough to read
    assert [c["id"] for c in listed.json()["items"]] == [cid]
    forged = await client.post(
        f"/api/conflicts/{cid}/decision",
        content=b'{"action": "accept"}',
        headers={"Content-Type": "text/plain"},  # what a cross-site form can send
    )
    assert (forged.status_code, forged.json()["error"]["code"]) == (403, "forbidden")
    decided = await client.post(f"/api/conflicts/{cid}/decision", json={"action": "accept"})
    assert decided.status_code == 200, decided.text
