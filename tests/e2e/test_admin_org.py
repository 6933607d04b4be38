"""The admin's organisation pages in a browser, at phone width and on a desktop: the admin
adds a village and a grid with its lead's phone, moves a grid seeing what it takes along
before confirming, creates a user and sees the one-time password, and keeps facilities."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import LiveServer, shot
from tests.e2e.helpers import sign_in_web
from tests.e2e.test_admin_import import ADMIN, make_admin

pytestmark = pytest.mark.e2e


def sign_in_admin(page: Page) -> None:
    sign_in_web(page, ADMIN, "/admin/areas")


def open_area(page: Page, server: LiveServer, code: str) -> int:
    area_id = int(server.query(f"select id from areas where code = '{code}'")[0][0])
    page.goto(f"/admin/areas/{area_id}")
    return area_id


def test_tree_move_and_a_new_user(page: Page, server: LiveServer) -> None:
    make_admin(server)
    page.set_viewport_size({"width": 360, "height": 780})
    sign_in_admin(page)
    assert page.locator("#area-tree [data-area]").count() == 5  # the county down

    # a second village under the town
    open_area(page, server, "E2E-T")
    page.fill("#child-name", "张家村")
    page.fill("#child-code", "E2E-V2")
    page.click("#add-child button[type=submit]")
    page.wait_for_url(re.compile(r".*/admin/areas/\d+\?added=1"))
    assert page.inner_text("h1").startswith("张家村")

    # a grid in the first village, then its lead's phone
    open_area(page, server, "E2E-V")
    page.fill("#child-name", "三组")
    page.fill("#child-code", "E2E-G3")
    page.click("#add-child button[type=submit]")
    page.wait_for_url(re.compile(r".*\?added=1"))
    page.fill("#lead_name", "孙组长")
    page.fill("#lead_phone", "12345")
    page.click("#edit-area button[type=submit]")
    assert "负责人电话不是电话号码" in page.inner_text("#area-error")
    page.fill("#lead_phone", "13912345678")
    page.click("#edit-area button[type=submit]")
    page.wait_for_url(re.compile(r".*\?saved=1"))
    shot(page, "admin-org-area-360")
    assert server.query("select lead_phone from areas where code = 'E2E-G3'")[0][0] == (
        "13912345678"
    )
    page.goto("/admin/areas")
    page.click("summary:has-text('李家村')")  # villages start folded
    assert "孙组长" in page.inner_text("#area-tree")
    shot(page, "admin-org-tree-360")
    page.set_viewport_size({"width": 1280, "height": 900})
    shot(page, "admin-org-tree-desktop")
    page.set_viewport_size({"width": 360, "height": 780})

    # move grid 一组 (its households and workers) to the new village: counted first
    grid_id = open_area(page, server, "E2E-G1")
    page.select_option("#parent_id", label="张家村 (E2E-V2)")
    page.click("#move-area button[type=submit]")
    page.wait_for_selector("#impact")
    households = server.query(
        f"select count(*) from households where area_id = {grid_id} and not deleted"
    )[0][0]
    assert page.inner_text('[data-stat="households"]') == str(households)
    assert page.inner_text('[data-stat="users"]') == "2"
    old_path = server.query(f"select path from areas where id = {grid_id}")[0][0]
    shot(page, "admin-org-move-confirm-360")
    page.set_viewport_size({"width": 1280, "height": 900})
    shot(page, "admin-org-move-confirm-desktop")
    assert server.query(f"select path from areas where id = {grid_id}")[0][0] == old_path
    page.click("#confirm-move")
    page.wait_for_selector("#area-moved")
    new_parent = server.query("select id, path from areas where code = 'E2E-V2'")[0]
    assert server.query(f"select path from areas where id = {grid_id}")[0][0] == (
        f"{new_parent[1]}{grid_id}/"
    )

    # a new grid worker in the moved grid: the one-time password is shown once
    page.set_viewport_size({"width": 360, "height": 780})
    page.goto("/admin/users/new")
    page.select_option("#role", "grid_worker")
    page.select_option("#area_code", "E2E-G1")
    page.fill("#phone", "13912340099")
    page.fill("#name", "周网格")
    shot(page, "admin-org-user-new-360")
    page.click("#new-user button[type=submit]")
    password = page.inner_text(".one-time-password")
    assert re.fullmatch(r"[a-z0-9]{12}", password)
    shot(page, "admin-org-user-created-360")
    page.set_viewport_size({"width": 1280, "height": 900})
    shot(page, "admin-org-user-created-desktop")
    made = server.query("select id, must_change_password from users where phone = '13912340099'")
    assert made[0][1] in (True, 1)

    # the worker's page: role and area, deactivation, devices
    page.goto(f"/admin/users/{made[0][0]}")
    assert page.locator("#change-role").count() == 1
    page.set_viewport_size({"width": 360, "height": 780})
    shot(page, "admin-org-user-page-360")
    page.click("details.confirm summary")  # deactivation takes a second step
    page.click("#confirm-deactivate")
    page.wait_for_selector("#user-inactive")
    assert server.query(f"select active from users where id = {made[0][0]}")[0][0] in (False, 0)


def test_facilities_page(page: Page, server: LiveServer) -> None:
    make_admin(server)
    page.set_viewport_size({"width": 360, "height": 780})
    sign_in_admin(page)
    page.goto("/admin/facilities")
    page.select_option("#new-kind", "pharmacy")
    page.fill("#new-name", "青山大药房")
    page.fill("#new-phone", "0915-7654321")
    page.click("form[action='/admin/facilities'] button[type=submit]")
    page.wait_for_url(re.compile(r".*/admin/facilities\?saved=\d+"))
    assert "青山大药房" in page.inner_text("#facilities")
    shot(page, "admin-org-facilities-360")
    page.set_viewport_size({"width": 1280, "height": 900})
    shot(page, "admin-org-facilities-desktop")
