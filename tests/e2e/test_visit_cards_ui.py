"""Visit cards (次卡) as people use them: HQ adds a 10-visit card on /settings/cards (a bad
price is refused with a field error), reception sells it to a member at the desk, redeems one
visit in one click and sees 9 of 10 left; the owner refunds it with the amount shown first;
reception sees no refund button and HQ sees the report."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import shot, sign_in, wait_ready

pytestmark = pytest.mark.e2e
CARD = "洗剪吹十次卡"


def _open_member(page, member_no: str) -> None:  # noqa: ANN001
    page.goto("/members")
    wait_ready(page)
    page.fill("#member-search", member_no)
    page.click("#member-search-go")
    page.locator(".member-row a").first.click()
    page.wait_for_selector("#visit-cards")
    wait_ready(page)


def test_hq_adds_a_card_reception_sells_and_redeems_the_owner_refunds(page, browser, app_url):
    sign_in(page, "admin")
    page.goto("/settings/cards")
    page.wait_for_selector("#product-add")
    wait_ready(page)
    page.fill("#product-name", CARD)
    page.fill("#product-price", "八百")
    page.fill("#product-visits", "10")
    page.fill("#product-valid_days", "365")
    page.fill("#product-services", "洗剪吹")
    page.click("#product-add")
    expect(page.locator(".field-error").first).to_be_visible()  # the price, in words
    page.fill("#product-price", "880")
    page.click("#product-add")
    expect(page.locator(".product-row", has_text=CARD)).to_contain_text("¥880.00")
    shot(page, "cards-products")

    clerk = browser.new_context(base_url=app_url).new_page()
    clerk.set_default_timeout(20_000)
    sign_in(clerk, "reception")
    _open_member(clerk, "M00000004")
    expect(clerk.locator("#visit-cards")).to_contain_text("该会员还没有次卡")
    clerk.click("#open-card-sell")
    clerk.click("#card-product")
    clerk.get_by_role("option", name=re.compile(CARD)).click()
    clerk.click("#card-sell-confirm")
    row = clerk.locator(".card-row", has_text=CARD)
    expect(row).to_contain_text("剩 10 / 10 次")
    row.locator(".card-redeem").click()
    expect(row).to_contain_text("剩 9 / 10 次")
    expect(row.locator(".card-refund")).to_have_count(0)  # reception may not refund
    shot(clerk, "cards-member-after-redeem")
    clerk.context.close()

    owner = browser.new_context(base_url=app_url).new_page()
    owner.set_default_timeout(20_000)
    sign_in(owner, "owner")
    _open_member(owner, "M00000004")
    row = owner.locator(".card-row", has_text=CARD)
    expect(row).to_contain_text("剩 9 / 10 次")
    shot(owner, "cards-owner-member")
    row.locator(".card-refund").click()
    # 9 of 10 visits unused of ¥880 = ¥792, less the 10 % fee = ¥712.80
    expect(owner.locator("#card-refund-amount")).to_contain_text("712.80")
    shot(owner, "cards-refund-dialog")
    owner.click("#card-refund-confirm")
    expect(row).to_contain_text("已退卡")
    owner.context.close()

    page.goto("/settings/cards")
    wait_ready(page)
    expect(page.locator(".figure-row").first).to_contain_text("1")
    shot(page, "cards-report")
