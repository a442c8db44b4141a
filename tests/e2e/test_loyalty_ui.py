"""Reception checks out a member with a coupon, points and stored value, and the member page
shows the new balances; HQ edits the programme, a franchise owner only reads it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import shot, sign_in, wait_ready

pytestmark = pytest.mark.e2e


def _number(text: str) -> int:
    return int(re.sub(r"[^\d-]", "", text.split(".")[0]))


def _open_member(page, member_no: str) -> None:  # noqa: ANN001
    page.goto("/members")
    wait_ready(page)
    page.fill("#member-search", member_no)
    page.click("#member-search-go")
    page.locator(".member-row a").first.click()
    page.wait_for_selector("#points-balance")


def test_reception_checks_out_with_coupon_points_and_stored_value(page, browser, app_url):
    member_no = "M00000001"  # demo member at SH01 with stored value and a 满200减30 coupon
    owner = browser.new_context(base_url=app_url).new_page()
    sign_in(owner, "owner")
    _open_member(owner, member_no)
    owner.click("#open-points")
    owner.fill("#points-delta", "1000")
    owner.fill("#points-reason", "活动补偿")
    owner.click("#points-confirm")
    owner.click("#tab-points")
    expect(owner.locator(".points-row").first).to_contain_text("+1,000")
    owner.context.close()

    sign_in(page, "reception")
    _open_member(page, member_no)
    points_before = _number(page.inner_text("#points-balance"))
    wallet_before = _number(page.inner_text("#wallet-balance"))
    page.click("#open-checkout")
    page.wait_for_selector("#checkout-member-line")
    wait_ready(page)
    page.locator(".line-name input").first.fill("烫发")
    page.locator(".line-price input").first.fill("300")
    page.click("#checkout-coupon")
    page.get_by_role("option", name=re.compile("满200减30")).first.click()
    page.fill("#checkout-points", "500")
    page.fill("#checkout-wallet", "100")
    page.click("#checkout-calculate")
    expect(page.locator("#quote-due")).to_contain_text("270.00")  # ¥300 − ¥30 coupon
    expect(page.locator("#quote-points")).to_contain_text("5.00")  # 500 points = ¥5
    expect(page.locator("#quote-wallet")).to_contain_text("100.00")
    expect(page.locator("#quote-pay")).to_contain_text("165.00")
    earned = _number(page.inner_text("#quote-earn"))
    shot(page, "checkout-quote")
    page.click("#checkout-confirm")
    expect(page.locator("#checkout-done")).to_be_visible()
    page.click("text=基本资料")
    page.wait_for_selector("#points-balance")
    expect(page.locator("#points-balance")).to_have_text(f"{points_before - 500 + earned:,}")
    assert _number(page.inner_text("#wallet-balance")) == wallet_before - 100  # whole yuan
    expect(page.locator(".sale-row").first).to_contain_text("烫发")
    shot(page, "member-loyalty")


def test_hq_edits_a_tier_and_the_franchise_owner_only_reads_it(page, browser, app_url):
    sign_in(page, "admin")
    page.goto("/settings/loyalty")
    page.wait_for_selector("#settings-tiers")
    wait_ready(page)
    page.locator(".setting-row", has_text="SILVER").get_by_role("button").click()
    page.fill("#setting-discount_bp", "-5")
    page.click("#setting-save")
    expect(page.locator(".field-error").first).to_be_visible()  # bad input: nothing saved
    page.fill("#setting-discount_bp", "6")  # percent; stored as 600 basis points
    page.click("#setting-save")
    expect(page.locator(".setting-row", has_text="SILVER")).to_contain_text("6%")
    shot(page, "loyalty-settings-admin")

    owner = browser.new_context(base_url=app_url).new_page()
    sign_in(owner, "owner")
    owner.goto("/settings/loyalty")
    owner.wait_for_selector("#settings-tiers")
    expect(owner.locator(".setting-row", has_text="SILVER")).to_contain_text("6%")
    assert owner.locator("#setting-add").count() == 0
    assert owner.locator(".setting-row button").count() == 0
    shot(owner, "loyalty-settings-owner")
    owner.context.close()


def test_a_big_sale_upgrades_the_tier_and_the_campaign_congratulates(page):
    """Demo campaign "升级祝贺" (tier changed → message → 200 points) runs on the RQ worker."""
    sign_in(page, "owner")
    page.goto("/checkout?member=M00000004")
    page.wait_for_selector("#checkout-member-line")
    wait_ready(page)
    page.click("#checkout-store")
    page.get_by_role("option", name="上海静安店").click()
    page.fill("#checkout-amount", "2500")
    page.click("#checkout-calculate")
    expect(page.locator("#quote-due")).to_contain_text("2,500.00")
    page.click("#checkout-confirm")
    expect(page.locator("#checkout-done")).to_be_visible()
    _open_member(page, "M00000004")
    expect(page.locator("#tier-name")).to_have_text("银卡")
    for _ in range(40):  # the worker needs a moment; a person would press reload too
        page.click("#tab-messages")
        if page.locator(".message-row", has_text="升级为银卡").count():
            break
        page.wait_for_timeout(500)
        page.reload()
        page.wait_for_selector("#tab-messages")
        wait_ready(page)
    expect(page.locator(".message-row", has_text="升级为银卡")).to_have_count(1)
    shot(page, "member-messages")
