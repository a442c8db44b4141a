"""Reception refunds a sale of its store from the member page: the receipt opens with what is
left prefilled, a confirmation, a success message; the member timeline and the audit page
say what happened in words. A clerk of another store cannot open the receipt."""

from __future__ import annotations

import re
from contextlib import closing

import pytest
from playwright.sync_api import expect

from backoffice.i18n import format_money
from backoffice.money import yuan
from tests.e2e.conftest import app_db, shot, sign_in, wait_ready

pytestmark = pytest.mark.e2e


def _refundable_sh01_sale(data_dir) -> tuple[int, int, int]:  # noqa: ANN001
    """(sale id, member id, cents left) of an SH01 sale of an SH01 member nobody refunded,
    not the portal member's."""
    # Closed at once: an open read of the app's SQLite file would lock out its writers.
    with closing(app_db(data_dir)) as db:
        return db.execute(
            "SELECT s.id, s.member_id, s.due_cents - s.refunded_cents FROM sale s"
            " JOIN store st ON st.id = s.store_id JOIN member m ON m.id = s.member_id"
            # the member's home store is SH01 too: a GZ01 clerk may see their own members'
            # sales made elsewhere (services/loyalty/receipts.py), an earlier test makes one
            " WHERE st.code = 'SH01' AND m.home_store_id = st.id AND s.refunded_cents = 0"
            " AND m.member_no != 'M00000001'"
            " ORDER BY s.id DESC LIMIT 1"
        ).fetchall()[0]


def _grant_reception_refund(page, on: bool) -> None:  # noqa: ANN001
    page.goto("/roles")
    page.wait_for_selector("#roles-table")
    wait_ready(page)
    box = page.locator(".role-row[data-perm='sales.refund'] .role-grant").nth(3)
    if (box.get_attribute("data-state") == "checked") != on:
        box.click()
    page.click("#save-role-reception")
    expect(page.get_by_text("角色权限已保存")).to_be_visible()


def test_reception_refunds_a_sale_from_the_member_page(page, browser, app_url, app_data_dir):
    sale_id, member_id, left = _refundable_sh01_sale(app_data_dir)
    admin = browser.new_context(base_url=app_url).new_page()
    sign_in(admin, "admin")
    _grant_reception_refund(admin, True)
    try:
        sign_in(page, "reception")
        page.goto(f"/member?id={member_id}")
        page.wait_for_selector(".sale-row")
        wait_ready(page)
        row = page.locator(".sale-row").filter(has=page.locator(f"a[href*='id={sale_id}']"))
        row.locator(".refund-button").click()
        page.wait_for_url(re.compile(rf".*/sales/receipt\?refund=1&id={sale_id}$"))
        page.wait_for_selector("#refund-form")
        expect(page.locator("#refund-amount")).to_have_value(yuan(left))  # what is left
        expect(page.locator("#receipt-clerk")).not_to_be_empty()
        page.fill("#refund-reason", "顾客不满意")
        page.click("#refund-next")
        expect(page.locator("#refund-question")).to_contain_text(
            f"退款 {format_money(left, 'zh-CN')}"
        )
        shot(page, "f-refund-confirm")
        page.click("#refund-confirm")
        expect(page.locator("#refund-done")).to_contain_text(
            f"已退款 {format_money(left, 'zh-CN')}"
        )
        expect(page.locator("#receipt-left")).to_have_text(format_money(0, "zh-CN"))
        expect(page.locator("#receipt-status")).to_have_text("已退款")
        expect(page.locator(".receipt-refund")).to_contain_text("顾客不满意")
        assert page.locator("#refund-start").count() == 0
        shot(page, "f-refund-receipt")

        page.goto(f"/member?id={member_id}")
        page.wait_for_selector(".timeline-item")
        first = page.locator(".timeline-item").first
        expect(first).to_contain_text(f"金额：{format_money(left, 'zh-CN')}")
        expect(first).to_contain_text("原因：顾客不满意")
        assert "amount:" not in first.inner_text()
        shot(page, "f-member-timeline")
    finally:
        _grant_reception_refund(admin, False)
        admin.context.close()


def test_another_stores_clerk_cannot_open_the_receipt(page, app_data_dir):
    sale_id, _member, _left = _refundable_sh01_sale(app_data_dir)
    sign_in(page, "reception_gz")
    page.goto(f"/sales/receipt?refund=1&id={sale_id}")
    wait_ready(page)
    expect(page.get_by_text("找不到记录").first).to_be_visible()
    assert page.locator("#receipt").count() == 0 and page.locator("#refund-form").count() == 0


def test_the_audit_page_says_each_change_in_words(page):
    sign_in(page, "admin")
    page.goto("/audit")
    page.wait_for_selector(".audit-row")
    wait_ready(page)
    page.fill("#audit-action", "members.create")
    page.click("#audit-search")
    row = page.locator(".audit-row").first
    expect(row).to_contain_text("所属门店：")
    expect(row).to_contain_text("创建会员")
    text = page.inner_text("#audit-table")
    assert "home_store_id" not in text and "member_no" not in text, text[:400]
    shot(page, "f-audit-sentences")
