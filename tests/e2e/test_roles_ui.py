"""HQ grants a permission on the roles page and the clerk's next page shows the difference."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import shot, sign_in, wait_ready

pytestmark = pytest.mark.e2e


def _set_reception_pii(page, on: bool) -> None:  # noqa: ANN001
    page.goto("/roles")
    page.wait_for_selector("#roles-table")
    wait_ready(page)
    row = page.locator(".role-row[data-perm='pii.view']")
    box = row.locator(".role-grant").nth(3)  # columns: hq_admin, hq_auditor, owner, reception
    if (box.get_attribute("data-state") == "checked") != on:
        box.click()
    page.click("#save-role-reception")
    expect(page.get_by_text("角色权限已保存")).to_be_visible()


def test_granting_pii_view_unmasks_phones_for_reception(page, browser, app_url):
    sign_in(page, "admin")
    _set_reception_pii(page, True)
    shot(page, "roles")
    clerk = browser.new_context(base_url=app_url).new_page()
    try:
        sign_in(clerk, "reception")
        clerk.wait_for_selector(".member-phone")
        assert all(
            re.fullmatch(r"\d{11}", p) for p in clerk.locator(".member-phone").all_inner_texts()
        )
    finally:
        clerk.context.close()
        _set_reception_pii(page, False)  # the other browser tests expect masked phones
