"""The reference lists on admins' pages: policy versions (a running measure keeps its
version), medium/high-risk areas and campaigns. Every change is a page write that phones
pull at their next sync, and leaves an audit entry."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from server.accounts.guard import principal_for
from server.audit.models import AuditEntry
from server.config import DEFAULT_TIMEZONE
from server.db import transaction, utcnow
from server.people.models import RiskArea
from server.quarantine.models import Measure, Policy
from server.quarantine.queries import measures_on
from server.quarantine.rules import PolicyRule, policy_for, schedule
from server.registry import REGISTRY
from server.sync.revs import RevAllocator
from server.sync.writes import PageWrite, write
from server.timeutil import local_today
from server.visits.models import Campaign
from tests.factories import csrf_from, make_household, sign_in
from tests.integration.sync_helpers import World, make_world


def today() -> date:
    return local_today(utcnow(), DEFAULT_TIMEZONE)


async def add_v1(db: Any) -> int:
    async with transaction(db) as s:
        alloc = RevAllocator(s)
        policy = Policy(kind="home_quarantine", version=1, duration_days=14, test_days=[0, 13],
                        checks_per_day=2, effective_from=date(2021, 1, 1), note="默认规则",
                        rev=await alloc.next())  # fmt: skip
        s.add(policy)
        await alloc.flush()
        await s.flush()
        return policy.id


async def admin_form(client: Any, w: World, path: str) -> tuple[str, str]:
    """Sign the admin in; the page's CSRF token and its form id."""
    await sign_in(client, w.users["admin"].phone)
    page = await client.get(path)
    assert page.status_code == 200, page.text[:500]
    match = re.search(r'name="form_id" value="([0-9a-f-]+)"', page.text)
    assert match is not None
    return csrf_from(page.text), match.group(1)


def rule_of(row: dict[str, Any]) -> PolicyRule:
    return PolicyRule(row["kind"], row["version"], row["duration_days"], tuple(row["test_days"]),
                      row["checks_per_day"], date.fromisoformat(row["effective_from"]))  # fmt: skip


async def test_a_new_version_applies_to_new_measures_and_running_ones_keep_theirs(
    client: Any, db: Any
) -> None:
    w = await make_world(db)
    v1 = await add_v1(db)
    worker = w.dev(client, "worker")
    await worker.pull_all()
    start_a = today() - timedelta(days=3)
    plan_a = schedule(rule_of(worker.rows["policies"][str(v1)]), start_a)
    hh = worker.put("households", area_id=w.areas["grid"].id, head_name="张三")
    pa = worker.put("persons", household_id=hh["rid"], name="张一", measure="home_quarantine")
    ma = worker.put("measures", person_id=pa["rid"], kind="home_quarantine", policy_id=v1,
                    start_date=start_a.isoformat(), end_date=plan_a.end_date.isoformat(),
                    status="active")  # fmt: skip
    answer = await worker.sync([hh, pa, ma])
    assert {r["status"] for r in answer["results"]} == {"applied"}

    token, form_id = await admin_form(client, w, "/admin/policies")
    fields = {"csrf_token": token, "form_id": form_id, "kind": "home_quarantine",
              "duration_days": "7", "test_days": "0，6", "checks_per_day": "1",
              "effective_from": today().isoformat(), "note": "新方案"}  # fmt: skip
    added = await client.post("/admin/policies", data=fields, follow_redirects=False)
    assert added.status_code == 303, added.text[:1000]
    again = await client.post("/admin/policies", data=fields, follow_redirects=False)
    assert again.headers["location"] == added.headers["location"]  # a resent form: one version
    async with db() as s:
        versions = (await s.execute(select(Policy).order_by(Policy.version))).scalars().all()
        entries = (await s.execute(select(AuditEntry.action))).scalars().all()
    assert [(p.version, p.duration_days, p.test_days, p.checks_per_day) for p in versions] == [
        (1, 14, [0, 13], 2),
        (2, 7, [0, 6], 1),
    ]
    v2 = versions[1].id
    assert added.headers["location"] == f"/admin/policies?added={v2}"
    assert entries.count("policy_added") == 1
    page = await client.get(added.headers["location"])
    assert f'data-policy="{v1}" data-version="1" data-state="superseded"' in page.text
    assert f'data-policy="{v2}" data-version="2" data-state="current"' in page.text

    # The phone pulls v2; a measure opened now follows it, the running one keeps v1.
    await worker.sync()
    assert worker.rows["policies"][str(v2)]["duration_days"] == 7
    pulled = [rule_of(r) for r in worker.rows["policies"].values()]
    chosen = policy_for("home_quarantine", today(), pulled)
    assert chosen.version == 2
    plan_b = schedule(chosen, today())
    pb = worker.put("persons", household_id=hh["rid"], name="张二", measure="home_quarantine")
    mb = worker.put("measures", person_id=pb["rid"], kind="home_quarantine", policy_id=v2,
                    start_date=today().isoformat(), end_date=plan_b.end_date.isoformat(),
                    status="active")  # fmt: skip
    wrong = worker.put("measures", person_id=pb["rid"], kind="central_quarantine", policy_id=v2,
                       start_date=today().isoformat(), status="active")  # fmt: skip
    answer = await worker.sync([pb, mb, wrong])
    statuses = {r["id"]: (r["status"], r.get("field")) for r in answer["results"]}
    assert statuses[mb["id"]] == ("applied", None)
    assert statuses[wrong["id"]] == ("rejected", "policy_id")
    async with db() as s:
        a = await s.get(Measure, uuid.UUID(ma["rid"]))
        b = await s.get(Measure, uuid.UUID(mb["rid"]))
        assert a is not None
        assert b is not None
        assert (a.policy_id, a.end_date) == (v1, start_a + timedelta(days=14))
        assert (b.policy_id, b.end_date) == (v2, today() + timedelta(days=7))
        listed = await measures_on(
            s, w.areas["grid"].path, day=today(), today=today(), timezone=DEFAULT_TIMEZONE,
            kind=None, not_done_only=False, sort="start", page=1,
        )  # fmt: skip
    by_name = {r.name: r for r in listed.rows}
    assert (by_name["张一"].of_m, by_name["张一"].not_done) == (14, ["morning", "evening"])
    assert (by_name["张二"].of_m, by_name["张二"].not_done) == (7, ["morning"])
    assert by_name["张二"].tests_open == [today()]  # v2's day-0 test; v1's was 3 days ago
    page = await client.get("/admin/policies")
    assert re.search(rf'data-policy="{v1}"[^>]*>.*?<td[^>]*>1</td>\s*<td', page.text, re.S)


async def test_a_version_is_checked_before_it_is_added(client: Any, db: Any) -> None:
    w = await make_world(db)
    await add_v1(db)
    token, form_id = await admin_form(client, w, "/admin/policies")
    base = {"csrf_token": token, "kind": "home_quarantine", "duration_days": "10",
            "test_days": "0, 9", "checks_per_day": "2",
            "effective_from": (today() + timedelta(days=10)).isoformat()}  # fmt: skip
    cases = [
        ({"effective_from": (today() - timedelta(days=1)).isoformat()}, "effective_from"),
        ({"test_days": "0, 10"}, "test_days"),
        ({"test_days": "9, 0"}, "test_days"),
        ({"test_days": "零"}, "test_days"),
        ({"duration_days": "0"}, "duration_days"),
        ({"duration_days": "61"}, "duration_days"),
        ({"kind": "hospital"}, "kind"),
        ({"checks_per_day": "3"}, "checks_per_day"),
        ({"effective_from": "2026-13-01"}, "effective_from"),
    ]
    for change, field in cases:
        sent = {**base, **change, "form_id": str(uuid.uuid4())}
        answer = await client.post("/admin/policies", data=sent, follow_redirects=False)
        assert answer.status_code == 400, (change, answer.status_code)
        assert f'data-field="{field}"' in answer.text, (change, answer.text[-3000:])
    ok = await client.post("/admin/policies", data={**base, "form_id": form_id})
    assert ok.status_code == 200
    # A version may not start before the kind's latest one (which would then never apply).
    earlier = {**base, "form_id": str(uuid.uuid4()),
               "effective_from": (today() + timedelta(days=5)).isoformat()}  # fmt: skip
    answer = await client.post("/admin/policies", data=earlier, follow_redirects=False)
    assert answer.status_code == 400
    assert "最新版本" in answer.text
    async with db() as s:
        assert len((await s.execute(select(Policy))).scalars().all()) == 2


async def test_reference_rows_are_written_by_admins_pages_only(client: Any, db: Any) -> None:
    w = await make_world(db)
    v1 = await add_v1(db)
    data = {"kind": "home_quarantine", "duration_days": 7, "test_days": [0],
            "effective_from": today().isoformat()}  # fmt: skip
    async with transaction(db) as s:
        sup = w.users["supervisor"]
        (refused,) = await write(s, REGISTRY, sup, await principal_for(s, sup),
                                 [PageWrite("policies", "", data)])  # fmt: skip
        admin = w.users["admin"]
        principal = await principal_for(s, admin)
        edit, delete, bad = await write(s, REGISTRY, admin, principal, [
            PageWrite("policies", str(v1), {"duration_days": 10}),
            PageWrite("policies", str(v1), op="del"),
            PageWrite("policies", "x1", data),
        ])  # fmt: skip
    assert (refused.status, refused.code) == ("rejected", "forbidden")
    assert (edit.status, edit.code, edit.field) == ("rejected", "immutable", "duration_days")
    assert (delete.status, delete.code) == ("rejected", "invalid")
    assert (bad.status, bad.code) == ("rejected", "invalid")
    # A device may not write reference data at all, an admin's device neither.
    admin_dev = w.dev(client, "admin")
    answer = await admin_dev.sync([admin_dev.put("risk_areas", province="湖北省", level="high",
                                                 effective_from=today().isoformat())])  # fmt: skip
    assert answer["results"][0]["code"] == "forbidden"


async def test_risk_areas_add_filter_change_and_end(client: Any, db: Any) -> None:
    w = await make_world(db)
    worker = w.dev(client, "worker")
    await worker.pull_all()
    token, form_id = await admin_form(client, w, "/admin/risk-areas")
    start = today() - timedelta(days=2)
    add = {"csrf_token": token, "form_id": form_id, "province": "河北省", "city": "石家庄市",
           "district": "藁城区", "level": "high", "effective_from": start.isoformat(),
           "effective_to": ""}  # fmt: skip
    done = await client.post("/admin/risk-areas", data=add, follow_redirects=False)
    assert done.status_code == 303, done.text[-2000:]
    refusals = [
        ({"province": ""}, "province"),
        ({"city": "", "district": "某区"}, "city"),
        ({"level": "low"}, "level"),
        ({"effective_to": (start - timedelta(days=1)).isoformat()}, "effective_to"),
        ({"effective_from": (start + timedelta(days=3)).isoformat()}, "effective_from"),  # overlap
        ({"effective_from": ""}, "effective_from"),
    ]
    for change, field in refusals:
        sent = {**add, **change, "form_id": str(uuid.uuid4())}
        answer = await client.post("/admin/risk-areas", data=sent, follow_redirects=False)
        assert answer.status_code == 400, change
        assert f'data-field="{field}"' in answer.text, (change, answer.text[-2000:])
    later = {**add, "form_id": str(uuid.uuid4()), "province": "北京市", "city": "",
             "district": "", "level": "mid",
             "effective_from": (today() + timedelta(days=3)).isoformat()}  # fmt: skip
    assert (await client.post("/admin/risk-areas", data=later)).status_code == 200
    async with db() as s:
        rows = {r.province: r for r in (await s.execute(select(RiskArea))).scalars()}
    hebei, beijing = rows["河北省"], rows["北京市"]

    listed = await client.get("/admin/risk-areas?state=listed")
    assert f'data-risk-area="{hebei.id}"' in listed.text
    assert f'data-risk-area="{beijing.id}"' not in listed.text
    upcoming = await client.get("/admin/risk-areas?state=upcoming&q=北京",
                                headers={"HX-Request": "true"})  # fmt: skip
    assert upcoming.text.lstrip().startswith('<div id="risk-list">')
    assert f'data-risk-area="{beijing.id}"' in upcoming.text
    back = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    restore = await client.get("/admin/risk-areas?state=upcoming", headers=back)
    assert "<html" in restore.text  # the back button gets the whole page
    assert (
        "河北" not in (await client.get("/admin/risk-areas?q=%25")).text.split('id="risk-list"')[1]
    )
    assert (await client.get("/admin/risk-areas?level=low")).status_code == 400
    assert (await client.get("/admin/risk-areas?state=gone")).status_code == 400

    await worker.sync()
    assert worker.rows["risk_areas"][str(hebei.id)]["district"] == "藁城区"

    url = f"/admin/risk-areas/{hebei.id}"
    level = await client.post(url, data={"csrf_token": token, "level": "mid", "change": "level"},
                              headers={"HX-Request": "true"})  # fmt: skip
    assert level.status_code == 200
    assert 'data-level="mid"' in level.text
    end = await client.post(url, data={"csrf_token": token, "level": "mid", "end": "today"},
                            headers={"HX-Request": "true"})  # fmt: skip
    assert end.status_code == 200
    assert 'data-state="ended"' in end.text
    same = await client.post(url, data={"csrf_token": token, "level": "mid", "end": "today"},
                             headers={"HX-Request": "true"})  # fmt: skip
    assert same.status_code == 200  # nothing to do: the row as it is
    plain = await client.post(url, data={"csrf_token": token, "level": "mid", "end": "today"})
    assert plain.status_code == 400  # without htmx: the error page says nothing changed
    assert (await client.post("/admin/risk-areas/999999", data={"csrf_token": token,
                              "level": "mid"})).status_code == 404  # fmt: skip
    async with db() as s:
        actions = (await s.execute(select(AuditEntry.action))).scalars().all()
    assert actions.count("risk_area_added") == 2
    assert actions.count("risk_area_changed") == 2
    await worker.sync()
    pulled = worker.rows["risk_areas"][str(hebei.id)]
    assert (pulled["level"], pulled["effective_to"]) == ("mid", today().isoformat())


async def test_campaigns_add_one_per_area_and_close(client: Any, db: Any) -> None:
    w = await make_world(db)
    worker = w.dev(client, "worker")
    await worker.pull_all()
    token, form_id = await admin_form(client, w, "/admin/campaigns")
    village = w.areas["village"]
    add = {"csrf_token": token, "form_id": form_id, "name": "第二轮排查",
           "area_id": str(village.id), "starts_on": today().isoformat(),
           "last_day": ""}  # fmt: skip
    done = await client.post("/admin/campaigns", data=add, follow_redirects=False)
    assert done.status_code == 303, done.text[-2000:]
    refusals = [
        ({}, "starts_on"),  # the village already runs one
        ({"name": " "}, "name"),
        ({"area_id": "x"}, "area_id"),
        ({"area_id": "99999999999"}, "area_id"),
        ({"area_id": "999999"}, "area_id"),
        ({"area_id": str(w.areas["town"].id), "last_day": "2020-01-01"}, "last_day"),
    ]
    for change, field in refusals:
        sent = {**add, **change, "form_id": str(uuid.uuid4())}
        answer = await client.post("/admin/campaigns", data=sent, follow_redirects=False)
        assert answer.status_code == 400, change
        assert f'data-field="{field}"' in answer.text, (change, answer.text[-2000:])
    async with db() as s:
        (campaign,) = (await s.execute(select(Campaign))).scalars().all()
    local_start = campaign.starts_on.astimezone(UTC)
    assert local_start == datetime.combine(today(), datetime.min.time(), UTC) - timedelta(hours=8)
    await worker.sync()
    assert worker.rows["campaigns"][str(campaign.id)]["name"] == "第二轮排查"

    page = await client.get("/admin/campaigns")
    assert f'data-campaign="{campaign.id}" data-state="running"' in page.text
    closed = await client.post(f"/admin/campaigns/{campaign.id}/close",
                               data={"csrf_token": token}, follow_redirects=False)  # fmt: skip
    assert closed.status_code == 303
    again = await client.post(f"/admin/campaigns/{campaign.id}/close", data={"csrf_token": token})
    assert again.status_code == 400
    assert (await client.post("/admin/campaigns/999999/close",
                              data={"csrf_token": token})).status_code == 404  # fmt: skip
    await worker.sync()
    assert worker.rows["campaigns"][str(campaign.id)]["ends_on"] is not None
    # Closed, the village may start the next round.
    sent = {**add, "form_id": str(uuid.uuid4()), "name": "第三轮排查"}
    assert (await client.post("/admin/campaigns", data=sent)).status_code == 200
    async with db() as s:
        actions = (await s.execute(select(AuditEntry.action))).scalars().all()
    assert (actions.count("campaign_added"), actions.count("campaign_closed")) == (2, 1)


async def test_only_admins_reach_the_reference_pages(client: Any, db: Any) -> None:
    w = await make_world(db)
    await sign_in(client, w.users["supervisor"].phone)
    for path in ("/admin/policies", "/admin/risk-areas", "/admin/campaigns"):
        assert (await client.get(path)).status_code == 403


async def test_the_doorplate_sheet_of_a_grid(client: Any, db: Any) -> None:
    w = await make_world(db)
    async with transaction(db) as s:
        made = [await make_household(s, w.areas["grid"], doorplate=f"{n}号", head_name=f"户主{n}")
                for n in range(1, 15)]  # fmt: skip
        await make_household(s, w.areas["grid2"], doorplate="1号")
    await sign_in(client, w.users["supervisor"].phone)
    picker = await client.get("/doorplates")
    assert f'<option value="{w.areas["grid"].id}">' in picker.text
    sheet = await client.get(f"/doorplates?grid={w.areas['grid'].id}")
    assert sheet.status_code == 200
    codes = re.findall(r'data-household="([^"]+)" data-code="([^"]+)"', sheet.text)
    assert sorted(h for h, _c in codes) == sorted(str(h.id) for h in made)
    assert all(code == f"wangge:h:{h}" for h, code in codes)
    assert sheet.text.count('<section class="sheet"') == 2  # 14 households: 12 + 2
    assert sheet.text.index("2号") < sheet.text.index("10号")  # doorplates in number order
    village = await client.get(f"/doorplates?grid={w.areas['village'].id}")
    assert village.status_code == 404
    async with db() as s:
        (entry,) = (
            await s.execute(select(AuditEntry).where(AuditEntry.entity == "doorplates"))
        ).scalars()
    assert (entry.action, entry.area_id, entry.detail) == ("read", w.areas["grid"].id,
                                                           {"households": 14})  # fmt: skip
