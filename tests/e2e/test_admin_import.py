"""The import in a browser, at phone width and on a desktop: a file with errors is listed
by row and column and cannot be confirmed; a clean file is previewed, confirmed, and its
progress followed until done."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import ROOT, LiveServer, shot
from tests.e2e.fixtures import PASSWORD, WORKER_A
from tests.integration.test_imports import people, xlsx

pytestmark = pytest.mark.e2e
ADMIN = "13800000055"


def make_admin(server: LiveServer) -> None:
    env = {**os.environ, "WANGGE_DATABASE_URL": server.database_url,
           "WANGGE_NEW_PASSWORD": PASSWORD}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "server", "create-user", "--phone", ADMIN, "--name", "管理员",
         "--role", "admin", "--area", "E2E-X"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def sign_in_admin(page: Page) -> None:
    page.goto("/login?next=/admin/import")
    page.fill("#phone", ADMIN)
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url("**/admin/import")


def upload(page: Page, path: Path) -> None:
    page.goto("/admin/import")
    page.set_input_files("#file", str(path))
    page.click("form[action='/admin/import'] button[type=submit]")
    page.wait_for_selector("#import-summary")


def test_import_preview_then_confirm(page: Page, server: LiveServer, tmp_path: Path) -> None:
    make_admin(server)
    sign_in_admin(page)
    bad_rows = people("E2E-G2", 8, start=100)
    bad_rows[1]["phone"] = "12345"
    bad_rows[3]["id_number"] = "110105194912310021"
    bad_rows[5]["grid_code"] = "E2E-NONE"
    bad = tmp_path / "有错误.xlsx"
    bad.write_bytes(xlsx(bad_rows))
    upload(page, bad)
    assert page.locator("#import-issues tbody tr").count() == 3
    assert page.locator('tr[data-row="5"][data-column="id_number"]').count() == 1
    assert page.locator("#confirm-import").count() == 0
    shot(page, "admin-import-errors-360")
    page.set_viewport_size({"width": 1280, "height": 900})
    shot(page, "admin-import-errors-desktop")
    before = server.query("select count(*) from persons")[0][0]

    clean = tmp_path / "二组.xlsx"
    clean.write_bytes(xlsx(people("E2E-G2", 30, start=100)))
    upload(page, clean)
    assert page.locator('[data-stat="new-persons"]').inner_text() == "30"
    shot(page, "admin-import-preview-desktop")
    page.set_viewport_size({"width": 360, "height": 780})
    shot(page, "admin-import-preview-360")
    assert server.query("select count(*) from persons")[0][0] == before
    page.wait_for_function("window.htmx !== undefined")
    page.click("#confirm-import")
    page.wait_for_selector('[data-import="done"]')
    assert "新增 11 户、30 人" in page.inner_text("#import-status")
    shot(page, "admin-import-done-360")
    assert server.query("select count(*) from persons")[0][0] == before + 30


def test_password_reset_then_the_forced_change(page: Page, server: LiveServer) -> None:
    make_admin(server)
    sign_in_admin(page)
    page.goto("/admin/users")
    shot(page, "admin-users-360")
    page.set_viewport_size({"width": 1280, "height": 900})
    shot(page, "admin-users-desktop")
    page.locator("li[data-user]", has_text="李网格").get_by_role("button").click()
    password = page.inner_text("#one-time-password").strip()
    shot(page, "admin-users-reset-desktop")
    page.click("form[action='/logout'] button")
    page.wait_for_url("**/login")
    page.fill("#phone", WORKER_A)
    page.fill("#password", password)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url("**/account/password**")
    page.goto("/")  # every page leads back to the change until it is done
    page.wait_for_url("**/account/password")
    page.fill("#current", password)
    page.fill("#new", "a-new-pass-2")
    page.fill("#repeat", "a-new-pass-2")
    page.click("form[action='/account/password'] button[type=submit]")
    page.wait_for_url(lambda url: "/account/password" not in url)
    assert server.query("select must_change_password from users where phone = ?", (WORKER_A,)) == [
        (0,)
    ]
