"""Reminders: a supervisor sends one from the missing-report or missed-check list (one per
grid, subject and day), the grid's worker pulls it and acknowledges it on the phone (only
``read_at`` / ``read_by``; the first acknowledgement is kept), and the supervisor's pages
show when it was read. Out-of-area and malformed sends answer 4xx and write nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from server.audit.models import AuditEntry
from server.config import DEFAULT_TIMEZONE
from server.db import transaction, utcnow
from server.reminders.models import Reminder
from server.timeutil import format_local, local_today
from tests.factories import (
    csrf_from,
    make_area,
    make_check,
    make_daily_report,
    make_household,
    make_measure,
    make_person,
    sign_in,
)
from tests.integration.sync_helpers import World, iso, make_world

HTMX = {"HX-Request": "true"}


def today() -> Any:
    return local_today(utcnow(), DEFAULT_TIMEZONE)


async def send(client: Any, csrf: str, htmx: bool = True, **form: Any) -> Any:
    data = {"csrf_token": csrf, "day": today().isoformat(), **form}
    return await client.post(
        "/reminders", data=data, headers=HTMX if htmx else {}, follow_redirects=False
    )


async def reminders(db: Any) -> list[Reminder]:
    async with db() as s:
        return list((await s.execute(select(Reminder).order_by(Reminder.sent_at))).scalars())


async def supervisor_on_reports(w: World, client: Any) -> str:
    await sign_in(client, w.users["supervisor"].phone)
    page = await client.get(f"/lists/reports?area={w.areas['town'].id}&status=missing")
    assert page.status_code == 200, page.text
    grid = w.areas["grid"].id
    assert f'name="grid" value="{grid}"' in page.text  # the row's "Remind" form
    return csrf_from(page.text)


async def test_a_reminder_reaches_the_grids_worker_and_the_supervisor_sees_it_read(
    db: Any, client: Any
) -> None:
    w = await make_world(db)
    csrf = await supervisor_on_reports(w, client)
    grid = w.areas["grid"]
    answer = await send(client, csrf, kind="missing_daily_report", grid=grid.id)
    assert answer.status_code == 200, answer.text
    assert 'data-remind-state="sent"' in answer.text
    assert "已提醒" in answer.text
    # pressed again (or by a second supervisor): the same reminder, not a second one
    again = await send(client, csrf, kind="missing_daily_report", grid=grid.id)
    assert again.status_code == 200
    assert 'data-remind-state="sent"' in again.text
    (sent,) = await reminders(db)
    assert sent.area_id == grid.id
    assert sent.kind == "missing_daily_report"
    assert sent.subject_date == today()
    assert sent.sender_id == w.users["supervisor"].id
    assert today().isoformat() in sent.message
    assert sent.read_at is None
    async with db() as s:
        audit = await s.scalar(
            select(func.count()).where(
                AuditEntry.action == "reminder_sent", AuditEntry.entity_id == str(sent.id)
            )
        )
    assert audit == 1

    # the grid's worker pulls it; the neighbouring grid's worker does not
    worker, neighbour = w.dev(client, "worker"), w.dev(client, "worker2")
    await worker.pull_all()
    await neighbour.pull_all()
    rid = str(sent.id)
    assert worker.rows["reminders"][rid]["message"] == sent.message
    assert rid not in neighbour.rows.get("reminders", {})
    listed = (await client.get(f"/lists/reports?area={w.areas['town'].id}")).text
    assert 'data-remind-state="sent"' in listed

    # "Got it" on the phone: only the acknowledgement is written
    rev = worker.rows["reminders"][rid]["rev"]
    read_at = utcnow()
    ack = worker.put("reminders", rid, base=rev, read_at=iso(read_at), read_by=worker.user.id)
    (result,) = (await worker.sync([ack]))["results"]
    assert result["status"] == "applied", result
    (stored,) = await reminders(db)
    assert stored.read_by == worker.user.id
    assert stored.read_at is not None
    assert abs(stored.read_at - read_at) < timedelta(seconds=2)
    hhmm = format_local(stored.read_at, DEFAULT_TIMEZONE)[-5:]
    listed = (await client.get(f"/lists/reports?area={w.areas['town'].id}")).text
    assert 'data-remind-state="read"' in listed
    assert f"已读 {hhmm}" in listed
    page = (await client.get(f"/reminders?area={w.areas['town'].id}&state=read")).text
    assert f'data-reminder="{rid}" data-state="read"' in page
    unread = (await client.get(f"/reminders?area={w.areas['town'].id}&state=unread")).text
    assert rid not in unread
    fragment = await client.get(f"/reminders?area={w.areas['town'].id}", headers=HTMX)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert rid in fragment.text


async def test_phones_change_only_the_acknowledgement_and_the_first_read_stays(
    db: Any, client: Any
) -> None:
    w = await make_world(db)
    csrf = await supervisor_on_reports(w, client)
    await send(client, csrf, kind="missing_daily_report", grid=w.areas["grid"].id)
    (sent,) = await reminders(db)
    rid = str(sent.id)
    worker, colleague, neighbour = (w.dev(client, k) for k in ("worker", "worker_b", "worker2"))
    await worker.pull_all()
    rev = worker.rows["reminders"][rid]["rev"]

    async def outcome(dev: Any, mutation: dict[str, Any]) -> str:
        (result,) = (await dev.sync([mutation]))["results"]
        return str(result["status"] if result["status"] != "rejected" else result["code"])

    assert await outcome(worker, worker.put("reminders", rid, base=rev, message="改了")) == (
        "immutable"
    )
    assert await outcome(worker, worker.put("reminders", rid, sent_at=iso(utcnow()))) == (
        "read_only"
    )
    fake = worker.put("reminders", area_id=w.areas["grid"].id, kind="other", message="自己发的提醒")
    assert await outcome(worker, fake) == "forbidden"
    as_other = worker.put("reminders", rid, read_at=iso(utcnow()), read_by=colleague.user.id)
    assert await outcome(worker, as_other) == "forbidden"
    half = worker.put("reminders", rid, read_at=iso(utcnow()))
    assert await outcome(worker, half) == "invalid"
    theirs = neighbour.put("reminders", rid, read_at=iso(utcnow()), read_by=neighbour.user.id)
    assert await outcome(neighbour, theirs) in {"out_of_scope", "not_found"}
    assert await outcome(worker, worker.delete("reminders", rid, base=rev)) == "undeletable"

    nothing = worker.put("reminders", rid, base=rev, read_at=None, read_by=None)
    assert await outcome(worker, nothing) == "applied"  # still unread: nothing to keep
    ack = worker.put("reminders", rid, read_at=iso(utcnow()), read_by=worker.user.id)
    assert await outcome(worker, ack) in {"applied", "merged"}
    (first,) = await reminders(db)
    assert first.read_at is not None
    later = colleague.put("reminders", rid, read_at=iso(utcnow()), read_by=colleague.user.id)
    # the colleague's phone had not seen the first acknowledgement: merged, and it loses
    assert await outcome(colleague, later) in {"applied", "merged"}
    (stored,) = await reminders(db)
    assert (stored.read_at, stored.read_by) == (first.read_at, worker.user.id)
    await colleague.pull_all()
    assert colleague.rows["reminders"][rid]["read_by"] == worker.user.id
    unread = colleague.put("reminders", rid, read_at=None, read_by=None)
    assert await outcome(colleague, unread) == "invalid"


async def test_missed_check_reminders_name_the_person_and_slot(db: Any, client: Any) -> None:
    w = await make_world(db)
    async with transaction(db) as s:
        household = await make_household(s, w.areas["grid"])
        person = await make_person(s, household, name="陈桂兰")
        measure = await make_measure(s, person, start_date=today() - timedelta(days=2))
        await make_check(s, measure, today(), "morning")
    await sign_in(client, w.users["supervisor"].phone)
    page = await client.get(f"/lists/checks?area={w.areas['town'].id}")
    assert page.status_code == 200
    assert f'name="person" value="{person.id}"' in page.text
    csrf = csrf_from(page.text)
    done = await send(client, csrf, kind="missed_check", person=person.id, slot="morning")
    assert done.status_code == 409
    assert "已经记录" in done.text
    answer = await send(client, csrf, kind="missed_check", person=person.id, slot="evening")
    assert answer.status_code == 200
    assert 'data-remind-state="sent"' in answer.text
    (sent,) = await reminders(db)
    assert (sent.person_id, sent.slot, sent.area_id) == (person.id, "evening", w.areas["grid"].id)
    assert "陈桂兰" in sent.message
    assert "下午" in sent.message
    assert (
        'data-remind-state="sent"'
        in (await client.get(f"/lists/checks?area={w.areas['town'].id}")).text
    )
    bad_slot = await send(client, csrf, kind="missed_check", person=person.id, slot="noon")
    assert bad_slot.status_code == 400
    nobody = await send(client, csrf, kind="missed_check", person=uuid.uuid4(), slot="evening")
    assert nobody.status_code == 404
    assert len(await reminders(db)) == 1


async def test_bad_and_out_of_area_sends_answer_4xx_and_write_nothing(db: Any, client: Any) -> None:
    w = await make_world(db)
    async with transaction(db) as s:
        other_town = await make_area(s, "town", "城关镇", w.areas["county"])
        other_village = await make_area(s, "village", "龙头村", other_town)
        far_grid = await make_area(s, "grid", "三组网格", other_village)
        await make_daily_report(s, w.areas["grid2"], today(), is_zero=True)
    csrf = await supervisor_on_reports(w, client)
    cases = [
        ({"kind": "missing_daily_report", "grid": far_grid.id}, 404),
        ({"kind": "missing_daily_report", "grid": w.areas["village"].id}, 404),
        ({"kind": "missing_daily_report", "grid": "abc"}, 400),
        ({"kind": "missing_daily_report", "grid": w.areas["grid2"].id}, 409),  # reported
        ({"kind": "other", "grid": w.areas["grid"].id}, 400),
        ({"kind": "missing_daily_report", "grid": w.areas["grid"].id, "day": "2020-01-01"}, 400),
        ({"kind": "missing_daily_report", "grid": w.areas["grid"].id, "day": "soon"}, 400),
    ]
    for form, status in cases:
        for htmx in (True, False):
            answer = await send(client, csrf, htmx=htmx, **form)
            assert answer.status_code == status, (form, htmx, answer.text[:300])
            if htmx:  # the cell answers in place, with the reason
                assert 'role="alert"' in answer.text
                assert "<html" not in answer.text
    no_token = await client.post(
        "/reminders",
        data={"kind": "missing_daily_report", "grid": str(w.areas["grid"].id)},
        follow_redirects=False,
    )
    assert no_token.status_code == 403
    assert await reminders(db) == []
    # without JavaScript the form posts and comes back to the list
    back = f"/lists/reports?area={w.areas['town'].id}"
    plain = await send(
        client, csrf, htmx=False, kind="missing_daily_report", grid=w.areas["grid"].id, next=back
    )
    assert plain.status_code == 303
    assert plain.headers["location"] == back
    assert len(await reminders(db)) == 1
    assert (await client.get("/reminders?state=maybe")).status_code == 400
    assert (await client.get(f"/reminders?area={far_grid.id}")).status_code == 404
