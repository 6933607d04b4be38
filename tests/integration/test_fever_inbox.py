"""The township's fever inbox: a report from a phone whose clock is wrong lands with the
corrected "seen at" and shows both times; the township's actions are fever events the
sentinel's phone pulls; two staff acknowledging at once make one acknowledgement; a
grid worker's fever check becomes a lead; alerts are raised and acknowledged."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from server.accounts.guard import principal_for
from server.alerts import live
from server.alerts.models import Alert
from server.audit.models import AuditEntry
from server.config import DEFAULT_TIMEZONE, Settings
from server.db import utcnow
from server.fever.inbox import inbox_rows, limits_of
from server.fever.models import FeverEvent, FeverReport
from server.sync.models import Conflict
from server.timeutil import format_local
from tests.factories import csrf_from, make_user, sign_in
from tests.integration.sync_helpers import World, iso, make_world

HOUR_MS = 3_600_000


def local(moment: datetime) -> str:
    return format_local(moment, DEFAULT_TIMEZONE)


async def file_report(w: World, client: Any, *, clock_offset_ms: int = 0, **data: Any) -> str:
    """A sentinel's phone (its clock off by ``clock_offset_ms``) files and syncs a report."""

    def clock() -> int:
        return int(utcnow().timestamp() * 1000) + clock_offset_ms

    sentinel = w.dev(client, "sentinel", clock=clock)
    values = {"facility_id": w.facility.id, "patient_name": "赵六", "patient_phone": "13912345678"}
    values.update(data)
    report = sentinel.put("fever_reports", **values)
    await sentinel.sync([report])
    return str(report["rid"])


async def test_a_report_from_a_phone_three_hours_behind_shows_both_times(
    db: Any, client: Any
) -> None:
    w = await make_world(db)
    true_now = utcnow()
    # written offline 90 minutes ago (true time) on a phone 3 hours behind, synced now
    written = true_now - timedelta(minutes=90)
    phone_said = written - timedelta(hours=3)
    rid = await file_report(w, client, clock_offset_ms=-3 * HOUR_MS, seen_at_device=iso(phone_said))
    async with db() as s:
        report = await s.get(FeverReport, uuid.UUID(rid))
    assert report is not None
    assert abs(report.seen_at - written) < timedelta(seconds=5)
    assert report.seen_at_device == phone_said.replace(microsecond=phone_said.microsecond)
    assert report.state == "reported"  # 30 minutes of the two-hour clock remain
    await sign_in(client, w.users["township"].phone)
    page = (await client.get("/inbox")).text
    assert f'data-report-id="{rid}"' in page
    assert local(report.seen_at) in page  # corrected
    assert local(phone_said) in page  # what the phone said
    assert 'data-clock="left"' in page
    assert 'href="tel:13912345678"' in page
    # the action works without JavaScript too: its own form carries the page's token
    form = page.split(f'action="/inbox/{rid}/acknowledge"', 1)[1].split("</form>", 1)[0]
    assert f'value="{csrf_from(page)}"' in form
    async with db() as s:
        reads = (
            await s.execute(select(AuditEntry).where(AuditEntry.entity == "fever_reports"))
        ).scalars()
        assert any(rid in (e.detail or {}).get("reports", []) for e in reads)


async def test_a_report_seen_300_days_ahead_is_clamped_and_the_claim_kept(
    db: Any, client: Any
) -> None:
    w = await make_world(db)
    claimed = utcnow() + timedelta(days=300)
    rid = await file_report(w, client, seen_at_device=iso(claimed))
    async with db() as s:
        report = await s.get(FeverReport, uuid.UUID(rid))
    assert report is not None
    assert report.seen_at <= utcnow() + timedelta(milliseconds=Settings().max_clock_lead_ms)
    assert abs(report.seen_at_device - claimed) < timedelta(milliseconds=1)


async def _act(client: Any, rid: str, action: str, **form: str) -> Any:
    page = (await client.get("/inbox")).text
    return await client.post(
        f"/inbox/{rid}/{action}",
        data={"csrf_token": csrf_from(page), **form},
        follow_redirects=False,
    )


async def test_the_township_works_a_report_and_the_sentinel_pulls_each_step(
    db: Any, client: Any
) -> None:
    w = await make_world(db)
    rid = await file_report(w, client, seen_at_device=iso(utcnow()))
    sentinel = w.dev(client, "sentinel")
    await sentinel.pull_all()
    await sign_in(client, w.users["township"].phone)
    steps = [
        ("acknowledge", {}, "acknowledged"),
        ("sample", {"sampler": "李护士"}, "sampled"),
        ("dispatch", {}, "sent"),
        ("result", {"result": "positive"}, "resulted"),
    ]
    for action, form, state in steps:
        answer = await _act(client, rid, action, **form)
        assert answer.status_code == 303, answer.text
        await sentinel.sync()
        assert sentinel.rows["fever_reports"][rid]["state"] == state
    events = [e for e in sentinel.rows["fever_events"].values() if e["report_id"] == rid]
    assert {e["kind"] for e in events} == {"acknowledged", "sampled", "sent", "resulted"}
    assert any(e["sampler"] == "李护士" for e in events)
    async with db() as s:
        authors = (await s.execute(select(FeverEvent.created_by))).scalars().all()
        alerts = (await s.execute(select(Alert))).scalars().all()
    assert set(authors) == {w.users["township"].id}
    assert [(a.kind, str(a.report_id)) for a in alerts] == [("positive_result", rid)]
    detail = await client.get(f"/inbox/{rid}")
    assert detail.status_code == 200
    assert "李护士" in detail.text


async def test_bad_actions_answer_4xx(db: Any, client: Any) -> None:
    w = await make_world(db)
    rid = await file_report(w, client, seen_at_device=iso(utcnow()))
    await sign_in(client, w.users["township"].phone)
    assert (await _act(client, rid, "explode")).status_code == 400
    assert (await _act(client, rid, "sample")).status_code == 400  # no sampler
    assert (await _act(client, rid, "result", result="maybe")).status_code == 400
    assert (await _act(client, str(uuid.uuid4()), "acknowledge")).status_code == 404
    forged = await client.post(f"/inbox/{rid}/acknowledge", data={}, follow_redirects=False)
    assert forged.status_code == 403
    assert (await client.get(f"/inbox/{uuid.uuid4()}")).status_code == 404


async def test_supervisors_read_the_inbox_without_actions_and_others_may_not(
    db: Any, app: Any
) -> None:
    w = await make_world(db)
    async with AsyncTestClient(app=app) as client:
        rid = await file_report(w, client, seen_at_device=iso(utcnow()))
        await sign_in(client, w.users["supervisor"].phone)
        page = (await client.get("/inbox")).text
        assert f'data-report-id="{rid}"' in page
        assert "data-action=" not in page
        assert "tel:" not in page  # masked for readers who do not call
        assert (await _act(client, rid, "acknowledge")).status_code == 403
    async with AsyncTestClient(app=app) as client:
        await sign_in(client, w.users["worker"].phone)
        assert (await client.get("/inbox")).status_code == 403


async def test_two_staff_acknowledging_at_once_make_one_acknowledgement(db: Any, app: Any) -> None:
    w = await make_world(db)
    async with db() as s:
        second = await make_user(s, "township_health", w.areas["town"])
        await s.commit()
    # plain ASGI clients on the test's loop: both requests really run at once
    transport = httpx.ASGITransport(app=app)
    base = "http://testserver.local"
    async with (
        httpx.AsyncClient(transport=transport, base_url=base) as a,
        httpx.AsyncClient(transport=transport, base_url=base) as b,
    ):
        rid = await file_report(w, a, seen_at_device=iso(utcnow()))
        await sign_in(a, w.users["township"].phone)
        await sign_in(b, second.phone)
        tokens = [csrf_from((await c.get("/inbox")).text) for c in (a, b)]
        answers = await asyncio.gather(
            *(
                c.post(
                    f"/inbox/{rid}/acknowledge",
                    data={"csrf_token": t},
                    follow_redirects=False,
                )
                for c, t in zip((a, b), tokens, strict=True)
            )
        )
    await app.state["sessionmaker"].kw["bind"].dispose()
    assert [r.status_code for r in answers] == [303, 303]
    async with db() as s:
        n = await s.scalar(
            select(func.count())
            .select_from(FeverEvent)
            .where(FeverEvent.report_id == uuid.UUID(rid), FeverEvent.kind == "acknowledged")
        )
    assert n == 1


async def test_a_fever_check_becomes_a_lead_in_the_inbox_and_at_the_clinic(
    db: Any, client: Any
) -> None:
    w = await make_world(db)
    worker = w.dev(client, "worker")
    household = worker.put(
        "households", area_id=w.areas["grid"].id, head_name="王五", address="一组 3 号"
    )
    person = worker.put(
        "persons", household_id=household["rid"], name="王小五", phone="13700001111"
    )
    today = datetime.now(UTC).date().isoformat()
    measure = worker.put(
        "measures", person_id=person["rid"], kind="home_quarantine", start_date=today
    )
    check = worker.put(
        "checks",
        measure_id=measure["rid"],
        person_id=person["rid"],
        check_date=today,
        slot="morning",
        temperature=37.5,
        checked_at=iso(utcnow()),
    )
    answer = await worker.sync([household, person, measure, check])
    assert all(r["status"] == "applied" for r in answer["results"]), answer["results"]
    sentinel = w.dev(client, "sentinel")
    await sentinel.pull_all()
    leads = [r for r in sentinel.rows.get("fever_reports", {}).values() if r["source"] == "check"]
    assert len(leads) == 1
    lead = leads[0]
    assert (lead["person_id"], lead["patient_name"], lead["temperature"]) == (
        person["rid"],
        "王小五",
        37.5,
    )
    assert lead["facility_id"] == w.facility.id
    async with db() as s:
        user = w.users["township"]
        rows = await inbox_rows(s, await principal_for(s, user), utcnow(), limits_of(Settings()))
    assert [str(r.id) for r in rows] == [lead["id"]]
    # a second fever reading while the lead is open makes no second lead
    again = worker.put(
        "checks",
        measure_id=measure["rid"],
        person_id=person["rid"],
        check_date=today,
        slot="evening",
        temperature=38.0,
        checked_at=iso(utcnow()),
    )
    await worker.sync([again])
    async with db() as s:
        assert await s.scalar(select(func.count()).select_from(FeverReport)) == 1
    # the lead is on the person's page, with its state and a link to it
    await sign_in(client, w.users["supervisor"].phone)
    page = await client.get(f"/persons/{person['rid']}")
    assert page.status_code == 200, page.text
    section = page.text.split('id="fever"', 1)[1]
    assert f'data-fever="{lead["id"]}"' in section
    assert f'href="/inbox/{lead["id"]}"' in section
    assert 'data-state="reported"' in section
    assert "37.5 °C" in section
    # and the lead's own page leads back to the person
    report = await client.get(f"/inbox/{lead['id']}")
    assert f'href="/persons/{person["rid"]}"' in report.text


async def test_a_returnee_from_abroad_raises_an_alert_acknowledged_once(
    db: Any, client: Any
) -> None:
    w = await make_world(db)
    worker = w.dev(client, "worker")
    household = worker.put("households", area_id=w.areas["grid"].id, head_name="钱七")
    person = worker.put(
        "persons",
        household_id=household["rid"],
        name="钱小七",
        category="returnee_abroad",
        measure="central_quarantine",
    )
    await worker.sync([household, person])
    await sign_in(client, w.users["township"].phone)
    page = (await client.get("/alerts")).text
    assert "钱小七" in page
    assert 'data-action="acknowledge"' in page
    async with db() as s:
        alert = (await s.execute(select(Alert))).scalar_one()
    token = csrf_from(page)
    for _twice in range(2):
        done = await client.post(
            f"/alerts/{alert.id}/acknowledge", data={"csrf_token": token}, follow_redirects=False
        )
        assert done.status_code == 303
    async with db() as s:
        alert = (await s.execute(select(Alert))).scalar_one()
        acks = await s.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "alert_acknowledged")
        )
    assert alert.acknowledged_by == w.users["township"].id
    assert acks == 1


async def test_a_sync_is_announced_on_the_live_channel_after_commit(
    db: Any, client: Any, settings: Settings
) -> None:
    """In-process on SQLite; through LISTEN on a connection of its own on PostgreSQL, as
    another server process would hear it."""
    w = await make_world(db)
    hearing = live.Broadcast()
    listener = None
    if live.asyncpg_dsn(settings.database_url):
        ready = asyncio.Event()
        listener = asyncio.create_task(live.listen(settings.database_url, hearing, ready))
        await asyncio.wait_for(ready.wait(), 10)
    else:
        hearing = live.BROADCAST
    try:
        with hearing.subscribe() as queue:
            while not queue.empty():
                queue.get_nowait()
            await file_report(w, client, seen_at_device=iso(utcnow()))
            path = await asyncio.wait_for(queue.get(), 10)
            while path == "/":
                path = await asyncio.wait_for(queue.get(), 10)
        assert path == w.areas["village"].path
    finally:
        await live.stop_listener(listener)


async def test_overdue_reports_stand_on_the_supervisors_home_as_links(db: Any, client: Any) -> None:
    w = await make_world(db)
    late = await file_report(w, client, seen_at_device=iso(utcnow() - timedelta(hours=3)))
    fresh = await file_report(w, client, seen_at_device=iso(utcnow()))
    await sign_in(client, w.users["supervisor"].phone)
    home = (await client.get("/")).text
    listed = home.split('data-list="overdue-fever"', 1)[1]
    assert f'href="/inbox/{late}"' in listed
    assert fresh not in listed
    detail = await client.get(f"/inbox/{late}")
    assert detail.status_code == 200
    assert "13912345678" in detail.text  # the report's own page: whole, and audited
    async with db() as s:
        entry = (
            await s.execute(select(AuditEntry).where(AuditEntry.entity_id == late))
        ).scalar_one()
    assert entry.user_id == w.users["supervisor"].id


async def test_a_second_different_result_is_shown_beside_the_first_until_decided(
    db: Any, client: Any
) -> None:
    """Two staff record different results (one page was stale): the inbox row and the
    report's page show both, each with its author and time; the second is marked held for
    a supervisor, and once decided, the one not kept says so."""
    w = await make_world(db)
    async with db() as s:
        second = await make_user(s, "township_health", w.areas["town"], name="孙护士")
        await s.commit()
    rid = await file_report(w, client, seen_at_device=iso(utcnow()))
    await sign_in(client, w.users["township"].phone)
    for action, form in (("acknowledge", {}), ("sample", {"sampler": "李护士"}), ("dispatch", {})):
        assert (await _act(client, rid, action, **form)).status_code == 303
    assert (await _act(client, rid, "result", result="negative")).status_code == 303
    client.cookies.clear()  # the second nurse, whose page still offered the result form
    await sign_in(client, second.phone)
    assert (await _act(client, rid, "result", result="positive")).status_code == 303
    client.cookies.clear()
    await sign_in(client, w.users["township"].phone)
    async with db() as s:
        report = await s.get(FeverReport, uuid.UUID(rid))
        assert report is not None
        assert report.result == "negative"  # the first stands until a supervisor decides
    for url in ("/inbox", f"/inbox/{rid}"):
        page = (await client.get(url)).text
        part = page.split(f'data-report-id="{rid}"', 1)[1]
        results = part.split('<ul class="results"', 1)[1].split("</ul>", 1)[0]
        assert 'data-results="2"' in results
        first, held = results.split('data-result="positive"', 1)
        assert 'data-result="negative"' in first
        assert w.users["township"].name in first
        assert "孙护士" in held
        assert 'data-held="1"' in held
    async with db() as s:
        conflict = (await s.execute(select(Conflict).where(Conflict.record_id == rid))).scalar_one()
    client.cookies.clear()
    await sign_in(client, w.users["supervisor"].phone)
    queue = await client.get("/conflicts")
    assert queue.status_code == 200
    decided = await client.post(
        f"/conflicts/{conflict.id}/decide",
        data={"action": "reject", "csrf_token": csrf_from(queue.text)},
        follow_redirects=False,
    )
    assert decided.status_code == 303, decided.text
    page = (await client.get(f"/inbox/{rid}")).text
    results = page.split('<ul class="results"', 1)[1].split("</ul>", 1)[0]
    assert 'data-results="2"' in results
    assert 'data-held="0"' in results.split('data-result="positive"', 1)[1]


async def test_alerts_stand_on_the_town_homes_live_and_are_acknowledged_there(
    db: Any, client: Any
) -> None:
    """The township's and the town supervisor's home pages carry a live box of open alerts
    (it refreshes on the inbox's stream); acknowledging in the box records who and when,
    which /alerts then shows."""
    w = await make_world(db)
    worker = w.dev(client, "worker")
    household = worker.put("households", area_id=w.areas["grid"].id, head_name="孙八")
    person = worker.put(
        "persons",
        household_id=household["rid"],
        name="孙小八",
        category="returnee_mid_high",
        measure="central_quarantine",
    )
    await worker.sync([household, person])
    async with db() as s:
        alert = (await s.execute(select(Alert))).scalar_one()
    for who in ("supervisor", "township"):
        client.cookies.clear()
        await sign_in(client, w.users[who].phone)
        home = (await client.get("/")).text
        box = home.split('id="home-alerts"', 1)[1].split("</section>", 1)[0]
        assert 'data-live="/inbox/events"' in box
        assert 'hx-get="/alerts?box=1"' in box
        assert f'data-alert-id="{alert.id}"' in box
        assert "孙小八" in box
        assert "/static/js/live.js" in home
    # the live refresh answers the box alone
    fragment = await client.get("/alerts?box=1", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith("<section")
    assert f'data-alert-id="{alert.id}"' in fragment.text
    done = await client.post(
        f"/alerts/{alert.id}/acknowledge",
        data={"csrf_token": csrf_from(home), "next": "/"},
        headers={"HX-Request": "true"},
    )
    assert done.status_code == 200
    assert 'id="home-alerts"' in done.text
    assert f'data-alert-id="{alert.id}"' not in done.text  # no longer open
    page = (await client.get("/alerts")).text
    row = page.split(f'data-alert-id="{alert.id}"', 1)[1].split("</tr>", 1)[0]
    assert 'data-state="acknowledged"' in row
    assert w.users["township"].name in row
    # homes of roles the alerts are not for carry no box
    client.cookies.clear()
    await sign_in(client, w.users["worker"].phone)
    assert 'id="home-alerts"' not in (await client.get("/")).text
