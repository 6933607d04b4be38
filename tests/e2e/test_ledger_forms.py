"""Data right when entered (issue 12): the person form refuses what the server would refuse
and says why, a valid ID number fills birth year and sex, a returnee gets the measure the
rules require with its dates and tests, and a measure ends with "release" or "transfer"."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import Page

from tests.e2e import helpers as h
from tests.e2e.conftest import SCREENSHOTS, LiveServer, shot
from tests.e2e.fixtures import hid, mid, pid

pytestmark = pytest.mark.e2e

ERROR = "#form [data-f=error]"


def _new_person(page: Page, household: str, name: str) -> None:
    h.goto_hash(page, f"#/h/{household}/p/new", "#f-name")
    page.fill("#f-name", name)


def _full_shot(page: Page, name: str) -> None:
    """The whole screen in one picture, as tall as its content, the tabs at the bottom."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    height = page.evaluate("document.scrollingElement.scrollHeight")
    page.set_viewport_size({"width": 360, "height": height})
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
    page.set_viewport_size({"width": 360, "height": 740})


def _shift(today: str, days: int) -> str:
    return (date.fromisoformat(today) + timedelta(days=days)).isoformat()


def test_invalid_id_number_refused_with_the_reason(page: Page, server: LiveServer) -> None:
    h.sign_in(page)
    _new_person(page, hid(1), "张测试")
    page.fill("#f-id_number", "110105199001011235")  # the check digit should be 2
    page.wait_for_function("document.querySelector('[data-w=id_number]').textContent !== ''")
    page.click("#form button[type=submit]")
    error = page.locator(ERROR).inner_text()
    assert error == "身份证号：最后一位（校验位）不对", error
    assert page.locator("[data-w=id_number]").inner_text() == error
    assert h.pending(page) == 0  # nothing saved
    shot(page, "21-person-invalid-id")

    page.fill("#f-id_number", "12345")
    page.click("#form button[type=submit]")
    assert page.locator(ERROR).inner_text() == "身份证号：应为 18 位"

    # A valid number fills birth year and sex; a bad phone is refused next.
    page.fill("#f-id_number", "110105199001011232")
    assert page.input_value("#f-birth_year") == "1990"
    assert page.input_value("#f-sex") == "male"
    page.fill("#f-phone", "123")
    page.click("#form button[type=submit]")
    assert page.locator(ERROR).inner_text().startswith("电话")
    page.fill("#f-phone", "13912345678")
    page.click("#form button[type=submit]")
    page.wait_for_selector("#members")
    h.sync_until_clean(page)
    assert page.evaluate("wangge.model.rejected.length") == 0
    assert server.query("SELECT birth_year, sex FROM persons WHERE name = '张测试'") == [
        (1990, "male")
    ]


def test_future_arrival_refused(page: Page, server: LiveServer, today: str) -> None:
    h.sign_in(page)
    _new_person(page, hid(1), "李未来")
    page.select_option("#f-category", "returnee_low")
    page.fill("#f-arrival_date", _shift(today, 2))
    page.click("#form button[type=submit]")
    assert page.locator(ERROR).inner_text() == "返乡日期：不能晚于今天"
    assert h.pending(page) == 0


def test_high_risk_returnee_gets_the_required_measure(
    page: Page, server: LiveServer, today: str
) -> None:
    h.sign_in(page)
    _new_person(page, hid(1), "王归来")
    page.select_option("#f-category", "returnee_low")
    # The origin, picked from the synced risk areas, suggests the category.
    assert page.evaluate(
        "[...document.querySelectorAll('#origin-provinces option')].map((o) => o.value)"
    ) == ["湖北省"]
    page.fill("#f-origin_province", "湖北省")
    page.fill("#f-origin_city", "武汉市")
    page.fill("#f-origin_district", "江汉区")
    suggested = page.locator("[data-w=risk]").inner_text()
    assert suggested == "按中高风险地区名单应为：返乡人员（中高风险地区）"
    page.select_option("#f-category", "returnee_mid_high")
    assert page.locator("[data-w=risk]").inner_text() == ""
    # The rules put the measure in the form.
    assert page.input_value("#f-measure") == "central_quarantine"
    page.fill("#f-arrival_date", today)
    page.fill("#f-transport", "火车")
    page.fill("#f-itinerary", "武汉—郑州—本村")
    page.select_option("#f-health_code", "yellow")
    page.select_option("#f-contact_of", pid(1, 1))
    page.fill("#f-quarantine_place", "县隔离酒店")
    page.evaluate("window.scrollTo(0, 0)")
    _full_shot(page, "22-returnee-form")

    # Another measure needs a reason.
    page.select_option("#f-measure", "home_quarantine")
    page.click("#form button[type=submit]")
    assert "须填写理由" in page.locator(ERROR).inner_text()
    page.select_option("#f-measure", "central_quarantine")
    page.click("#form button[type=submit]")
    page.wait_for_selector("#members")

    person = page.evaluate("wangge.model.list('persons').find((p) => p.name === '王归来')")
    assert person["measure"] == "central_quarantine"
    measure = page.evaluate("(id) => wangge.model.measures(id)[0]", person["id"])
    assert (measure["kind"], measure["status"], measure["start_date"], measure["end_date"]) == (
        "central_quarantine",
        "active",
        today,
        _shift(today, 14),
    )
    tests = page.evaluate(
        "(id) => wangge.model.list('tests').filter((t) => t.person_id === id)"
        ".map((t) => t.due_date).sort()",
        person["id"],
    )
    assert tests == [today, _shift(today, 13)]

    h.sync_until_clean(page)
    assert page.evaluate("wangge.model.rejected") == []
    rows = server.query(
        "SELECT kind, status, start_date, end_date FROM measures WHERE person_id = ?",
        (person["id"].replace("-", ""),),
    )
    assert rows == [("central_quarantine", "active", today, _shift(today, 14))]
    assert server.query(
        "SELECT count(*) FROM tests WHERE person_id = ?", (person["id"].replace("-", ""),)
    ) == [(2,)]

    # Follow-up: day 1 of 14, the tests due; then release.
    h.goto_hash(page, f"#/p/{person['id']}/follow", "#follow-tests li")
    assert "第 1 天（共 14 天）" in page.locator("[data-f=day]").inner_text()
    assert page.locator("#follow-tests li").count() == 2
    h.goto_hash(page, f"#/p/{person['id']}", "#f-name")
    page.once("dialog", lambda d: d.accept())
    page.click("[data-act=release]")
    page.wait_for_selector("#follow-tests")
    assert h.view(page, "persons", person["id"])["measure"] == "none"  # type: ignore[index]
    ended = page.evaluate("(id) => wangge.model.measures(id)[0]", person["id"])
    assert (ended["status"], ended["end_date"]) == ("released", today)
    h.sync_until_clean(page)
    assert page.evaluate("wangge.model.rejected") == []


def test_follow_up_screen_and_transfer(page: Page, server: LiveServer, today: str) -> None:
    h.sign_in(page)
    # Household 5's returnee: home quarantine since three days ago; one check with a fever.
    h.record_check(page, mid(5, 3), "morning", "37.6")
    h.goto_hash(page, f"#/p/{pid(5, 3)}/follow", "#follow-checks li")
    assert "第 4 天（共 14 天）" in page.locator("[data-f=day]").inner_text()
    fever = page.locator("#follow-checks li.fever")
    assert fever.count() == 1
    assert "37.6" in fever.inner_text()
    assert (
        page.evaluate("getComputedStyle(document.querySelector('#follow-checks li.fever')).color")
        == "rgb(185, 28, 28)"
    )
    assert page.locator("#follow-missed li.late").count() >= 1
    page.evaluate("document.getElementById('toast').hidden = true")
    _full_shot(page, "23-follow-up")

    h.goto_hash(page, f"#/p/{pid(5, 3)}", "#f-name")
    assert page.locator("[data-act=hospital]").is_visible()
    page.once("dialog", lambda d: d.accept())
    page.click("[data-act=hospital]")
    page.wait_for_selector("#follow-tests")
    assert h.view(page, "persons", pid(5, 3))["measure"] == "hospital"  # type: ignore[index]
    h.sync_until_clean(page)
    assert page.evaluate("wangge.model.rejected") == []
    assert server.query(
        "SELECT status, end_date FROM measures WHERE person_id = ? AND kind = 'home_quarantine'",
        (pid(5, 3).replace("-", ""),),
    ) == [("transferred", today)]


def test_zero_report_refused_over_a_report_with_findings(page: Page, server: LiveServer) -> None:
    h.sign_in(page)
    h.goto_hash(page, "#/report", "#f-under_measure")
    page.fill("#f-new_returnees", "1")
    page.fill("#f-fever_found", "1")
    page.click("#form button[type=submit]")
    page.wait_for_function("document.querySelector('[data-f=status]').dataset.state === 'reported'")
    assert page.is_disabled("#zero-report")
    why = page.locator("[data-f=zero_why]").inner_text()
    assert "零报告不能覆盖" in why, why
    # The screen never says "zero report" beside the counts it shows.
    assert "零报告" not in page.locator("[data-f=status]").inner_text()
    assert page.input_value("#f-fever_found") == "1"
    page.evaluate("document.getElementById('toast').hidden = true")
    shot(page, "24-report-zero-refused")

    # Forcing the click (a stale screen) still files nothing.
    # enabled and clicked in one step: a sync in between would re-render it disabled
    page.evaluate(
        "(() => { const b = document.getElementById('zero-report');"
        " b.disabled = false; b.click(); })()"
    )
    page.wait_for_function(
        "document.querySelector('#form [data-f=error]').textContent.includes('零报告不能覆盖')"
    )
    assert page.evaluate("wangge.model.list('daily_reports').map((r) => r.is_zero)") == [False]

    # Correcting the report is possible: the new counts replace the old ones.
    assert page.locator("#form button[type=submit]").inner_text() == "修改日报"
    page.fill("#f-fever_found", "2")
    page.click("#form button[type=submit]")
    page.wait_for_function("document.querySelector('#f-fever_found').value === '2'")
    h.sync_until_clean(page)
    assert page.evaluate("wangge.model.rejected") == []
    assert server.query("SELECT is_zero, fever_found, new_returnees FROM daily_reports") == [
        (0, 2, 1)
    ]
